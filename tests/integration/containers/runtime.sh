# containers/runtime: `--runtime NAME` end to end through berthd with an
# external OCI runtime binary (runc): berthd registers runc when it is on
# PATH and each --add-runtime NAME=PATH; /info (`berth info`, `docker info`)
# lists them next to the built-in "berth"; a container run with one is
# created, started, signalled and deleted by that binary (its state under
# <run-root>/runtime-NAME), and leaves nothing behind.

# need_runc: skips unless runc is installed; RUNC is its path.
need_runc() {
	RUNC=$(command -v runc) || skip "runc is not installed"
}

test_runtime_info() {
	need_runc
	eng_need run rm ps inspect info
	eng_start_berthd --add-runtime "alt=$RUNC"
	local info
	info=$(curl -s --unix-socket "$SOCK" http://x/info)
	assert_eq "$RUNC" "$(jq -r '.Runtimes.runc.path' <<<"$info")" "/info Runtimes.runc (auto-registered)"
	assert_eq "$RUNC" "$(jq -r '.Runtimes.alt.path' <<<"$info")" "/info Runtimes.alt (--add-runtime)"
	assert_eq true "$(jq '.Runtimes | has("berth")' <<<"$info")" "/info Runtimes.berth"
	b_out info
	assert_eq 0 "$RC" "berth info ($ERR)"
	local line
	line=$(grep -m1 'Runtimes:' <<<"$OUT")
	for rt in berth runc alt; do
		[[ " $line " == *" $rt "* ]] || fail "berth info: '$rt' missing from '$line'"
	done
	if [ -x "$DOCKER" ]; then
		d_out info
		line=$(grep -m1 'Runtimes:' <<<"$OUT")
		for rt in berth runc alt; do
			[[ " $line " == *" $rt "* ]] || fail "docker info: '$rt' missing from '$line' ($ERR)"
		done
	fi
	# the extra name runs containers too
	eng_pull
	b_out run --rm --runtime alt "$IMG" echo ok
	assert_eq "0 ok" "$RC $OUT" "run --rm --runtime alt ($ERR)"
	finish
}

test_runtime_runc_run() {
	need_runc
	begin
	b_out run --rm --runtime runc "$IMG" echo ok
	assert_eq 0 "$RC" "run --rm --runtime runc exit ($ERR)"
	assert_eq ok "$OUT" "run --rm --runtime runc output"
	b_out run --rm --runtime runc "$IMG" sh -c 'echo err >&2; exit 3'
	assert_eq 3 "$RC" "exit code through runc"
	assert_contains "$ERR" err "stderr through runc"
	b_out run --rm --runtime runc "$IMG" /nosuch/cmd
	[ "$RC" -ne 0 ] || fail "a missing command ran under runc"
	assert_eq "" "$(b ps -a -q)" "containers after run --rm"
	finish
}

test_runtime_runc_detached() {
	need_runc
	begin
	crun --runtime runc --name viarunc "$IMG" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	assert_eq "runc running" "$(insp viarunc '{{.HostConfig.Runtime}} {{.State.Status}}')" "runtime and state"
	local pid
	pid=$(insp viarunc '{{.State.Pid}}')
	pid_alive "$pid" || fail "State.Pid $pid is not alive"
	# runc itself keeps the container's state, under its own root
	local list
	list=$("$RUNC" --root "$T/run/runtime-runc" list -q 2>&1)
	assert_eq "$CID" "$list" "runc list under <run-root>/runtime-runc"
	b_out exec viarunc echo inside
	assert_eq "0 inside" "$RC $OUT" "exec through runc ($ERR)"
	b_out stop -t 5 viarunc
	assert_eq 0 "$RC" "stop ($ERR)"
	assert_eq "exited 7" "$(insp viarunc '{{.State.Status}} {{.State.ExitCode}}')" "stopped by SIGTERM"
	pid_alive "$pid" && fail "the container's process $pid outlived stop"
	b_out rm viarunc
	assert_eq 0 "$RC" "rm ($ERR)"
	assert_eq "" "$("$RUNC" --root "$T/run/runtime-runc" list -q 2>/dev/null)" "runc's state after rm"
	finish
}

run_test containers/runtime-info test_runtime_info
run_test containers/runtime-runc-run test_runtime_runc_run
run_test containers/runtime-runc-detached test_runtime_runc_detached
