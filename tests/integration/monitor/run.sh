#!/bin/bash
# The monitor family: berth-monitor driven through monitor.sock by
# monitor-driver (driver.c), on real containers made by the runtime library
# (and by runc/crun where installed). Each case is its own run_test.
#   BERTH_BUILD=/tmp/build tests/integration/monitor/run.sh
#   BERTH_TEST_FILTER='^monitor/restart' tests/integration/monitor/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

MON_BUILD=${BERTH_BUILD:-$BERTH_TOP/build}
MONITOR=$MON_BUILD/src/cmd/berth-monitor/berth-monitor
DRIVER=$MON_BUILD/src/monitor/monitor-driver

# mon_setup [JQ-FILTER]: a bundle and $T/monitor.json (no lower dirs: the
# bundle's rootfs as is), edited by the filter.
mon_setup() {
	new_bundle "$B"
	jq -n --arg id "$ID" --arg b "$B" --arg root "$ROOT" --arg t "$T" '{
		id: $id, bundle: $b, state_root: $root, run_dir: ($t + "/run"),
		rootfs: ($b + "/rootfs"), log_path: ($t + "/ctr.log"),
		restart_policy: "no", stop_timeout: 10}' | jq "${1:-.}" >"$T/monitor.json" ||
		fail "monitor.json"
}
# mon_start: spawns the monitor; waits until it is ready.
mon_start() {
	"$DRIVER" run "$MONITOR" "$T/monitor.json" >"$T/run.out" 2>"$T/run.err" &
	local n
	for n in $(seq 100); do
		grep -q '^ready' "$T/run.out" 2>/dev/null && break
		if grep -q . "$T/run.err" 2>/dev/null; then
			sleep 0.2 # the error may still be arriving in pieces
			fail "spawn: $(cat "$T/run.err")"
		fi
		sleep 0.05
	done
	DRVPID=$!
	MONPID=$(awk '/^ready/ { print $2 }' "$T/run.out")
	[ -n "$MONPID" ] || fail "monitor not ready: $(cat "$T/run.err")"
}
mcall() { "$DRIVER" call "$T/run" "$1"; }
mon_watch() {
	"$DRIVER" watch "$T/run" >"$T/events" &
	local n
	for n in $(seq 50); do grep -q watching "$T/events" && return 0; sleep 0.05; done
	fail "watch did not start"
}
# mon_wait_exit [SECONDS]: until the monitor exited; its exit code in MONRC.
mon_wait_exit() {
	local n=$((${1:-10} * 20))
	while [ "$n" -gt 0 ]; do
		MONRC=$(awk '/^exit/ { print $2 }' "$T/run.out")
		[ -n "$MONRC" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	fail "monitor did not exit"
}
status() { jq -r ".$1" "$T/run/status.json"; }
# nothing_left: no monitor, socket, runtime state, mount, cgroup, process.
nothing_left() {
	[ ! -e "$T/run/monitor.sock" ] || fail "monitor.sock left behind"
	[ -z "$(ls -A "$ROOT")" ] || fail "runtime state left: $(ls -A "$ROOT")"
	assert_eq true "$(status final)" "final in status.json"
	leak_check
}

t_log_attach() {
	mon_setup
	set_sh 'echo hello; echo "<oops> & \"q\"" >&2; sleep 0.3; printf partial'
	leak_snapshot
	mon_start
	"$DRIVER" attach "$T/run" "$T/a.out" "$T/a.err" >"$T/attach" &
	local apid=$!
	for n in $(seq 50); do grep -q attached "$T/attach" && break; sleep 0.05; done
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit
	wait "$apid" || fail "attach stream: malformed frames (exit $?)"
	assert_eq "$(printf 'hello\npartial')" "$(cat "$T/a.out")" "attached stdout"
	assert_eq '<oops> & "q"' "$(cat "$T/a.err")" "attached stderr"
	local log
	log=$(sed -E 's/"time":"[0-9T:.-]+Z"/"time":T/' "$T/ctr.log")
	assert_eq "$(printf '%s\n' '{"log":"hello\n","stream":"stdout","time":T}' \
		'{"log":"\u003coops\u003e \u0026 \"q\"\n","stream":"stderr","time":T}' \
		'{"log":"partial","stream":"stdout","time":T}')" "$log" "json-file log"
	grep -Eq '"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z"' "$T/ctr.log" ||
		fail "time is not RFC 3339 with 9 digits: $(head -1 "$T/ctr.log")"
	assert_eq 0 "$(status exit_code)" "exit code"
	nothing_left
}

