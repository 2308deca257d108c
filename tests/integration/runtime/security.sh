# security.sh - seccomp, fd hygiene, --preserve-fds, and the runtime binary
# out of the container's reach (CVE-2019-5736 class). Sourced by run.sh.

t_seccomp_default_none() {
	new_bundle "$B"
	run_sh 'grep "^Seccomp:" /proc/self/status'
	[[ $OUT =~ Seccomp:[[:space:]]+0 ]] || fail "seccomp active without a profile: $OUT"
}

t_seccomp_errno() {
	new_bundle "$B"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	set_sh 'grep "^Seccomp:" /proc/self/status; touch /tmp/file-ok && echo touched; mkdir /tmp/d'
	run_out
	[ "$RC" -ne 0 ] || fail "mkdir succeeded under an ERRNO rule"
	assert_contains "$OUT" "Seccomp:	2" "seccomp mode"
	assert_contains "$OUT" touched "unfiltered syscalls"
	assert_contains "$ERR" "Operation not permitted" "mkdir error (errnoRet 1 = EPERM)"
	[ ! -d "$B/rootfs/tmp/d" ] || fail "directory created despite the rule"
}

t_seccomp_errno_default() {
	# No errnoRet: the runtime's default errno is EPERM.
	new_bundle "$B"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	set_sh 'mkdir /tmp/d'
	run_out
	[ "$RC" -ne 0 ] || fail "mkdir succeeded under an ERRNO rule"
	assert_contains "$ERR" "Operation not permitted" "mkdir error"
}

t_seccomp_arg_condition() {
	# chmod to mode 0777 only is refused (EACCES); 0755 passes.
	new_bundle "$B"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
		{names: ["chmod"], action: "SCMP_ACT_ERRNO", errnoRet: 13, args: [{index: 1, value: 511, op: "SCMP_CMP_EQ"}]},
		{names: ["fchmodat"], action: "SCMP_ACT_ERRNO", errnoRet: 13, args: [{index: 2, value: 511, op: "SCMP_CMP_EQ"}]}]}'
	set_sh 'touch /tmp/f; chmod 755 /tmp/f && echo mode-755-ok; chmod 777 /tmp/f; stat -c %a /tmp/f'
	run_out
	assert_contains "$OUT" mode-755-ok "chmod 755"
	assert_contains "$ERR" "Permission denied" "chmod 777 error (errnoRet 13 = EACCES)"
	assert_eq 755 "$(tail -1 <<<"$OUT")" "mode after refused chmod 777"
}

t_seccomp_kill() {
	new_bundle "$B"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["sethostname"], action: "SCMP_ACT_KILL"}]}'
	set_sh 'echo before; sh -c "hostname foo"; echo "rc=$?"'
	run_ok
	# SIGSYS = 31: the shell reports 128 + 31.
	assert_eq "before
rc=159" "$OUT" "a child killed by SCMP_ACT_KILL"
}

# fd lists are read from the host: a shell looking at its own fds would see
# its pipeline's pipes.
host_fds() { ls "/proc/$1/fd" | sort -n | tr '\n' ' '; }

t_no_fd_leak() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	assert_eq "0 1 2 " "$(host_fds "$(state_field "$ID" pid)")" "fds of the container init"
}

t_no_fd_leak_exec() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	rt exec -d --pid-file "$T/epid" "$ID" sleep 50 3<"$B/config.json" || fail "exec -d failed"
	assert_eq "0 1 2 " "$(host_fds "$(cat "$T/epid")")" "fds of an exec'd process"
}

t_preserve_fds() {
	new_bundle "$B"
	echo passed-through >"$T/fd3file"
	set_args sleep 100
	rt run -d --preserve-fds 1 --bundle "$B" "$ID" 3<"$T/fd3file" 4<"$B/config.json" >/dev/null 2>"$T/err" </dev/null ||
		fail "run --preserve-fds failed: $(cat "$T/err")"
	local pid
	pid=$(state_field "$ID" pid)
	assert_eq "0 1 2 3 " "$(host_fds "$pid")" "fds with --preserve-fds 1"
	assert_eq passed-through "$(cat "/proc/$pid/fd/3")" "content behind fd 3"
}

