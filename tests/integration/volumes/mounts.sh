# mounts.sh - volumes family: bind mounts, --mount, anonymous and image
# volumes (populated from the image, removed by rm -v), --volumes-from,
# symlinks that point out of a volume. Sourced by run.sh.

test_bind() {
	net_begin
	local h=$T/hostdir
	mkdir -p "$h"
	echo from-host >"$h/file"
	runo -v "$h:/data" "$IMG" sh -c 'cat /data/file; echo from-container > /data/new'
	assert_eq "0 from-host" "$RC $OUT" "read of a bind mount ($ERR)"
	assert_eq from-container "$(cat "$h/new" 2>/dev/null)" "write through a bind mount"
	runo -v "$h:/data:ro" "$IMG" sh -c 'cat /data/file; echo x > /data/file'
	[ "$RC" -ne 0 ] || fail "a write into a :ro bind mount succeeded"
	assert_contains "$ERR" "Read-only file system" "write into a :ro bind"
	assert_eq from-host "$(cat "$h/file")" "host file after the refused write"
	# A file can be bind-mounted too.
	runo -v "$h/file:/etc/motd:ro" "$IMG" cat /etc/motd
	assert_eq "0 from-host" "$RC $OUT" "bind mount of a file ($ERR)"
	# -v creates a missing host directory (Docker); --mount refuses it.
	runo -v "$T/created:/c" "$IMG" true
	assert_eq 0 "$RC" "run -v with a missing host dir ($ERR)"
	[ -d "$T/created" ] || fail "run -v did not create $T/created"
	runo --mount "type=bind,source=$T/missing,target=/m" "$IMG" true
	[ "$RC" -ne 0 ] || fail "--mount type=bind with a missing source was accepted"
	assert_contains "$ERR" "bind source path does not exist" "--mount type=bind missing source"
	crun --name b1 -v "$h:/data:ro" "$IMG" sleep 60
	assert_eq "bind - $h /data false" "$(mounts_of b1)" "inspect Mounts of a :ro bind"
	net_finish
}
net_run_test volumes/bind test_bind

test_mount_flag() {
	net_begin volume
	local v=btv-mnt-$$ h=$T/mh
	mkdir -p "$h"
	echo hv >"$h/f"
	vcreate "$v"
	runo --mount "type=volume,source=$v,target=/data" "$IMG" sh -c 'echo via-mount > /data/m'
	assert_eq 0 "$RC" "--mount type=volume ($ERR)"
	runo -v "$v:/d2" "$IMG" cat /d2/m
	assert_eq "0 via-mount" "$RC $OUT" "--mount volume data seen by -v ($ERR)"
	runo --mount "type=volume,src=$v,dst=/data,readonly" "$IMG" sh -c 'echo x > /data/m'
	[ "$RC" -ne 0 ] || fail "a write into a readonly --mount volume succeeded"
	runo --mount "type=bind,source=$h,target=/h,readonly" "$IMG" sh -c 'cat /h/f; touch /h/g'
	[ "$RC" -ne 0 ] || fail "a write into a readonly --mount bind succeeded"
	assert_contains "$OUT" hv "read of --mount type=bind"
	runo --mount "type=tmpfs,target=/t,tmpfs-size=1m" "$IMG" sh -c 'grep " /t " /proc/mounts'
	assert_eq 0 "$RC" "--mount type=tmpfs ($ERR)"
	assert_contains "$OUT" "tmpfs /t tmpfs" "--mount type=tmpfs"
	assert_contains "$OUT" "size=1024k" "--mount tmpfs-size"
	crun --name m1 --mount "type=volume,source=$v,target=/data" "$IMG" sleep 60
	assert_eq "volume $v $(vinsp "$v" .Mountpoint) /data true" "$(mounts_of m1)" "inspect Mounts of --mount type=volume"
	runo --mount "type=nosuch,target=/x" "$IMG" true
	[ "$RC" -ne 0 ] || fail "--mount type=nosuch was accepted"
	net_finish
}
net_run_test volumes/mount-flag test_mount_flag