t_exit_code() {
	mon_setup
	set_sh 'exit 3'
	leak_snapshot
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit
	assert_eq 3 "$(status exit_code)" "exit code"
	assert_eq exited "$(status state)" "state"
	assert_eq false "$(status oom_killed)" "oom_killed"
	nothing_left
}

t_kill_signal_code() {
	mon_setup
	set_args sleep 100
	leak_snapshot
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mcall '{"op":"kill","signal":9}' >/dev/null || fail "kill"
	mon_wait_exit
	assert_eq 137 "$(status exit_code)" "exit code of SIGKILL"
	nothing_left
}

t_restart_on_failure() {
	mon_setup '.restart_policy = "on-failure" | .restart_max = 3'
	set_sh 'echo run; exit 1'
	leak_snapshot
	mon_start
	mon_watch
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit 15
	assert_eq 3 "$(status restart_count)" "restart_count"
	assert_eq 3 "$(grep -c '"event":"restart"' "$T/events")" "restart events"
	assert_eq 4 "$(grep -c '"event":"die"' "$T/events")" "die events"
	assert_eq 4 "$(grep -c '"log":"run\\n"' "$T/ctr.log")" "runs in the log"
	# The delays die → restart grow: 100, 200, 400 ms.
	local delays
	delays=$(grep '^{' "$T/events" | jq -r 'select(.event == "die" or .event == "restart") | "\(.event) \(.t)"' |
		awk '$1 == "die" { d = $2 } $1 == "restart" { printf "%d ", $2 - d }')
	log "delays (ms): $delays"
	read -r d1 d2 d3 <<<"$delays"
	[ "$d1" -ge 90 ] && [ "$d2" -ge 190 ] && [ "$d3" -ge 390 ] && [ "$d2" -gt "$d1" ] &&
		[ "$d3" -gt "$d2" ] && [ "$d3" -lt 2000 ] || fail "delays not growing 100/200/400: $delays"
	nothing_left
}

t_restart_always_stop_in_delay() {
	mon_setup '.restart_policy = "always"'
	set_sh 'exit 0'
	leak_snapshot
	mon_start
	mon_watch
	mcall '{"op":"start"}' >/dev/null || fail "start"
	local n
	for n in $(seq 100); do [ "$(status restart_count)" -ge 2 ] && break; sleep 0.05; done
	[ "$(status restart_count)" -ge 2 ] || fail "always did not restart"
	mcall '{"op":"stop","timeout":1}' >/dev/null || fail "stop"
	mon_wait_exit
	assert_eq true "$(status manual_stop)" "manual_stop"
	nothing_left
}

t_stop_escalates() {
	mon_setup
	set_args sleep 100 # pid 1 of its namespace: SIGTERM has no effect
	leak_snapshot
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	local t0 t1
	t0=$(date +%s%N)
	mcall '{"op":"stop","timeout":1}' >/dev/null || fail "stop"
	mon_wait_exit
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	log "stop took $ms ms"
	[ "$ms" -ge 950 ] && [ "$ms" -lt 5000 ] || fail "stop took $ms ms, wanted about 1 s"
	assert_eq 137 "$(status exit_code)" "exit code after SIGKILL"
	nothing_left
}