t_extra_fd_not_passed() {
	# Without --preserve-fds open fds 3 and 4 of the caller are not inherited.
	new_bundle "$B"
	set_args sleep 100
	rt run -d --bundle "$B" "$ID" 3<"$B/config.json" 4<"$B/config.json" >/dev/null 2>"$T/err" </dev/null ||
		fail "run -d failed: $(cat "$T/err")"
	assert_eq "0 1 2 " "$(host_fds "$(state_field "$ID" pid)")" "fds of the container init"
}

# CVE-2019-5736: a container process must not reach the runtime binary
# through /proc/<pid>/exe and overwrite it.
t_cve_2019_5736() {
	local rt_bin
	rt_bin=$(readlink -f "$RUNTIME")
	local sum_before
	sum_before=$(sha256sum "$rt_bin" | cut -d' ' -f1)
	new_bundle "$B"
	set_args sleep 100
	start_bg
	local out
	out=$(rt exec "$ID" readlink /proc/1/exe) || fail "exec failed"
	assert_eq /bin/busybox "$out" "/proc/1/exe of the container init"
	# Race the runtime's own process while it execs: a background loop in the
	# container keeps trying to open every /proc/*/exe for writing, while
	# exec runs several times.
	cat >"$B/rootfs/attack.sh" <<'EOF'
#!/bin/sh
end=$(( $(date +%s) + 3 ))
while [ "$(date +%s)" -lt "$end" ]; do
	for e in /proc/[0-9]*/exe; do
		if (echo pwned >>"$e") 2>/dev/null; then echo "WROTE $e $(readlink "$e")" >>/tmp/attack.log; fi
	done
done
echo done >>/tmp/attack.log
EOF
	chmod 755 "$B/rootfs/attack.sh"
	rt exec -d "$ID" /attack.sh || fail "exec -d attack failed"
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rt exec "$ID" true || fail "exec $i failed"
	done
	local n=0
	while ! grep -q done "$B/rootfs/tmp/attack.log" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	assert_eq "$sum_before" "$(sha256sum "$rt_bin" | cut -d' ' -f1)" "checksum of the runtime binary"
	if grep -q WROTE "$B/rootfs/tmp/attack.log" 2>/dev/null; then
		# Writes to the container's own files are harmless; anything that is
		# not busybox or the attack script is the host's.
		grep WROTE "$B/rootfs/tmp/attack.log" | grep -v -e ' /bin/busybox$' -e ' /attack.sh$' &&
			fail "container opened a host executable for writing"
	fi
	true
}

t_proc_self_exe_not_runtime_after_start() {
	new_bundle "$B"
	set_args sleep 100
	rt create --bundle "$B" "$ID" || fail "create failed"
	local pid
	pid=$(state_field "$ID" pid)
	rt start "$ID" || fail "start failed"
	wait_status "$ID" running
	local exe
	exe=$(readlink "/proc/$pid/exe")
	[ "$exe" != "$(readlink -f "$RUNTIME")" ] || fail "container init still runs the runtime binary after start"
	# Seen from the host the link names the path inside the container's
	# mount namespace.
	assert_eq /bin/busybox "$exe" "host view of the init's exe"
}

run_test runtime/security/seccomp-default-none t_seccomp_default_none
run_test runtime/security/seccomp-errno t_seccomp_errno
run_test runtime/security/seccomp-errno-default-eperm t_seccomp_errno_default
run_test runtime/security/seccomp-arg-condition t_seccomp_arg_condition
run_test runtime/security/seccomp-kill t_seccomp_kill
run_test runtime/security/no-fd-leak t_no_fd_leak
run_test runtime/security/no-fd-leak-exec t_no_fd_leak_exec
run_test runtime/security/preserve-fds t_preserve_fds
run_test runtime/security/extra-fd-not-passed t_extra_fd_not_passed
run_test runtime/security/CVE-2019-5736-runtime-exe t_cve_2019_5736
run_test runtime/security/init-exe-not-runtime t_proc_self_exe_not_runtime_after_start
