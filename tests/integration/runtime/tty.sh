# tty.sh - process.terminal with --console-socket: the container sees a pty,
# consoleSize is honoured, input flows. Sourced by run.sh.

# console_start: start the receiver on $T/console.sock, output to
# $T/console.out; waits until it listens.
console_start() {
	python3 "$BERTH_TOP/tests/integration/console-socket.py" "$T/console.sock" "$T/console.out" "${1:-}" \
		2>"$T/console.err" &
	CONSOLE_PID=$!
	local n=0
	while [ ! -e "$T/console.out.ready" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	[ -e "$T/console.out.ready" ] || fail "console receiver did not start: $(cat "$T/console.err")"
}
# console_wait: wait for the receiver to see the pty close.
console_wait() {
	local n=0
	while pid_alive "$CONSOLE_PID" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	wait "$CONSOLE_PID" 2>/dev/null || true
	tr -d '\r' <"$T/console.out"
}

t_tty_console_socket() {
	new_bundle "$B"
	cfg '.process.terminal = true | .process.consoleSize = {height: 30, width: 100}'
	set_sh 'tty; test -t 0 && test -t 1 && echo IS-A-TTY; stty size'
	console_start
	rt create --bundle "$B" --console-socket "$T/console.sock" "$ID" || fail "create with console socket failed"
	rt start "$ID" || fail "start failed"
	local out
	out=$(console_wait)
	assert_eq "/dev/pts/0
IS-A-TTY
30 100" "$out" "terminal seen by the container"
}

t_tty_input() {
	new_bundle "$B"
	cfg '.process.terminal = true'
	set_sh 'read line; echo "got:$line"'
	console_start $'hello-pty\n'
	rt run -d --bundle "$B" --console-socket "$T/console.sock" "$ID" >/dev/null || fail "run -d with console socket failed"
	local out
	out=$(console_wait)
	assert_contains "$out" "got:hello-pty" "input through the pty"
}

t_tty_exec() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	console_start
	rt exec -t -d --console-socket "$T/console.sock" "$ID" sh -c 'tty; test -t 0 && echo IS-A-TTY' || fail "exec -t failed"
	local out
	out=$(console_wait)
	[[ $out == /dev/pts/[0-9]*$'\n'IS-A-TTY ]] || fail "exec -t output: $out"
}

t_tty_without_socket_fails() {
	# terminal: true with create and no console socket is an error.
	new_bundle "$B"
	leak_snapshot
	cfg '.process.terminal = true'
	if rt create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1; then fail "create with terminal and no console socket succeeded"; fi
	leak_check
}

t_no_tty_by_default() {
	new_bundle "$B"
	set_sh 'test -t 0 || echo not-a-tty'
	run_ok
	assert_eq not-a-tty "$OUT" "stdin without terminal"
}

run_test runtime/tty/console-socket-size t_tty_console_socket
run_test runtime/tty/input t_tty_input
run_test runtime/tty/exec-t t_tty_exec
run_test runtime/tty/terminal-without-socket-fails t_tty_without_socket_fails
run_test runtime/tty/none-by-default t_no_tty_by_default
