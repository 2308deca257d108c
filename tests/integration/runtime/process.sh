# process.sh - the process object of config.json (args, env, cwd, user,
# umask, rlimits, noNewPrivileges, capabilities, oomScoreAdj) and exec.
# Sourced by run.sh.

t_args() {
	new_bundle "$B"
	set_args sh -c 'printf "[%s]" "$@"' argv0 "a b" "" 'c"d'
	run_ok
	assert_eq '[a b][][c"d]' "$OUT" "argv seen by the process"
}

t_env() {
	new_bundle "$B"
	cfg '.process.env += ["FOO=bar baz", "EMPTY="]'
	run_sh 'echo "$FOO|${EMPTY-unset}|$PATH"'
	assert_eq "bar baz||/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$OUT" "environment"
}

t_cwd() {
	new_bundle "$B"
	mkdir -p "$B/rootfs/srv/work"
	cfg '.process.cwd = "/srv/work"'
	run_sh 'pwd'
	assert_eq /srv/work "$OUT" "cwd"
}

t_cwd_created() {
	# runc compatibility (not a spec MUST): runc creates a missing cwd inside
	# the rootfs, and images with a WORKDIR that is not in the layers rely on it.
	new_bundle "$B"
	cfg '.process.cwd = "/does/not/exist"'
	run_sh 'pwd'
	assert_eq /does/not/exist "$OUT" "cwd"
}

t_user() {
	new_bundle "$B"
	cfg '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}'
	run_sh 'id -u; id -g; id -G; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	local lines
	mapfile -t lines <<<"$OUT"
	assert_eq 1000 "${lines[0]}" "uid"
	assert_eq 1001 "${lines[1]}" "gid"
	# id -G prints the primary gid first, then the supplementary ones.
	assert_contains " ${lines[2]} " " 10 " "groups"
	assert_contains " ${lines[2]} " " 20 " "groups"
	assert_contains "$OUT" "Uid:	1000	1000	1000	1000" "/proc/self/status"
	[[ $OUT =~ Groups:[[:space:]]+10[[:space:]]+20 ]] || fail "supplementary groups: $OUT"
}

t_user_no_extra_groups() {
	# Without additionalGids the process must not keep the runtime's groups.
	new_bundle "$B"
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_sh 'grep "^Groups:" /proc/self/status'
	[[ $OUT =~ ^Groups:[[:space:]]*$ ]] || fail "unexpected supplementary groups: $OUT"
}

t_umask() {
	new_bundle "$B"
	cfg '.process.user.umask = 23'
	run_sh 'umask; touch /tmp/f; stat -c %a /tmp/f'
	assert_eq "0027
640" "$OUT" "umask and resulting mode"
}

t_signals_reset() {
	# The runtime's caller may ignore or block signals (a CI runner ignored
	# 32, which glibc's sigaction cannot even name); none of it may reach
	# the container's process. The caller here ignores 13 and 32 and blocks
	# 10 through the raw syscalls, then execs the runtime.
	new_bundle "$B"
	set_args grep -E '^Sig(Blk|Ign)' /proc/self/status
	RC=0
	python3 - "$RUNTIME" --root "$ROOT" run --bundle "$B" "$ID" >"$T/out" 2>"$T/err" </dev/null <<-'PY' || RC=$?
		import ctypes, os, sys
		libc = ctypes.CDLL(None, use_errno=True)
		class KSA(ctypes.Structure):
		    _fields_ = [("h", ctypes.c_ulong), ("f", ctypes.c_ulong), ("r", ctypes.c_ulong), ("m", ctypes.c_uint64)]
		for sig in (13, 32):
		    assert libc.syscall(13, sig, ctypes.byref(KSA(1, 0, 0, 0)), None, 8) == 0  # rt_sigaction SIG_IGN
		mask = ctypes.c_uint64(1 << 9)
		assert libc.syscall(14, 0, ctypes.byref(mask), None, 8) == 0  # rt_sigprocmask SIG_BLOCK
		os.execv(sys.argv[1], sys.argv[1:])
	PY
	[ "$RC" -eq 0 ] || fail "run exited $RC: $(cat "$T/err")"
	assert_eq $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000' "$(cat "$T/out")" "signals of the container's process"
}

