# lifecycle.sh - create/start/state/kill/delete, run, list, ps, pid-file,
# concurrency on one id. Sourced by run.sh.

t_lifecycle_full() {
	new_bundle "$B"
	set_args sleep 100
	leak_snapshot
	rt create --bundle "$B" --pid-file "$T/pid" "$ID" || fail "create failed"
	local st pid
	st=$(rt state "$ID") || fail "state after create failed"
	assert_eq created "$(jq -r .status <<<"$st")" "status after create"
	pid=$(jq -r .pid <<<"$st")
	[ "$pid" -gt 1 ] 2>/dev/null || fail "no pid after create: $st"
	pid_alive "$pid" || fail "created container pid $pid does not exist"
	rt start "$ID" || fail "start failed"
	wait_status "$ID" running
	assert_eq "$pid" "$(state_field "$ID" pid)" "pid after start"
	rt kill "$ID" KILL || fail "kill failed"
	wait_status "$ID" stopped
	rt delete "$ID" || fail "delete failed"
	if rt state "$ID" >/dev/null 2>&1; then fail "state succeeds after delete"; fi
	leak_check
}

t_pid_file() {
	new_bundle "$B"
	set_args sleep 100
	rt create --bundle "$B" --pid-file "$T/pid" "$ID" || fail "create failed"
	[ -s "$T/pid" ] || fail "pid file not written"
	assert_eq "$(state_field "$ID" pid)" "$(tr -d '\n' <"$T/pid")" "pid file content"
}

t_run_exit_code() {
	new_bundle "$B"
	leak_snapshot
	set_sh 'exit 3'
	run_out
	assert_eq 3 "$RC" "exit code of run"
	set_sh 'echo out; echo err >&2; exit 0'
	run_out
	assert_eq 0 "$RC" "exit code of run"
	assert_eq out "$OUT" "stdout"
	assert_contains "$ERR" err "stderr"
	# run deletes the container when it exits.
	if rt state "$ID" >/dev/null 2>&1; then fail "container still exists after run"; fi
	leak_check
}

t_run_detached() {
	new_bundle "$B"
	set_args sleep 100
	local t0=$SECONDS
	timeout 20 "$RUNTIME" --root "$ROOT" run -d --bundle "$B" "$ID" >/dev/null 2>"$T/err" </dev/null ||
		fail "run -d failed: $(cat "$T/err")"
	[ $((SECONDS - t0)) -lt 10 ] || fail "run -d did not return promptly"
	assert_eq running "$(state_field "$ID" status)" "status after run -d"
	rt delete -f "$ID" || fail "delete -f failed"
}

t_state_fields() {
	new_bundle "$B"
	set_args sleep 100
	cfg '.annotations = {"org.berth.test": "yes"}'
	rt create --bundle "$B" "$ID" || fail "create failed"
	local st
	st=$(rt state "$ID") || fail "state failed"
	jq -e . >/dev/null <<<"$st" || fail "state is not JSON: $st"
	local f
	for f in ociVersion id pid status bundle created; do
		jq -e --arg f "$f" 'has($f)' >/dev/null <<<"$st" || fail "state lacks '$f': $st"
	done
	assert_eq "$ID" "$(jq -r .id <<<"$st")" "state id"
	assert_eq "$B" "$(jq -r .bundle <<<"$st")" "state bundle"
	assert_eq yes "$(jq -r '.annotations["org.berth.test"]' <<<"$st")" "state annotation"
	jq -e '.ociVersion | test("^1\\.")' >/dev/null <<<"$st" || fail "ociVersion: $st"
	# runc also reports rootfs, created (RFC 3339) and owner.
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' >/dev/null <<<"$st" || fail "created not RFC 3339: $st"
	assert_eq "$B/rootfs" "$(jq -r .rootfs <<<"$st")" "state rootfs"
	jq -e 'has("owner")' >/dev/null <<<"$st" || fail "state lacks owner"
}

