# mounts.sh - root, mounts, maskedPaths, readonlyPaths, /dev, linux.devices,
# sysctl, and the symlink-escape regression. Sourced by run.sh.

t_mount_tmpfs_size_mode() {
	new_bundle "$B"
	cfg '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=1770", "nosuid"]}]'
	set_sh 'stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"; grep " /scratch " /proc/self/mounts; head -c 2000000 /dev/zero > /scratch/big'
	run_out
	[ "$RC" -ne 0 ] || fail "writing 2MB into a 1MB tmpfs succeeded"
	assert_eq 1770 "$(sed -n 1p <<<"$OUT")" "tmpfs mode"
	assert_eq 1024 "$(sed -n 2p <<<"$OUT")" "tmpfs size in KiB"
	assert_contains "$(sed -n 3p <<<"$OUT")" nosuid "tmpfs options"
}

t_mount_bind_ro() {
	new_bundle "$B"
	mkdir -p "$T/hostro"
	echo content >"$T/hostro/file"
	cfg --arg s "$T/hostro" '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["bind", "ro"]}]'
	set_sh 'cat /data/file; echo x > /data/file'
	run_out
	[ "$RC" -ne 0 ] || fail "write to a read-only bind mount succeeded"
	assert_eq content "$OUT" "read through a ro bind"
	assert_contains "$ERR" "Read-only" "write error"
	assert_eq content "$(cat "$T/hostro/file")" "host file after write attempt"
}

t_mount_bind_rw() {
	new_bundle "$B"
	mkdir -p "$T/hostrw"
	cfg --arg s "$T/hostrw" '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "rw"]}]'
	run_sh 'echo from-container > /data/new'
	assert_eq from-container "$(cat "$T/hostrw/new")" "file written through a rw bind"
}

t_mount_bind_file() {
	new_bundle "$B"
	echo one-file >"$T/single"
	cfg --arg s "$T/single" '.mounts += [{destination: "/etc/single", type: "bind", source: $s, options: ["bind", "ro"]}]'
	run_sh 'cat /etc/single'
	assert_eq one-file "$OUT" "file bind mount"
}

t_mount_propagation() {
	new_bundle "$B"
	# A shared host mount, bound rslave: host mounts below it appear inside.
	mkdir -p "$T/hostprop"
	mount -t tmpfs -o size=1m berth-prop "$T/hostprop" || fail "host tmpfs mount failed"
	mount --make-shared "$T/hostprop"
	mkdir -p "$T/hostprop/sub"
	cfg --arg s "$T/hostprop" '.mounts += [{destination: "/prop", type: "bind", source: $s, options: ["rbind", "rslave"]}] |
		.linux.rootfsPropagation = "slave" | .process.args = ["sleep", "100"]'
	start_bg
	mount -t tmpfs -o size=1m berth-prop-sub "$T/hostprop/sub" || fail "host sub mount failed"
	echo later >"$T/hostprop/sub/f"
	local out
	out=$(rt exec "$ID" sh -c 'grep " /prop " /proc/self/mountinfo; cat /prop/sub/f') || fail "exec failed"
	assert_contains "$out" "master:" "propagation of an rslave mount"
	assert_contains "$out" "later" "host mount made after start, seen through rslave"
	rt delete -f "$ID"
	umount "$T/hostprop/sub" "$T/hostprop"
}

t_masked_paths() {
	new_bundle "$B"
	mkdir -p "$B/rootfs/secretdir"
	echo s >"$B/rootfs/secretdir/f"
	echo s >"$B/rootfs/secretfile"
	cfg '.linux.maskedPaths += ["/secretdir", "/secretfile", "/no/such/path"]'
	run_sh 'ls -A /secretdir | wc -l; wc -c < /secretfile; wc -c < /proc/keys; ls /sys/firmware | wc -l; [ ! -e /proc/kcore ] || wc -c < /proc/kcore'
	assert_eq "0
0
0
0" "$OUT" "masked /secretdir, /secretfile, /proc/keys, /sys/firmware (and /proc/kcore where present)"
	assert_eq s "$(cat "$B/rootfs/secretfile")" "host copy of the masked file"
}

t_readonly_paths() {
	new_bundle "$B"
	set_sh 'echo 1 > /proc/sys/kernel/shm_rmid_forced'
	run_out
	[ "$RC" -ne 0 ] || fail "write to readonly /proc/sys succeeded"
	assert_contains "$ERR" "Read-only" "error writing /proc/sys"
	set_sh 'echo h > /proc/sysrq-trigger'
	run_out
	[ "$RC" -ne 0 ] || fail "write to readonly /proc/sysrq-trigger succeeded"
}

t_root_readonly() {
	new_bundle "$B"
	cfg '.root.readonly = true'
	set_sh 'echo ok > /tmp/ok-on-tmpfs-is-not-there; touch /newfile'
	run_out
	[ "$RC" -ne 0 ] || fail "write to a read-only root succeeded"
	assert_contains "$ERR" "Read-only" "write error"
	[ ! -e "$B/rootfs/newfile" ] || fail "file created on the read-only root"
	# The runtime's own mounts stay writable.
	set_sh 'echo x > /dev/shm/x && cat /dev/shm/x'
	run_ok
	assert_eq x "$OUT" "/dev/shm on a read-only root"
}