test_anonymous() {
	net_begin volume
	local before anon
	before=$(vols)
	crun --name a1 -v /data "$IMG" sh -c 'echo anon > /data/f; exec sleep 300'
	anon=$(b inspect a1 | jq -r '.[0].Mounts[] | select(.Destination == "/data") | .Name')
	[[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "anonymous volume name '$anon'"
	vol_track "$anon"
	vols | grep -qxF "$anon" || fail "volume ls has no $anon"
	b_ok rm -f -v a1
	vols | grep -qxF "$anon" && fail "rm -v left the anonymous volume $anon"
	# The image's VOLUME /data: an anonymous volume with the image's files.
	crun --name a2 "$WEB" sleep 300
	anon=$(b inspect a2 | jq -r '.[0].Mounts[] | select(.Destination == "/data") | .Name')
	[[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "image VOLUME gave no anonymous volume: $(mounts_of a2)"
	vol_track "$anon"
	in_c a2 cat /data/seed.txt /data/sub/deep.txt
	assert_eq "seed deep" "$(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "image content in the anonymous volume ($ERR)"
	assert_eq seed "$(cat "$(vinsp "$anon" .Mountpoint)/seed.txt" 2>/dev/null)" "image content on the host"
	# rm without -v keeps it (Docker); prune then removes it.
	b_ok rm -f a2
	vols | grep -qxF "$anon" || fail "rm without -v removed the anonymous volume"
	b_ok volume prune -f
	vols | grep -qxF "$anon" && fail "volume prune left the unused anonymous volume"
	assert_eq "$before" "$(vols)" "volumes at the end"
	net_finish
}
net_run_test volumes/anonymous test_anonymous

test_populate() {
	net_begin volume
	local v=btv-pop-$$ w=btv-full-$$
	vcreate "$v"
	runo -v "$v:/data" "$WEB" sh -c 'cat /data/seed.txt /data/sub/deep.txt; echo mine > /data/mine'
	assert_eq "0 seed deep" "$RC $(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "a new volume gets the image's /data ($ERR)"
	# Only on first use: the content stays what the containers made.
	runo -v "$v:/data" "$WEB" sh -c 'rm /data/seed.txt'
	runo -v "$v:/data" "$WEB" ls /data
	assert_eq "mine sub" "$(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "a used volume is not populated again"
	# A volume that is not empty is never populated.
	vcreate "$w"
	runo -v "$w:/data" "$IMG" sh -c 'echo other > /data/o'
	runo -v "$w:/data" "$WEB" ls /data
	assert_eq o "$OUT" "a non-empty volume mounted over the image's /data"
	# nocopy: --mount volume-nocopy leaves a new volume empty.
	vol_track "$v-nocopy"
	runo --mount "type=volume,source=$v-nocopy,target=/data,volume-nocopy" "$WEB" ls /data
	assert_eq "0 " "$RC $OUT" "volume-nocopy ($ERR)"
	net_finish
}
net_run_test volumes/populate test_populate

test_volumes_from() {
	net_begin volume
	local v=btv-from-$$
	vcreate "$v"
	crun --name src -v "$v:/data" -v /anon "$IMG" sh -c 'echo named > /data/f; echo anon > /anon/f; exec sleep 300'
	eng_wait_for 10 b exec src test -f /anon/f || fail "src did not write"
	runo --volumes-from src "$IMG" cat /data/f /anon/f
	assert_eq "0 named anon" "$RC $(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "--volumes-from src ($ERR)"
	runo --volumes-from src:ro "$IMG" sh -c 'echo x > /data/f'
	[ "$RC" -ne 0 ] || fail "a write through --volumes-from src:ro succeeded"
	crun --name dst --volumes-from src "$IMG" sleep 300
	assert_eq "$(b inspect src | jq -r '.[0].Mounts[] | "\(.Name) \(.Destination)"' | sort)" \
		"$(b inspect dst | jq -r '.[0].Mounts[] | "\(.Name) \(.Destination)"' | sort)" "Mounts of src and dst"
	runo --volumes-from "nosuch-$$" "$IMG" true
	[ "$RC" -ne 0 ] || fail "--volumes-from a missing container was accepted"
	net_finish
}
net_run_test volumes/volumes-from test_volumes_from

test_symlink_escape() {
	net_begin volume
	local v=btv-sym-$$ mp
	vcreate "$v"
	mp=$(vinsp "$v" .Mountpoint)
	# A container plants symlinks in the volume that point out of it.
	runo -v "$v:/data" "$IMG" sh -c 'ln -s / /data/root; ln -s /etc /data/etc; ln -s ../../../../../../../tmp /data/up'
	assert_eq 0 "$RC" "planting symlinks ($ERR)"
	# Mounting another volume or a bind at a path through them stays
	# inside the container (Docker resolves the target in its rootfs).
	local h=$T/symh
	mkdir -p "$h"
	echo inner >"$h/f"
	runo -v "$v:/data" -v "$h:/data/up/escaped" "$IMG" cat /data/up/escaped/f
	[ ! -e /tmp/escaped ] || { rmdir /tmp/escaped 2>/dev/null; fail "a mount through a symlink in a volume created /tmp/escaped on the host"; }
	[ ! -e "$mp/../../../tmp/escaped" ] || fail "a mount escaped the volume"
	# The host's /etc is untouched whatever happened.
	runo -v "$v:/data" -v "$h:/data/etc/berth-escape-$$" "$IMG" true
	[ ! -e "/etc/berth-escape-$$" ] || { rmdir "/etc/berth-escape-$$" 2>/dev/null; fail "a mount through /data/etc created /etc/berth-escape-$$ on the host"; }
	net_finish
}
net_run_test volumes/symlink-escape test_symlink_escape

no_containers() { [ -z "$(b ps -a -q)" ]; }
# A --rm container's anonymous volumes go with it, its named ones stay
# (Docker removes a --rm container as rm -v does): when it exits, when
# its start fails, and when it ended while berthd was down.
test_rm_anonymous() {
	net_begin volume
	local before v=btv-rmkeep-$$ mp
	before=$(vols)
	vol_track "$v"
	runo -v /data -v "$v:/named" "$IMG" sh -c 'echo a > /data/f; echo n > /named/f'
	assert_eq 0 "$RC" "run --rm -v /data -v $v:/named ($ERR)"
	assert_eq "$(printf '%s\n' $before "$v" | sort)" "$(vols)" "volumes after run --rm (only $v stays)"
	mp=$(vinsp "$v" .Mountpoint)
	assert_eq n "$(cat "$mp/f" 2>/dev/null)" "data of the named volume after run --rm"
	# The image's VOLUME /data too, and --mount without a source.
	runo --mount type=volume,target=/m "$WEB" cat /data/seed.txt
	assert_eq "0 seed" "$RC $OUT" "run --rm of the VOLUME image ($ERR)"
	assert_eq "$(printf '%s\n' $before "$v" | sort)" "$(vols)" "volumes after run --rm of the VOLUME image"
	# A start that fails removes the container and its anonymous volume.
	b_out run --rm -v /data "$IMG" /nosuch-binary
	[ "$RC" -ne 0 ] || fail "run --rm of a missing binary succeeded"
	assert_eq "" "$(b ps -a -q)" "containers after a failed run --rm"
	assert_eq "$(printf '%s\n' $before "$v" | sort)" "$(vols)" "volumes after a failed run --rm"
	# Without --rm the anonymous volume stays with the stopped container.
	crun --name keep -v /data "$IMG" true
	eng_wait_state keep exited 10
	local anon
	anon=$(b inspect keep | jq -r '.[0].Mounts[0].Name')
	vol_track "$anon"
	vols | grep -qxF "$anon" || fail "a stopped container lost its anonymous volume $anon"
	b_ok rm -v keep
	# A --rm container that ends while berthd is down: removed with its
	# anonymous volume when berthd comes back.
	crun --rm --name late -v /data "$IMG" sh -c 'sleep 2'
	anon=$(b inspect late | jq -r '.[0].Mounts[0].Name')
	vol_track "$anon"
	[[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "no anonymous volume for late: '$anon'"
	eng_kill9_berthd
	sleep 3
	eng_restart_berthd
	eng_wait_for 10 no_containers || fail "late was not removed after the restart: $(b ps -a)"
	vols | grep -qxF "$anon" && fail "the anonymous volume of late outlived it across the restart"
	assert_eq "$(printf '%s\n' $before "$v" | sort)" "$(vols)" "volumes at the end"
	net_finish
}
net_run_test volumes/rm-anonymous test_rm_anonymous