t_rlimit_nofile() {
	new_bundle "$B"
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 600}]'
	run_sh 'ulimit -n; ulimit -Hn'
	assert_eq "512
600" "$OUT" "nofile soft/hard"
}

t_rlimit_nproc_core() {
	new_bundle "$B"
	cfg '.process.rlimits += [{type: "RLIMIT_NPROC", soft: 300, hard: 300}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]'
	run_sh 'grep -E "Max (processes|core file size)" /proc/self/limits'
	[[ $OUT =~ Max\ core\ file\ size[[:space:]]+0[[:space:]]+0 ]] || fail "core limit: $OUT"
	[[ $OUT =~ Max\ processes[[:space:]]+300[[:space:]]+300 ]] || fail "nproc limit: $OUT"
}

t_no_new_privs() {
	new_bundle "$B"
	cfg '.process.noNewPrivileges = true'
	run_sh 'grep NoNewPrivs /proc/self/status'
	[[ $OUT =~ NoNewPrivs:[[:space:]]+1 ]] || fail "noNewPrivileges true: $OUT"
	cfg '.process.noNewPrivileges = false'
	run_sh 'grep NoNewPrivs /proc/self/status'
	[[ $OUT =~ NoNewPrivs:[[:space:]]+0 ]] || fail "noNewPrivileges false: $OUT"
}

t_capabilities() {
	new_bundle "$B"
	# CAP_CHOWN = bit 0, CAP_KILL = bit 5: mask 0x21.
	cfg '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_CHOWN"],
		permitted: ["CAP_CHOWN", "CAP_KILL"], inheritable: []}'
	run_sh 'grep ^Cap /proc/self/status'
	assert_contains "$OUT" "CapBnd:	0000000000000021" "bounding set"
	assert_contains "$OUT" "CapPrm:	0000000000000021" "permitted set"
	# For uid 0 execve() makes effective = permitted whatever the spec's
	# effective list says, so that is what a user sees.
	assert_contains "$OUT" "CapEff:	0000000000000021" "effective set"
	assert_contains "$OUT" "CapInh:	0000000000000000" "inheritable set"
}

t_capabilities_enforced() {
	# Without CAP_CHOWN, root in the container cannot chown.
	new_bundle "$B"
	set_sh 'touch /tmp/f && chown 1:1 /tmp/f'
	run_out
	[ "$RC" -ne 0 ] || fail "chown succeeded without CAP_CHOWN"
	cfg '.process.capabilities.bounding += ["CAP_CHOWN"] | .process.capabilities.effective += ["CAP_CHOWN"] | .process.capabilities.permitted += ["CAP_CHOWN"]'
	run_ok
}

t_ambient_caps_nonroot() {
	new_bundle "$B"
	cfg '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false |
		.process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE"], effective: ["CAP_NET_BIND_SERVICE"],
		permitted: ["CAP_NET_BIND_SERVICE"], inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}'
	run_sh 'grep -E "^Cap(Eff|Amb)" /proc/self/status'
	# CAP_NET_BIND_SERVICE = bit 10: 0x400.
	assert_contains "$OUT" "CapEff:	0000000000000400" "effective set of uid 1000"
	assert_contains "$OUT" "CapAmb:	0000000000000400" "ambient set of uid 1000"
}

t_oom_score_adj() {
	new_bundle "$B"
	cfg '.process.oomScoreAdj = 500'
	run_sh 'cat /proc/self/oom_score_adj'
	assert_eq 500 "$OUT" "oom_score_adj"
}

t_exec_basic() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	local out rc=0
	out=$(rt exec "$ID" sh -c 'echo hello-$((1+2)); cat /proc/1/cmdline | tr "\0" " "') || fail "exec failed"
	assert_eq "hello-3