t_exec() {
	mon_setup
	set_args sleep 100
	leak_snapshot
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	local rc=0 out
	out=$("$DRIVER" exec "$T/run" e1 sh -c 'echo out-$((6*7)); echo err >&2; exit 7' 2>"$T/e.err") || rc=$?
	assert_eq 7 "$rc" "exec exit code"
	assert_eq out-42 "$out" "exec stdout"
	assert_eq err "$(cat "$T/e.err")" "exec stderr"
	out=$("$DRIVER" exec "$T/run" e2 --tty sh -c 'tty') || fail "exec --tty"
	assert_contains "$out" /dev/pts/ "exec tty"
	[ ! -s "$T/ctr.log" ] || fail "exec output went to the container log: $(cat "$T/ctr.log")"
	mcall '{"op":"stop","timeout":0}' >/dev/null || fail "stop"
	mon_wait_exit
	nothing_left
}

t_health() {
	mon_setup '.health = {test: ["CMD-SHELL", "echo probe; test -e /dev/shm/ok"],
		interval_ns: 200000000, timeout_ns: 2000000000, retries: 2}'
	set_args sleep 100
	leak_snapshot
	mon_start
	mon_watch
	mcall '{"op":"start"}' >/dev/null || fail "start"
	assert_eq starting "$(status health.Status)" "health at start"
	local n
	for n in $(seq 60); do [ "$(status health.Status)" = unhealthy ] && break; sleep 0.05; done
	assert_eq unhealthy "$(status health.Status)" "health after failures"
	jq -e '.health.Log[0].Output == "probe\n"' "$T/run/status.json" >/dev/null ||
		fail "probe output: $(jq .health.Log[0] "$T/run/status.json")"
	"$DRIVER" exec "$T/run" e1 touch /dev/shm/ok || fail "exec touch"
	for n in $(seq 60); do [ "$(status health.Status)" = healthy ] && break; sleep 0.05; done
	assert_eq healthy "$(status health.Status)" "health after success"
	assert_eq 0 "$(status health.FailingStreak)" "FailingStreak"
	[ "$(jq '.health.Log | length' "$T/run/status.json")" -le 5 ] || fail "Log keeps more than 5"
	grep -q '"health_status":"unhealthy"' "$T/events" || fail "no health_status unhealthy event"
	grep -q '"health_status":"healthy"' "$T/events" || fail "no health_status healthy event"
	mcall '{"op":"stop","timeout":0}' >/dev/null || fail "stop"
	mon_wait_exit
	nothing_left
}

t_health_timeout() {
	mon_setup '.health = {test: ["CMD", "sleep", "10"], interval_ns: 100000000,
		timeout_ns: 300000000, retries: 1}'
	set_args sleep 100
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	local n
	for n in $(seq 60); do [ "$(status health.Status)" = unhealthy ] && break; sleep 0.05; done
	assert_eq unhealthy "$(status health.Status)" "health"
	assert_eq "Health check exceeded timeout (0.3s)" "$(status 'health.Log[0].Output')" "output"
	assert_eq -1 "$(status 'health.Log[0].ExitCode')" "exit code"
	mcall '{"op":"stop","timeout":0}' >/dev/null || fail "stop"
	mon_wait_exit
}

t_parent_killed() {
	mon_setup
	set_args sleep 100
	leak_snapshot
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	local pid
	kill -9 "$DRVPID"
	sleep 0.3
	pid=$(status pid)
	pid_alive "$MONPID" || fail "monitor died with its parent"
	pid_alive "$pid" || fail "container died with the monitor's parent"
	assert_eq running "$(jq -r .status.state <<<"$(mcall '{"op":"status"}')")" "state"
	mcall '{"op":"stop","timeout":0}' >/dev/null || fail "stop"
	local n
	for n in $(seq 100); do [ "$(status final)" = true ] && break; sleep 0.05; done
	for n in $(seq 40); do pid_alive "$MONPID" || break; sleep 0.05; done
	pid_alive "$MONPID" && fail "monitor still running after final"
	nothing_left
}

