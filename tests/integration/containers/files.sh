# containers/files: cp both ways (running and stopped), export, commit
# (then a run of the new image), diff and port.

test_cp() {
	begin cp exec stop
	crun --name cp1 "$IMG" sleep 100
	echo "from host" >"$T/h.txt"
	b_out cp "$T/h.txt" cp1:/tmp/
	assert_eq 0 "$RC" "cp host -> container ($ERR)"
	assert_eq "from host" "$(b exec cp1 cat /tmp/h.txt)" "file copied in"
	mkdir -p "$T/dir/sub" && echo deep >"$T/dir/sub/f"
	b cp "$T/dir" cp1:/tmp/dir >/dev/null || fail "cp of a directory"
	assert_eq deep "$(b exec cp1 cat /tmp/dir/sub/f)" "directory copied in"
	b_out cp cp1:/etc/motd "$T/motd"
	assert_eq 0 "$RC" "cp container -> host ($ERR)"
	assert_eq "berth containers test" "$(cat "$T/motd")" "file copied out"
	b cp cp1:/tmp/dir "$T/back" >/dev/null || fail "cp of a directory out"
	assert_eq deep "$(cat "$T/back/sub/f")" "directory copied out"
	# to stdout as a tar
	b cp cp1:/etc/motd - >"$T/motd.tar" || fail "cp to -"
	assert_eq motd "$(tar tf "$T/motd.tar")" "cp to - is a tar"
	# a stopped container
	b stop -t 0 cp1 >/dev/null
	b_out cp "$T/h.txt" cp1:/h2.txt
	assert_eq 0 "$RC" "cp into a stopped container ($ERR)"
	b_out cp cp1:/h2.txt "$T/h2.txt"
	assert_eq "from host" "$(cat "$T/h2.txt")" "cp out of a stopped container ($ERR)"
	b_out cp cp1:/nosuch "$T/x"
	[ "$RC" -ne 0 ] || fail "cp of a missing path succeeded"
	assert_contains "$ERR" "Could not find the file /nosuch in container cp1" "cp of a missing path"
	finish
}

test_export_commit_diff() {
	begin export commit diff exec history rmi
	crun --name ed "$IMG" sleep 100
	b exec ed sh -c 'echo changed >/etc/motd; touch /newfile; rm /bin/yes' || fail "exec changes"
	b_out diff ed
	assert_eq 0 "$RC" "diff ($ERR)"
	assert_line "$OUT" "A /newfile" "diff: added file"
	assert_line "$OUT" "C /etc/motd" "diff: changed file"
	assert_line "$OUT" "D /bin/yes" "diff: deleted file"
	assert_line "$OUT" "C /etc" "diff: changed dir"
	b_out export -o "$T/ed.tar" ed
	assert_eq 0 "$RC" "export ($ERR)"
	tar tf "$T/ed.tar" >"$T/list"
	grep -qx 'newfile' "$T/list" || grep -qx './newfile' "$T/list" || fail "export lacks /newfile"
	grep -q 'bin/busybox$' "$T/list" || fail "export lacks bin/busybox"
	grep -q 'bin/yes$' "$T/list" && fail "export has the deleted bin/yes"
	assert_eq changed "$(tar xOf "$T/ed.tar" etc/motd 2>/dev/null || tar xOf "$T/ed.tar" ./etc/motd)" "exported motd"
	b export ed >"$T/ed2.tar" || fail "export to stdout"
	[ "$(tar tf "$T/ed2.tar" | wc -l)" = "$(wc -l <"$T/list")" ] || fail "export to stdout differs"
	b_out commit -c 'CMD ["cat", "/etc/motd"]' -m "a message" ed test/committed:1
	assert_eq 0 "$RC" "commit ($ERR)"
	[[ $OUT =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed '$OUT'"
	b_out run --rm test/committed:1
	assert_eq changed "$OUT" "run of the committed image uses its CMD ($ERR)"
	b_out run --rm test/committed:1 sh -c 'test -f /newfile && ! test -e /bin/yes && echo same'
	assert_eq same "$OUT" "committed image has the changes"
	assert_contains "$(b history test/committed:1)" "a message" "commit message in history"
	b rm -f ed >/dev/null
	b rmi test/committed:1 >/dev/null || fail "rmi of the committed image"
	finish
}

test_port() {
	begin port
	crun --name pt "$IMG" sleep 100
	b_out port pt
	assert_eq "0" "$RC" "port of a container without published ports ($ERR)"
	assert_eq "" "$OUT" "port output"
	b_out port pt 80/tcp
	[ "$RC" -ne 0 ] || fail "port of an unpublished port succeeded"
	assert_contains "$ERR" "No public port '80/tcp' published for pt" "port 80/tcp"
	finish
}

# Regression (issue 4): `rmi -f` of an image that only a stopped container
# uses deletes it, as docker does; a running user still refuses even force.
# The container keeps working: it starts, survives an image prune, and rm
# works.
test_rmi_force_stopped_user() {
	begin rmi image start
	local id
	id=$(b image inspect "$IMG" | jq -r '.[0].Id')
	[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "image id '$id'"
	crun --name rfrun "$IMG" sleep 100
	b_out rmi -f "$id"
	assert_eq 1 "$RC" "rmi -f of an image a running container uses"
	assert_contains "$ERR" "(cannot be forced) - image is being used by running container" "running user"
	b rm -f rfrun >/dev/null || fail "rm -f rfrun"
	b_out run --name rfstop "$IMG" echo still-here
	assert_eq still-here "$OUT" "run ($ERR)"
	b_out rmi "$IMG"
	assert_eq 1 "$RC" "rmi without -f of a stopped container's image"
	assert_contains "$ERR" "must force" "stopped user without force"
	b_out rmi -f "$IMG"
	assert_eq 0 "$RC" "rmi -f ($ERR)"
	assert_contains "$OUT" "Untagged:" "rmi -f untags"
	assert_contains "$OUT" "Deleted: $id" "rmi -f deletes the image"
	assert_eq "" "$(b images -q)" "no images after rmi -f"
	b_out image prune -a -f
	assert_eq 0 "$RC" "image prune ($ERR)"
	b_out start -a rfstop
	assert_eq still-here "$OUT" "start of the container after its image went ($ERR)"
	b_out rm rfstop
	assert_eq 0 "$RC" "rm of the container after its image went ($ERR)"
	finish
}

run_test containers/cp test_cp
run_test containers/export-commit-diff test_export_commit_diff
run_test containers/port test_port
run_test containers/rmi-force-stopped-user test_rmi_force_stopped_user
