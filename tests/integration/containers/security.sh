# containers/security: Docker's defaults (14 capabilities, the seccomp
# allow-list, masked and read-only paths, a private /dev) and the flags
# that change them.

# capeff ARGS...: CapEff of a container's init run with ARGS.
capeff() {
	b_out run --rm "$@" "$IMG" sh -c 'grep ^CapEff /proc/1/status | cut -f2'
	[ "$RC" -eq 0 ] || fail "run $* exited $RC: $ERR"
	echo "$OUT"
}

test_security_caps() {
	begin
	# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
	# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
	assert_eq 00000000a80425fb "$(capeff)" "the 14 default capabilities"
	assert_eq 0000000000000000 "$(capeff --cap-drop ALL)" "--cap-drop ALL"
	assert_eq 00000000a80405fb "$(capeff --cap-drop NET_RAW)" "--cap-drop NET_RAW"
	assert_eq 00000000a82425fb "$(capeff --cap-add SYS_ADMIN)" "--cap-add SYS_ADMIN"
	assert_eq 00000000a82425fb "$(capeff --cap-add CAP_SYS_ADMIN)" "--cap-add CAP_SYS_ADMIN"
	assert_eq 0000000000000400 "$(capeff --cap-drop ALL --cap-add NET_BIND_SERVICE)" "drop ALL, add one"
	# --privileged: every capability the host's bounding set allows
	local bnd
	bnd=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
	assert_eq "$bnd" "$(capeff --privileged)" "--privileged capabilities"
	b_out run --rm --privileged "$IMG" sh -c 'grep ^Seccomp: /proc/1/status | cut -f2; grep -c " /proc/keys " /proc/self/mountinfo'
	[ "${OUT%%$'\n'*}" = 0 ] || fail "--privileged has seccomp: $OUT"
	[ "${OUT##*$'\n'}" = 0 ] || fail "--privileged still masks /proc/keys: $OUT"
	b_out run --rm --privileged "$IMG" sh -c 'mkdir /tmp/t && mount -t tmpfs none /tmp/t && echo mounted'
	assert_eq mounted "$OUT" "mount with --privileged ($ERR)"
	b_out run --rm --cap-add NOPE "$IMG" true
	assert_eq 125 "$RC" "--cap-add NOPE exit"
	assert_contains "$ERR" "unknown capability" "--cap-add NOPE"
	finish
}

test_security_seccomp() {
	begin
	b_out run --rm "$IMG" sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\t" | tr "\n" " "'
	assert_eq "NoNewPrivs:0 Seccomp:2 " "$OUT" "defaults ($ERR)"
	b_out run --rm --security-opt no-new-privileges "$IMG" grep NoNewPrivs /proc/self/status
	assert_eq $'NoNewPrivs:\t1' "$OUT" "--security-opt no-new-privileges ($ERR)"
	b_out run --rm --security-opt no-new-privileges=true "$IMG" grep NoNewPrivs /proc/self/status
	assert_eq $'NoNewPrivs:\t1' "$OUT" "--security-opt no-new-privileges=true ($ERR)"
	# the default profile blocks unshare (a user namespace needs no
	# capability, so only seccomp stands in the way) and mount
	b_out run --rm "$IMG" unshare -U true
	[ "$RC" -ne 0 ] || fail "unshare -U allowed under the default profile"
	b_out run --rm "$IMG" sh -c 'mkdir -p /mnt/t; mount -t tmpfs none /mnt/t'
	[ "$RC" -ne 0 ] || fail "mount allowed by default"
	b_out run --rm --security-opt seccomp=unconfined "$IMG" sh -c 'grep ^Seccomp: /proc/self/status | cut -f2; unshare -U true && echo unshared'
	assert_eq $'0\nunshared' "$OUT" "seccomp=unconfined ($ERR)"
	# seccomp=FILE: a profile of our own that refuses mkdir
	cat >"$T/profile.json" <<'P'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
P
	b_out run --rm --security-opt "seccomp=$T/profile.json" "$IMG" sh -c 'echo before; mkdir /tmp/x && echo made'
	assert_eq before "$OUT" "seccomp=FILE lets echo run, refuses mkdir ($ERR)"
	b_out run --rm --security-opt seccomp=/nonexistent.json "$IMG" true
	assert_eq 125 "$RC" "seccomp=missing file exit"
	finish
}

