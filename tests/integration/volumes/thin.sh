# thin.sh - volumes family: a sized volume (--opt size=32M) is a hard
# limit while the host spends only what is written; volume inspect shows
# size and used. Sourced by run.sh.

# alloc_kib FILE: what the file allocates on the host, in KiB.
alloc_kib() { du -k "$1" | cut -f1; }

test_thin() {
	command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4 on the host"
	net_begin volume
	local v=btv-thin-$$ img mp
	vcreate "$v" --opt size=32M
	assert_eq 32M "$(vinsp "$v" .Options.size)" "inspect Options.size"
	assert_eq 33554432 "$(vinsp "$v" .Status.size)" "inspect Status.size"
	mp=$(vinsp "$v" .Mountpoint)
	img=$(dirname "$mp")/disk.img
	[ -f "$img" ] || fail "no disk.img next to $mp: $(ls "$(dirname "$mp")")"
	local empty
	empty=$(alloc_kib "$img")
	[ "$empty" -lt 8192 ] || fail "an empty 32M volume allocates ${empty} KiB on the host"
	# 4 MiB written: the host spends about 4 MiB more.
	runo -v "$v:/data" "$IMG" sh -c 'dd if=/dev/urandom of=/data/four bs=1M count=4 2>/dev/null && sync'
	assert_eq 0 "$RC" "4 MiB into the sized volume ($ERR)"
	local four used
	four=$(alloc_kib "$img")
	[ "$four" -ge $((empty + 3500)) ] && [ "$four" -le $((empty + 4096 + 2048)) ] ||
		fail "after a 4 MiB write disk.img allocates $four KiB (empty: $empty KiB)"
	used=$(vinsp "$v" .Status.used)
	[[ $used =~ ^[0-9]+$ ]] || fail "inspect Status.used '$used'"
	[ $((used / 1024)) -ge $((four - 1024)) ] && [ $((used / 1024)) -le $((four + 1024)) ] ||
		fail "inspect Status.used ${used} B, disk.img allocates ${four} KiB"
	# 64 MiB cannot fit: the write fails with ENOSPC.
	runo -v "$v:/data" "$IMG" sh -c 'dd if=/dev/zero of=/data/big bs=1M count=64'
	[ "$RC" -ne 0 ] || fail "a 64 MiB write into a 32M volume succeeded"
	assert_contains "$ERR$OUT" "No space left on device" "64 MiB into a 32M volume"
	local full
	full=$(alloc_kib "$img")
	[ "$full" -le $((32768 + 1024)) ] || fail "disk.img of a 32M volume allocates $full KiB"
	# BERTH_FIGURES=FILE collects the figures for a closing note.
	echo "volumes/thin: 32M volume; disk.img allocates ${empty} KiB empty, ${four} KiB after 4 MiB written (Status.used ${used} B), ${full} KiB after a refused 64 MiB write" >>"${BERTH_FIGURES:-/dev/null}"
	runo -v "$v:/data" "$IMG" sh -c 'rm /data/big; cat /data/four | wc -c'
	assert_eq "0 4194304" "$RC $OUT" "the earlier data after the full write ($ERR)"
	# The mount on the host is berth's, and goes with the volume.
	grep -qF " $mp " /proc/self/mountinfo || fail "the sized volume is not mounted on $mp"
	b_ok volume rm "$v"
	grep -qF " $mp " /proc/self/mountinfo && fail "$mp still mounted after volume rm"
	[ ! -e "$img" ] || fail "disk.img still there after volume rm"
	b_out volume create --opt size=lots "btv-bad-$$"
	[ "$RC" -ne 0 ] || { vol_track "btv-bad-$$"; fail "--opt size=lots was accepted"; }
	net_finish
}
net_run_test volumes/thin test_thin