t_overlay_rootfs() {
	mon_setup
	mkdir -p "$T/merged"
	cfg --arg r "$T/merged" '.root.path = $r'
	jq --arg t "$T" --arg b "$B" '.rootfs = ($t + "/merged") | .lower_dirs = [$b + "/rootfs"]
		| .upper_dir = ($t + "/upper") | .work_dir = ($t + "/work")' "$T/monitor.json" >"$T/m" &&
		mv "$T/m" "$T/monitor.json"
	set_sh 'echo data >/written; cat /etc/passwd | head -1'
	leak_snapshot
	mon_start
	grep -q " $T/merged " /proc/self/mountinfo || fail "rootfs not mounted"
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit
	assert_eq data "$(cat "$T/upper/written")" "file in the upper dir"
	[ ! -e "$B/rootfs/written" ] || fail "write reached the lower dir"
	grep -q '"log":"root:x:0:0' "$T/ctr.log" || fail "no output: $(cat "$T/ctr.log")"
	nothing_left
}

t_tty() {
	mon_setup '.tty = true'
	cfg '.process.terminal = true'
	set_sh 'sleep 0.3; tty; echo hi'
	leak_snapshot
	mon_start
	"$DRIVER" attach "$T/run" "$T/a.out" "$T/a.err" --tty >"$T/attach" &
	local apid=$!
	for n in $(seq 50); do grep -q attached "$T/attach" && break; sleep 0.05; done
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit
	wait "$apid"
	assert_contains "$(cat "$T/a.out")" "/dev/pts/0" "raw tty output"
	assert_contains "$(cat "$T/a.out")" "hi" "raw tty output"
	grep -q '"log":"hi\\r\\n","stream":"stdout"' "$T/ctr.log" || fail "tty log: $(cat "$T/ctr.log")"
	nothing_left
}

t_stdin_attach() {
	mon_setup '.open_stdin = true | .stdin_once = true'
	set_args cat
	leak_snapshot
	mon_start
	printf 'one\ntwo\n' | "$DRIVER" attach "$T/run" "$T/a.out" "$T/a.err" --stdin >"$T/attach" &
	local apid=$!
	for n in $(seq 50); do grep -q attached "$T/attach" && break; sleep 0.05; done
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit
	wait "$apid" || fail "attach"
	assert_eq "$(printf 'one\ntwo')" "$(cat "$T/a.out")" "cat echoed stdin"
	assert_eq 0 "$(status exit_code)" "cat ended at stdin's end"
	nothing_left
}

t_log_rotation() {
	mon_setup '.log_max_size = 300 | .log_max_file = 3'
	set_sh 'for i in $(seq 40); do echo line-$i; done'
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	mon_wait_exit
	[ -f "$T/ctr.log.1" ] && [ -f "$T/ctr.log.2" ] || fail "not rotated: $(ls "$T")"
	[ ! -e "$T/ctr.log.3" ] || fail "more than 3 files kept"
	grep -q '"log":"line-40\\n"' "$T/ctr.log" || fail "last line not in the live file"
	[ "$(stat -c %s "$T/ctr.log.1")" -lt 600 ] || fail "rotated file too big"
}

t_create_fails() {
	mon_setup
	cfg '.root.path = "/nonexistent-root"'
	leak_snapshot
	local rc=0
	"$DRIVER" run "$MONITOR" "$T/monitor.json" >"$T/run.out" 2>"$T/run.err" || rc=$?
	assert_eq 1 "$rc" "spawn of a failing create"
	assert_contains "$(cat "$T/run.err")" "nonexistent-root" "error message"
	[ ! -e "$T/run/monitor.sock" ] || fail "socket left"
	leak_check
}

t_bad_config() {
	mon_setup '.restart_policy = "sometimes"'
	local rc=0
	"$DRIVER" run "$MONITOR" "$T/monitor.json" >"$T/run.out" 2>"$T/run.err" || rc=$?
	assert_eq 1 "$rc" "spawn with a bad monitor.json"
	assert_contains "$(cat "$T/run.err")" "restart_policy: unknown 'sometimes'" "error"
}