test_security_paths() {
	begin
	# masked: an empty file or dir mounted over (kcore only where the
	# kernel has one)
	b_out run --rm "$IMG" sh -c 'for p in /proc/keys /proc/timer_list /sys/firmware; do grep -c " $p " /proc/self/mountinfo; done; cat /proc/keys | wc -l | tr -d " "; ls /sys/firmware | wc -l | tr -d " "'
	assert_eq $'1\n1\n1\n0\n0' "$OUT" "masked /proc/keys, /proc/timer_list, /sys/firmware ($ERR)"
	if [ -e /proc/kcore ]; then
		b_out run --rm "$IMG" sh -c 'wc -c </proc/kcore | tr -d " "'
		assert_eq 0 "$OUT" "masked /proc/kcore ($ERR)"
	fi
	b_out run --rm "$IMG" sh -c 'echo 1 >/proc/sysrq-trigger'
	[ "$RC" -ne 0 ] || fail "/proc/sysrq-trigger writable"
	b_out run --rm "$IMG" sh -c 'echo x >/proc/sys/kernel/hostname'
	[ "$RC" -ne 0 ] || fail "/proc/sys writable"
	b_out run --rm "$IMG" sh -c 'touch /sys/x'
	[ "$RC" -ne 0 ] || fail "/sys writable"
	b_out run --rm "$IMG" sh -c 'for n in null zero full random urandom tty; do test -c /dev/$n || echo missing $n; done; test -d /dev/pts && test -d /dev/shm && test -d /dev/mqueue || echo missing dirs; ls /dev | grep -c "^sd"'
	assert_eq 0 "$OUT" "/dev holds the usual nodes and no host disks ($ERR)"
	b_out run --rm "$IMG" sh -c 'echo hi >/dev/null && head -c 4 /dev/zero | wc -c | tr -d " "'
	assert_eq 4 "$OUT" "/dev/null and /dev/zero work"
	finish
}

test_security_readonly_tmpfs() {
	begin
	b_out run --rm --read-only "$IMG" touch /x
	[ "$RC" -ne 0 ] || fail "--read-only: write to / succeeded"
	assert_contains "$ERR" "Read-only file system" "--read-only error"
	b_out run --rm --read-only --tmpfs /run --tmpfs /data:size=1m,mode=1777 "$IMG" sh -c \
		'touch /run/a && touch /data/b && echo ok; grep " /data " /proc/mounts | cut -d" " -f3; stat -c %a /data'
	assert_eq $'ok\ntmpfs\n1777' "$OUT" "--tmpfs on a read-only root ($ERR)"
	b_out run --rm --tmpfs /data:size=1m "$IMG" sh -c 'dd if=/dev/zero of=/data/f bs=1k count=2048 2>/dev/null'
	[ "$RC" -ne 0 ] || fail "--tmpfs size=1m held 2 MiB"
	finish
}

test_security_init() {
	begin stop
	b_out run --rm --init "$IMG" sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo $$'
	assert_eq 0 "$RC" "--init ($ERR)"
	assert_contains "${OUT%%$'\n'*}" init "pid 1 with --init"
	assert_contains "${OUT%%$'\n'*}" berth-init "pid 1 is berth-init"
	[ "${OUT##*$'\n'}" != 1 ] || fail "with --init the command is still pid 1"
	# the init forwards signals: stop is quick although sh ignores TERM as pid 1 would
	crun --init "$IMG" sleep 100
	local t0=$SECONDS
	b stop -t 10 "$CID" >/dev/null || fail "stop"
	[ $((SECONDS - t0)) -lt 5 ] || fail "stop of an --init container waited for the timeout"
	assert_eq 143 "$(insp "$CID" '{{.State.ExitCode}}')" "exit code after TERM through the init"
	# and reaps: a zombie does not stay
	b_out run --rm --init "$IMG" sh -c '(sleep 0.1 &) ; sleep 0.5; ps -o stat | grep -c Z'
	assert_eq 0 "$OUT" "zombies under --init"
	finish
}

run_test containers/security-caps test_security_caps
run_test containers/security-seccomp test_security_seccomp
run_test containers/security-paths test_security_paths
run_test containers/security-readonly-tmpfs test_security_readonly_tmpfs
run_test containers/security-init test_security_init