t_dev_nodes() {
	new_bundle "$B"
	run_sh 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done
		for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		echo x > /dev/null && head -c 4 /dev/zero | wc -c; echo x > /dev/full 2>/dev/null || echo full-ENOSPC'
	local want
	want="null character special file 1:3
zero character special file 1:5
full character special file 1:7
random character special file 1:8
urandom character special file 1:9
tty character special file 5:0
ptmx -> pts/ptmx
fd -> /proc/self/fd
stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
4
full-ENOSPC"
	assert_eq "$want" "$OUT" "/dev contents"
}

t_dev_no_host_devices() {
	# Only the default nodes: no host disk shows up.
	new_bundle "$B"
	run_sh 'ls /dev'
	local d
	for d in $(ls /dev | grep -E '^(vd|sd|nvme|loop|kmsg|mem)'); do
		grep -qx "$d" <<<"$OUT" && fail "host device /dev/$d visible in the container"
	done
	true
}

t_linux_devices() {
	new_bundle "$B"
	cfg '.linux.devices = [{path: "/dev/berthnull", type: "c", major: 1, minor: 3, fileMode: 438, uid: 0, gid: 0}]'
	run_sh 'stat -c "%F %t:%T %a" /dev/berthnull; echo x > /dev/berthnull && echo wrote'
	assert_eq "character special file 1:3 666
wrote" "$OUT" "linux.devices node"
}

t_devices_cgroup_denies() {
	# A node the devices cgroup does not allow can't be opened even by root
	# with CAP_MKNOD.
	new_bundle "$B"
	cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
	set_sh 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem'
	run_out
	[ "$RC" -ne 0 ] || fail "opened /dev/mem (1:1) through mknod: devices cgroup not enforced"
}

t_sysctl() {
	new_bundle "$B"
	cfg '.linux.sysctl = {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_forward": "1"}'
	run_sh 'cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_forward'
	assert_eq "1
1" "$OUT" "sysctls in the container"
}

t_sysctl_host_untouched() {
	local before
	before=$(cat /proc/sys/kernel/shm_rmid_forced)
	new_bundle "$B"
	cfg --arg v "$((1 - before))" '.linux.sysctl = {"kernel.shm_rmid_forced": $v}'
	run_sh 'cat /proc/sys/kernel/shm_rmid_forced'
	assert_eq "$((1 - before))" "$OUT" "sysctl in the container"
	assert_eq "$before" "$(cat /proc/sys/kernel/shm_rmid_forced)" "host sysctl"
}

t_hostname_file() {
	new_bundle "$B"
	cfg '.hostname = "named-box"'
	run_sh 'hostname; uname -n'
	assert_eq "named-box
named-box" "$OUT" "hostname"
}

# CVE-2021-30465 class: a mount destination under a symlink in the rootfs
# must resolve inside the rootfs, never on the host.
t_symlink_escape() {
	new_bundle "$B"
	mkdir -p "$T/hostdir_of_test"
	ln -s "$T/hostdir_of_test" "$B/rootfs/evil"
	leak_snapshot
	cfg '.mounts += [{destination: "/evil/x", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_sh 'touch /evil/x/marker 2>/dev/null; true'
	run_out
	[ -z "$(ls -A "$T/hostdir_of_test")" ] || fail "mount destination escaped the rootfs: host dir has $(ls -A "$T/hostdir_of_test")"
	[ -z "$(scope_mounts)" ] || fail "host mount under test dir: $(scope_mounts)"
	# The same with a bind mount.
	mkdir -p "$T/src"
	echo s >"$T/src/f"
	cfg --arg s "$T/src" '.mounts[-1] = {destination: "/evil/y", type: "bind", source: $s, options: ["bind"]}'
	run_out
	[ -z "$(ls -A "$T/hostdir_of_test")" ] || fail "bind destination escaped the rootfs: host dir has $(ls -A "$T/hostdir_of_test")"
	leak_check
}

t_symlink_escape_relative() {
	new_bundle "$B"
	mkdir -p "$T/hostdir_rel"
	# ../../../.. climbs out of rootfs if resolved on the host.
	ln -s "../../../../../../../../..$T/hostdir_rel" "$B/rootfs/evil2"
	cfg '.mounts += [{destination: "/evil2/x", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_sh 'true'
	run_out
	[ -z "$(ls -A "$T/hostdir_rel")" ] || fail "mount destination escaped via ../: host dir has $(ls -A "$T/hostdir_rel")"
	[ -z "$(scope_mounts)" ] || fail "host mount under test dir: $(scope_mounts)"
}

run_test runtime/mounts/tmpfs-size-mode t_mount_tmpfs_size_mode
run_test runtime/mounts/bind-ro t_mount_bind_ro
run_test runtime/mounts/bind-rw t_mount_bind_rw
run_test runtime/mounts/bind-file t_mount_bind_file
run_test runtime/mounts/propagation-rslave t_mount_propagation
run_test runtime/mounts/maskedPaths t_masked_paths
run_test runtime/mounts/readonlyPaths t_readonly_paths
run_test runtime/mounts/root-readonly t_root_readonly
run_test runtime/mounts/dev-nodes t_dev_nodes
run_test runtime/mounts/dev-no-host-devices t_dev_no_host_devices
run_test runtime/mounts/linux-devices t_linux_devices
run_test runtime/mounts/devices-cgroup-denies t_devices_cgroup_denies
run_test runtime/mounts/sysctl t_sysctl
run_test runtime/mounts/sysctl-host-untouched t_sysctl_host_untouched
run_test runtime/mounts/hostname t_hostname_file
run_test runtime/mounts/CVE-2021-30465-symlink-escape t_symlink_escape
run_test runtime/mounts/symlink-escape-dotdot t_symlink_escape_relative