t_idle_rss() {
	mon_setup
	set_args sleep 100
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	# The monitor gives back what setup used 100 ms after the start
	# (monitor-memory.c); allow for a loaded machine.
	sleep 0.6
	grep -q libasan "/proc/$MONPID/maps" && skip "a sanitizer build: RSS says nothing"
	local rss
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$MONPID/status")
	log "idle monitor RSS: ${rss} kB"
	echo "idle monitor RSS: ${rss} kB" >&2
	[ "$rss" -lt 800 ] || fail "monitor RSS ${rss} kB, wanted under 800 kB"
	mcall '{"op":"stop","timeout":0}' >/dev/null || fail "stop"
	mon_wait_exit
}

# private_cgroups BIN: a wrapper path that runs BIN in a private mount
# namespace without the hybrid host's cgroup2 mount (crun 1.8 refuses a
# hybrid host); BIN itself where /sys/fs/cgroup is not hybrid.
private_cgroups() {
	local bin=$1 v2
	v2=$(awk '$3 == "cgroup2" && $2 != "/sys/fs/cgroup" { print $2; exit }' /proc/self/mounts)
	if [ -z "$v2" ]; then
		echo "$bin"
		return
	fi
	printf '#!/bin/sh\nexec unshare -m --propagation private sh -c %s "%s" "$@"\n' \
		"'umount -l $v2 && exec \"\$0\" \"\$@\"'" "$bin" >"$T/$(basename "$bin")-private"
	chmod +x "$T/$(basename "$bin")-private"
	echo "$T/$(basename "$bin")-private"
}

# With an external OCI runtime binary: start, output, exec, stop.
t_oci_runtime() {
	local bin=$1 path
	command -v "$bin" >/dev/null || skip "$bin is not installed"
	path=$(command -v "$bin")
	[ "$bin" = crun ] && path=$(private_cgroups "$path")
	mon_setup ".runtime_path = \"$path\""
	set_sh 'echo started; sleep 100'
	leak_snapshot
	mon_start
	mcall '{"op":"start"}' >/dev/null || fail "start"
	local out
	out=$("$DRIVER" exec "$T/run" e1 sh -c 'echo via-exec; exit 4')
	assert_eq 4 "$?" "exec exit code"
	assert_eq via-exec "$out" "exec output"
	mcall '{"op":"stop","timeout":1}' >/dev/null || fail "stop"
	mon_wait_exit
	grep -q '"log":"started\\n"' "$T/ctr.log" || fail "no output in the log"
	assert_eq 137 "$(status exit_code)" "exit code"
	nothing_left
}
t_runc() { t_oci_runtime runc; }
t_crun() { t_oci_runtime crun; }

suite_begin monitor
if [ ! -x "$MONITOR" ] || [ ! -x "$DRIVER" ]; then
	echo "skip monitor/all: berth-monitor or monitor-driver not built in $MON_BUILD" |
		tee -a "$BERTH_RESULTS"
	suite_end
	exit $?
fi
run_test monitor/log-attach t_log_attach
run_test monitor/exit-code t_exit_code
run_test monitor/kill-signal-code t_kill_signal_code
run_test monitor/restart-on-failure-3 t_restart_on_failure
run_test monitor/restart-always-stop t_restart_always_stop_in_delay
run_test monitor/stop-escalates t_stop_escalates
run_test monitor/exec t_exec
run_test monitor/health t_health
run_test monitor/health-timeout t_health_timeout
run_test monitor/parent-killed t_parent_killed
run_test monitor/overlay-rootfs t_overlay_rootfs
run_test monitor/tty t_tty
run_test monitor/stdin-attach t_stdin_attach
run_test monitor/log-rotation t_log_rotation
run_test monitor/create-fails t_create_fails
run_test monitor/bad-config t_bad_config
run_test monitor/idle-rss t_idle_rss
run_test monitor/runc t_runc
run_test monitor/crun t_crun
suite_end