t_list() {
	new_bundle "$B"
	set_args sleep 100
	local id2
	id2=$(new_id two)
	new_bundle "$T/b2" "$id2"
	CFG=$T/b2/config.json cfg '.process.args = ["sleep", "100"]'
	rt create --bundle "$B" "$ID" || fail "create failed"
	rt run -d --bundle "$T/b2" "$id2" </dev/null >/dev/null || fail "run -d failed"
	local out
	out=$(rt list) || fail "list failed"
	assert_contains "$out" "$ID" "list"
	assert_contains "$out" "$id2" "list"
	out=$(rt list -q) || fail "list -q failed"
	assert_eq "$(printf '%s\n' "$ID" "$id2" | sort)" "$(sort <<<"$out")" "list -q"
	out=$(rt list --format json) || fail "list --format json failed"
	assert_eq created "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$out")" "list json status of $ID"
	assert_eq running "$(jq -r --arg id "$id2" '.[] | select(.id == $id) | .status' <<<"$out")" "list json status of $id2"
	jq -e --arg id "$id2" '.[] | select(.id == $id) | .pid > 0' >/dev/null <<<"$out" || fail "list json has no pid: $out"
}

t_ps_json() {
	new_bundle "$B"
	set_sh 'sleep 100 & sleep 100'
	start_bg
	local pid out
	pid=$(state_field "$ID" pid)
	out=$(rt ps --format json "$ID") || fail "ps failed"
	jq -e --argjson p "$pid" 'index($p) != null' >/dev/null <<<"$out" || fail "ps json lacks init pid $pid: $out"
	sleep 0.2
	out=$(rt ps --format json "$ID")
	[ "$(jq length <<<"$out")" -ge 2 ] || fail "ps json lists fewer than 2 pids: $out"
}

kill_with() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	local pid
	pid=$(state_field "$ID" pid)
	rt kill "$ID" "$1" || fail "kill $1 failed"
	wait_status "$ID" stopped
	! pid_alive "$pid" || fail "pid $pid alive after kill $1"
	rt delete "$ID" || fail "delete failed"
}
t_kill_name_KILL() { kill_with KILL; }
t_kill_name_SIGKILL() { kill_with SIGKILL; }
t_kill_number_9() { kill_with 9; }
t_kill_default_term() {
	new_bundle "$B"
	# sh as pid 1 ignores TERM unless it traps it.
	set_sh 'trap "exit 0" TERM; sleep 100 & wait'
	start_bg
	sleep 0.2
	rt kill "$ID" || fail "kill without signal failed"
	wait_status "$ID" stopped
}

t_kill_all() {
	new_bundle "$B"
	# No pid namespace: killing init alone would leave the sleeps behind.
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	set_sh 'sleep 100 & sleep 100 & wait'
	start_bg
	sleep 0.3
	local procs
	procs=$(cat "$(cg_dir pids)/cgroup.procs")
	[ "$(wc -l <<<"$procs")" -ge 3 ] || fail "expected 3 processes, cgroup has: $procs"
	rt kill --all "$ID" KILL || fail "kill --all failed"
	local n=0
	while [ -s "$(cg_dir pids)/cgroup.procs" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	[ ! -s "$(cg_dir pids)/cgroup.procs" ] || fail "processes left after kill --all: $(cat "$(cg_dir pids)/cgroup.procs")"
	for p in $procs; do ! pid_alive "$p" || fail "pid $p alive after kill --all"; done
	wait_status "$ID" stopped
}

t_delete_force_running() {
	new_bundle "$B"
	set_args sleep 100
	leak_snapshot
	start_bg
	local pid
	pid=$(state_field "$ID" pid)
	if rt delete "$ID" 2>/dev/null; then fail "delete without -f of a running container succeeded"; fi
	rt delete --force "$ID" || fail "delete --force failed"
	! pid_alive "$pid" || fail "pid $pid alive after delete --force"
	if rt state "$ID" >/dev/null 2>&1; then fail "state succeeds after delete --force"; fi
	[ ! -d "$(cg_dir memory)" ] || fail "cgroup remains after delete --force"
	leak_check
}

t_start_twice_fails() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	if rt start "$ID" 2>/dev/null; then fail "second start succeeded"; fi
	assert_eq running "$(state_field "$ID" status)" "status after second start"
}

