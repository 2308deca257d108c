# named.sh - volumes family: volume create/ls/inspect/rm/prune, data that
# outlives its container, a volume in use, refused names. Sourced by run.sh.

test_volume_crud() {
	net_begin volume
	local v=btv-crud-$$
	vcreate "$v" --label team=qa
	vols | grep -qxF "$v" || fail "volume ls -q has no $v: $(vols)"
	b_ok volume ls
	assert_contains "$OUT" "local" "volume ls DRIVER"
	assert_eq "$v local local qa" "$(vinsp "$v" '| "\(.Name) \(.Driver) \(.Scope) \(.Labels.team)"')" "volume inspect"
	local mp
	mp=$(vinsp "$v" .Mountpoint)
	[ -d "$mp" ] || fail "Mountpoint '$mp' is not a directory on the host"
	[[ $mp == "$T/root/"* ]] || fail "Mountpoint '$mp' is not under berthd's --root"
	# Creating an existing name returns it (Docker).
	vcreate "$v"
	assert_eq 1 "$(vols | grep -cxF "$v")" "volumes named $v"
	b_out volume inspect "nosuch-$$"
	[ "$RC" -ne 0 ] || fail "inspect of a missing volume succeeded"
	assert_contains "$ERR" "no such volume" "inspect of a missing volume"
	b_ok volume rm "$v"
	vols | grep -qxF "$v" && fail "volume ls still lists $v after rm"
	[ ! -e "$mp" ] || fail "Mountpoint $mp still on disk after rm"
	b_out volume rm "$v"
	[ "$RC" -ne 0 ] || fail "a second volume rm succeeded"
	assert_contains "$ERR" "no such volume" "rm of a missing volume"
	# A volume created without a name: 64 hex. As in Docker ≥ 23 it is not
	# "anonymous" (only a container's are): prune keeps it without --all.
	b_ok volume create
	local anon=$OUT
	vol_track "$anon"
	[[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "volume create without a name printed '$anon'"
	vcreate "$v-keep"
	b_ok volume prune -f
	vols | grep -qxF "$anon" || fail "prune without --all removed a created volume"
	vols | grep -qxF "$v-keep" || fail "prune without --all removed the named volume"
	b_ok volume prune -f --all
	assert_contains "$OUT" "$v-keep" "volume prune --all output"
	vols | grep -qxF "$v-keep" && fail "prune --all left $v-keep"
	vols | grep -qxF "$anon" && fail "prune --all left $anon"
	net_finish
}
net_run_test volumes/crud test_volume_crud

test_volume_persists() {
	net_begin volume
	local v=btv-keep-$$
	vcreate "$v"
	runo -v "$v:/data" "$IMG" sh -c 'echo kept > /data/f; mkdir /data/d; echo x > /data/d/y'
	assert_eq 0 "$RC" "writing into $v ($ERR)"
	runo -v "$v:/data" "$IMG" cat /data/f /data/d/y
	assert_eq "0 kept x" "$RC $(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "data in $v after its container ($ERR)"
	assert_eq kept "$(cat "$(vinsp "$v" .Mountpoint)/f")" "the data on the host"
	# A volume named by run that does not exist yet is created.
	vol_track "$v-auto"
	runo -v "$v-auto:/x" "$IMG" sh -c 'echo a > /x/a'
	assert_eq 0 "$RC" "run -v with a new name ($ERR)"
	vols | grep -qxF "$v-auto" || fail "run -v $v-auto:/x did not create the volume"
	# :ro
	runo -v "$v:/data:ro" "$IMG" sh -c 'cat /data/f; echo no > /data/f'
	[ "$RC" -ne 0 ] || fail "a write into a :ro volume succeeded"
	assert_contains "$OUT" kept "read of a :ro volume"
	assert_contains "$ERR" "Read-only file system" "write into a :ro volume"
	runo -v "$v:/data" "$IMG" cat /data/f
	assert_eq kept "$OUT" "data after the refused :ro write"
	net_finish
}
net_run_test volumes/persists test_volume_persists

test_volume_in_use() {
	net_begin volume
	local v=btv-busy-$$
	vcreate "$v"
	crun --name u1 -v "$v:/data" "$IMG" sh -c 'echo busy > /data/f; exec sleep 300'
	eng_wait_for 10 b exec u1 test -f /data/f || fail "u1 did not write"
	b_out volume rm "$v"
	[ "$RC" -ne 0 ] || fail "volume rm of a volume in use succeeded"
	assert_contains "$ERR" "volume is in use" "volume rm in use"
	assert_eq 409 "$(api_code -X DELETE "http://x/$API/volumes/$v")" "DELETE /volumes/$v in use: $(cat "$T/api.out")"
	vols | grep -qxF "$v" || fail "the volume in use disappeared"
	in_c u1 cat /data/f
	assert_eq busy "$OUT" "data of the volume in use"
	# A stopped container still holds it (Docker).
	b_ok stop -t 1 u1
	b_out volume rm "$v"
	[ "$RC" -ne 0 ] || fail "volume rm of a volume of a stopped container succeeded"
	b_ok rm u1
	b_ok volume rm "$v"
	net_finish
}
net_run_test volumes/in-use test_volume_in_use

test_bad_names() {
	net_begin volume
	local before n
	before=$(vols)
	for n in ../x a/b .hidden 'a b' x; do
		b_out volume create "$n"
		if [ "$n" = x ]; then
			# One character: Docker's rule wants at least two.
			[ "$RC" -ne 0 ] || fail "volume create 'x' was accepted"
			continue
		fi
		[ "$RC" -ne 0 ] || { vol_track "$n"; fail "volume create '$n' was accepted"; }
		assert_contains "$ERR" "\"$n\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed" "volume create '$n'"
	done
	b_out run --rm -v "a/b:/data" "$IMG" true
	[ "$RC" -ne 0 ] || fail "run -v a/b:/data was accepted"
	assert_contains "$ERR" "includes invalid characters for a local volume name" "run -v a/b:/data"
	b_out run --rm --mount "type=volume,source=../x,target=/data" "$IMG" true
	[ "$RC" -ne 0 ] || fail "run --mount source=../x was accepted"
	assert_eq "$before" "$(vols)" "volumes after the refused names"
	assert_eq "" "$(b ps -a -q)" "containers after the refused names"
	[ ! -e "$T/root/x" ] && [ ! -e "$T/root/volumes/a" ] && [ ! -e "$T/x" ] ||
		fail "a refused name left something on disk: $(ls "$T/root" "$T/root/volumes" 2>&1)"
	# A relative path is not a bind mount either, and a bad mode is refused.
	b_out run --rm -v "/tmp:/data:rw,bogus" "$IMG" true
	[ "$RC" -ne 0 ] || fail "run -v with mode 'rw,bogus' was accepted"
	net_finish
}
net_run_test volumes/bad-names test_bad_names