sleep 100 " "$out" "exec output"
	rt exec "$ID" sh -c 'exit 7' || rc=$?
	assert_eq 7 "$rc" "exit code of exec"
	assert_eq running "$(state_field "$ID" status)" "container status after exec"
}

t_exec_env_cwd_user() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	local out
	out=$(rt exec --env FOO=bar --cwd /tmp --user 1000:1001 "$ID" sh -c 'echo "$FOO $(pwd) $(id -u) $(id -g)"') ||
		fail "exec failed"
	assert_eq "bar /tmp 1000 1001" "$out" "exec --env --cwd --user"
}

t_exec_process_file() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, cwd: "/tmp",
		args: ["sh", "-c", "echo $FROMFILE $(pwd) $(id -u); exit 4"],
		env: ["PATH=/bin:/usr/bin", "FROMFILE=yes"]}' >"$T/process.json"
	local out rc=0
	out=$(rt exec --process "$T/process.json" "$ID") || rc=$?
	assert_eq 4 "$rc" "exit code of exec --process"
	assert_eq "yes /tmp 1000" "$out" "exec --process output"
}

t_exec_detached() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	rt exec -d --pid-file "$T/epid" "$ID" sleep 50 || fail "exec -d failed"
	[ -s "$T/epid" ] || fail "exec --pid-file not written"
	local p
	p=$(cat "$T/epid")
	pid_alive "$p" || fail "exec -d process $p not running"
	rt ps "$ID" --format json | jq -e --argjson p "$p" 'index($p) != null' >/dev/null || fail "ps does not list exec'd pid"
}

t_exec_stopped_fails() {
	new_bundle "$B"
	set_args sh -c 'exit 0'
	rt create --bundle "$B" "$ID" || fail "create failed"
	rt start "$ID"
	wait_status "$ID" stopped
	if rt exec "$ID" true 2>/dev/null; then fail "exec into a stopped container succeeded"; fi
}

t_exec_joins_namespaces_and_cgroup() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	local pid out
	pid=$(state_field "$ID" pid)
	out=$(rt exec "$ID" sh -c 'hostname; for n in net pid mnt; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup | grep memory') || fail "exec failed"
	local want
	want="berth
$(readlink "/proc/$pid/ns/net")
$(readlink "/proc/$pid/ns/pid")
$(readlink "/proc/$pid/ns/mnt")"
	assert_eq "$want" "$(head -4 <<<"$out")" "exec namespaces"
	assert_contains "$out" "$CGPATH" "exec cgroup"
}

run_test runtime/process/args t_args
run_test runtime/process/env t_env
run_test runtime/process/cwd t_cwd
run_test runtime/process/cwd-created t_cwd_created
run_test runtime/process/user-uid-gid-additionalGids t_user
run_test runtime/process/user-no-inherited-groups t_user_no_extra_groups
run_test runtime/process/umask t_umask
run_test runtime/process/signals-reset t_signals_reset
run_test runtime/process/rlimit-nofile t_rlimit_nofile
run_test runtime/process/rlimit-nproc-core t_rlimit_nproc_core
run_test runtime/process/noNewPrivileges t_no_new_privs
run_test runtime/process/capabilities-sets t_capabilities
run_test runtime/process/capabilities-enforced t_capabilities_enforced
run_test runtime/process/capabilities-ambient-nonroot t_ambient_caps_nonroot
run_test runtime/process/oomScoreAdj t_oom_score_adj
run_test runtime/process/exec-basic-exit-code t_exec_basic
run_test runtime/process/exec-env-cwd-user t_exec_env_cwd_user
run_test runtime/process/exec-process-file t_exec_process_file
run_test runtime/process/exec-detached-pid-file t_exec_detached
run_test runtime/process/exec-stopped-fails t_exec_stopped_fails
run_test runtime/process/exec-joins-namespaces-cgroup t_exec_joins_namespaces_and_cgroup