t_concurrent_delete() {
	new_bundle "$B"
	set_args sleep 100
	leak_snapshot
	start_bg
	local r1=0 r2=0
	rt delete -f "$ID" 2>"$T/d1.err" &
	local p1=$!
	rt delete -f "$ID" 2>"$T/d2.err" &
	local p2=$!
	wait "$p1" || r1=$?
	wait "$p2" || r2=$?
	[ "$r1" -eq 0 ] || [ "$r2" -eq 0 ] || fail "both delete -f failed: $(cat "$T/d1.err" "$T/d2.err")"
	if rt state "$ID" >/dev/null 2>&1; then fail "container survives two delete -f"; fi
	rt list >/dev/null || fail "list fails after concurrent delete (state corrupted?)"
	leak_check
	# The id can be used again.
	set_sh 'exit 0'
	run_ok
}

t_concurrent_state_during_start() {
	new_bundle "$B"
	set_args sleep 100
	rt create --bundle "$B" "$ID" || fail "create failed"
	local i pids=()
	for i in 1 2 3 4 5 6; do
		rt state "$ID" >"$T/s$i.json" 2>"$T/s$i.err" &
		pids+=($!)
	done
	rt start "$ID" || fail "start with concurrent state calls failed"
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "a concurrent state call failed: $(cat "$T/s$((i + 1)).err")"
		jq -e '.status == "created" or .status == "running"' "$T/s$((i + 1)).json" >/dev/null ||
			fail "concurrent state returned bad JSON: $(cat "$T/s$((i + 1)).json")"
	done
	assert_eq running "$(state_field "$ID" status)" "status"
}

t_spec_runs() {
	# The runtime's own `spec` output is a usable config.
	mkdir -p "$B"
	cp -a "$(suite_rootfs)" "$B/rootfs"
	(cd "$B" && "$RUNTIME" spec) || fail "spec failed"
	jq -e '.ociVersion and .process and .root.path == "rootfs"' "$B/config.json" >/dev/null || fail "spec output: $(cat "$B/config.json")"
	cfg --arg cg "$CGPATH" '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok"] | .linux.cgroupsPath = $cg'
	run_ok
	assert_eq spec-ok "$OUT" "output"
}

t_features() {
	is_runc && skip "runc 1.1 has no 'features' verb (added in runc 1.2)"
	local out
	out=$("$RUNTIME" features) || fail "features failed"
	jq -e '.ociVersionMin and .ociVersionMax' >/dev/null <<<"$out" || fail "features output: $out"
}

run_test runtime/lifecycle/create-start-kill-delete t_lifecycle_full
run_test runtime/lifecycle/pid-file t_pid_file
run_test runtime/lifecycle/run-exit-code t_run_exit_code
run_test runtime/lifecycle/run-detached t_run_detached
run_test runtime/lifecycle/state-fields t_state_fields
run_test runtime/lifecycle/list t_list
run_test runtime/lifecycle/ps-json t_ps_json
run_test runtime/lifecycle/kill-KILL t_kill_name_KILL
run_test runtime/lifecycle/kill-SIGKILL t_kill_name_SIGKILL
run_test runtime/lifecycle/kill-9 t_kill_number_9
run_test runtime/lifecycle/kill-default-TERM t_kill_default_term
run_test runtime/lifecycle/kill-all t_kill_all
run_test runtime/lifecycle/delete-force-running t_delete_force_running
run_test runtime/lifecycle/start-twice-fails t_start_twice_fails
run_test runtime/lifecycle/concurrent-delete t_concurrent_delete
run_test runtime/lifecycle/concurrent-state-during-start t_concurrent_state_during_start
run_test runtime/lifecycle/spec-runs t_spec_runs
run_test runtime/lifecycle/features t_features
