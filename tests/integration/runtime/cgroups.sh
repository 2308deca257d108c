# cgroups.sh - linux.resources and cgroupsPath on cgroup v1 (this machine:
# v1 controllers plus a hugetlb-only cgroup2 mount), pause/resume, update,
# removal after delete. Sourced by run.sh.

t_cg_path_honoured() {
	new_bundle "$B"
	leak_snapshot
	set_args sleep 100
	start_bg
	local pid c
	pid=$(state_field "$ID" pid)
	for c in memory pids cpu freezer devices; do
		grep -q ":$c[,:].*$CGPATH\$\|:[a-z,]*$c[a-z,]*:$CGPATH\$" "/proc/$pid/cgroup" ||
			fail "$c cgroup of pid $pid is not $CGPATH: $(cat "/proc/$pid/cgroup")"
		grep -qx "$pid" "$(cg_dir "$c")/cgroup.procs" || fail "pid $pid not in $(cg_dir "$c")"
	done
	rt delete -f "$ID" || fail "delete failed"
	for c in memory pids cpu freezer devices; do
		[ ! -d "$(cg_dir "$c")" ] || fail "cgroup $(cg_dir "$c") left after delete"
	done
	leak_check
}

t_cg_memory_limit() {
	new_bundle "$B"
	cfg '.linux.resources.memory = {limit: 33554432}'
	set_args sleep 100
	start_bg
	assert_eq 33554432 "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" "host memory.limit_in_bytes"
	local out
	out=$(rt exec "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes) || fail "exec failed"
	assert_eq 33554432 "$out" "memory.limit_in_bytes seen inside"
}

t_cg_memory_oom() {
	new_bundle "$B"
	cfg '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	# A shell variable of 64 MiB: far past 16 MiB.
	set_sh 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived ${#x}'
	run_out
	assert_eq 137 "$RC" "exit code of an OOM-killed run (stdout: $OUT)"
}

t_cg_cpu() {
	new_bundle "$B"
	cfg '.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000}'
	set_args sleep 100
	start_bg
	assert_eq 512 "$(cat "$(cg_dir cpu)/cpu.shares")" "cpu.shares"
	assert_eq 50000 "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" "cpu.cfs_quota_us"
	assert_eq 100000 "$(cat "$(cg_dir cpu)/cpu.cfs_period_us")" "cpu.cfs_period_us"
}

t_cg_cpu_quota_enforced() {
	# A busy loop under a 20% quota for ~1s uses well under 1s of CPU.
	new_bundle "$B"
	cfg '.linux.resources.cpu = {quota: 20000, period: 100000}'
	set_sh 'while :; do :; done'
	start_bg
	sleep 1
	local usage
	usage=$(cat "$(cg_dir cpuacct)/cpuacct.usage")
	[ "$usage" -lt 600000000 ] || fail "used ${usage}ns of CPU in ~1s under a 20% quota"
	[ "$usage" -gt 50000000 ] || fail "used only ${usage}ns: loop not running?"
}

t_cg_pids_limit() {
	new_bundle "$B"
	cfg '.linux.resources.pids = {limit: 10}'
	# busybox sh gives up with "can't fork" once pids.max is reached.
	set_sh 'cat /sys/fs/cgroup/pids/pids.max; i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done; echo all-forked'
	run_out
	assert_eq 10 "$(head -1 <<<"$OUT")" "pids.max seen inside"
	assert_not_contains "$OUT" all-forked "fork bomb-lite under pids.max 10"
	[ "$RC" -ne 0 ] || fail "fork loop exited 0"
	assert_contains "$ERR" "fork" "error of the failed fork"
}

t_cg_cpuset() {
	new_bundle "$B"
	cfg '.linux.resources.cpu = {cpus: "0", mems: "0"}'
	run_sh 'grep Cpus_allowed_list /proc/self/status'
	[[ $OUT =~ Cpus_allowed_list:[[:space:]]+0$ ]] || fail "cpus allowed: $OUT"
}

t_cg_pause_resume() {
	new_bundle "$B"
	set_sh 'while :; do sleep 0.1; done'
	start_bg
	local pid
	pid=$(state_field "$ID" pid)
	rt pause "$ID" || fail "pause failed"
	assert_eq paused "$(state_field "$ID" status)" "status after pause"
	assert_eq FROZEN "$(cat "$(cg_dir freezer)/freezer.state")" "freezer.state"
	# A frozen task makes no progress: its CPU time stands still.
	local t1 t2
	t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	sleep 0.3
	t2=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	assert_eq "$t1" "$t2" "cpu time of a paused container"
	if rt pause "$ID" 2>/dev/null; then log "note: pause of a paused container succeeded"; fi
	rt resume "$ID" || fail "resume failed"
	assert_eq running "$(state_field "$ID" status)" "status after resume"
	assert_eq THAWED "$(cat "$(cg_dir freezer)/freezer.state")" "freezer.state after resume"
}

t_cg_delete_force_paused() {
	new_bundle "$B"
	leak_snapshot
	set_args sleep 100
	start_bg
	rt pause "$ID" || fail "pause failed"
	rt delete -f "$ID" || fail "delete -f of a paused container failed"
	leak_check
}

t_cg_update_memory() {
	new_bundle "$B"
	cfg '.linux.resources.memory = {limit: 33554432}'
	set_args sleep 100
	start_bg
	rt update --memory 64M "$ID" || fail "update --memory failed"
	assert_eq 67108864 "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" "memory.limit_in_bytes after update"
	rt update --pids-limit 50 "$ID" || fail "update --pids-limit failed"
	assert_eq 50 "$(cat "$(cg_dir pids)/pids.max")" "pids.max after update"
}

t_cg_update_resources_file() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	jq -n '{cpu: {shares: 256}, memory: {limit: 50331648}}' >"$T/res.json"
	rt update --resources "$T/res.json" "$ID" || fail "update --resources failed"
	assert_eq 256 "$(cat "$(cg_dir cpu)/cpu.shares")" "cpu.shares after update"
	assert_eq 50331648 "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" "memory limit after update"
}

t_cg_relative_path() {
	# A relative cgroupsPath lands under the runtime's own cgroup.
	new_bundle "$B"
	cfg --arg p "$CG_PARENT-rel/$ID" '.linux.cgroupsPath = $p'
	run_sh 'grep ":pids:" /proc/self/cgroup'
	assert_contains "$OUT" "/$CG_PARENT-rel/$ID" "relative cgroupsPath"
	rmdir "$CGROUP_MNT"/*/"$CG_PARENT-rel" 2>/dev/null || true
}

t_cg_removed_after_run() {
	new_bundle "$B"
	leak_snapshot
	run_sh 'true'
	local c
	for c in memory pids cpu freezer devices; do
		[ ! -d "$(cg_dir "$c")" ] || fail "cgroup $(cg_dir "$c") left after run"
	done
	leak_check
}

# runc's `events`: --stats once, else a line per --interval (berth-runtime's
# until the container stops); bad input refused in one line.
t_cg_stats_events() {
	new_bundle "$B"
	cfg '.linux.resources.pids = {limit: 50}'
	set_args sleep 100
	start_bg
	local out
	out=$(rt events --stats "$ID") || fail "events --stats failed"
	jq -e --arg id "$ID" '.type == "stats" and .id == $id and (.data.memory.usage.usage > 0) and
		(.data.pids.current >= 1) and .data.pids.limit == 50 and
		(.data.cpu.usage.total > 0)' >/dev/null <<<"$out" ||
		fail "events --stats output: $out"
	assert_eq 1 "$(grep -c . <<<"$out")" "lines of events --stats"
	# Streaming: two samples 200 ms apart, then the container stops and
	# events ends by itself.
	rt events --interval 200ms "$ID" >"$T/events.out" &
	local epid=$! n
	for n in $(seq 50); do [ "$(grep -c . "$T/events.out")" -ge 2 ] && break; sleep 0.1; done
	assert_eq 2 "$(head -2 "$T/events.out" | jq -r .type | grep -c stats)" "stats events streamed"
	rt kill "$ID" KILL
	if [ "$RUNTIME_NAME" != berth-runtime ]; then
		kill "$epid" # runc's goes on
		wait "$epid" 2>/dev/null
		return 0
	fi
	for n in $(seq 50); do kill -0 "$epid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$epid" 2>/dev/null && { kill "$epid"; fail "events still running after the container stopped"; }
	wait "$epid" || fail "events exited $? after the container stopped"
	rt events --interval 5x "$ID" 2>/dev/null && fail "events --interval 5x was accepted"
	rt events --stats "$ID" 2>/dev/null && fail "events --stats of a stopped container succeeded"
	rt events nosuch-id 2>"$T/err" && fail "events of an unknown id succeeded"
	assert_eq 1 "$(grep -c . "$T/err")" "lines of the error for an unknown id"
}

run_test runtime/cgroups/cgroupsPath-honoured-and-removed t_cg_path_honoured
run_test runtime/cgroups/memory-limit t_cg_memory_limit
run_test runtime/cgroups/memory-oom-exit-137 t_cg_memory_oom
run_test runtime/cgroups/cpu-shares-quota t_cg_cpu
run_test runtime/cgroups/cpu-quota-enforced t_cg_cpu_quota_enforced
run_test runtime/cgroups/pids-limit t_cg_pids_limit
run_test runtime/cgroups/cpuset t_cg_cpuset
run_test runtime/cgroups/pause-resume t_cg_pause_resume
run_test runtime/cgroups/delete-force-paused t_cg_delete_force_paused
run_test runtime/cgroups/update-memory-pids t_cg_update_memory
run_test runtime/cgroups/update-resources-file t_cg_update_resources_file
run_test runtime/cgroups/relative-cgroupsPath t_cg_relative_path
run_test runtime/cgroups/removed-after-run t_cg_removed_after_run
run_test runtime/cgroups/events-stats t_cg_stats_events
