# containers/basic: `berth run` in the foreground and in the background:
# output and exit codes, stdin, a tty, names, environment, working dir,
# users, entrypoint, hostname and the files written per container.

test_run_attached() {
	begin
	b_out run --rm "$IMG" echo hello
	assert_eq 0 "$RC" "run exit ($ERR)"
	assert_eq hello "$OUT" "run output"
	b_out run --rm "$IMG" sh -c 'echo out; echo err >&2; exit 3'
	assert_eq 3 "$RC" "exit code of the container"
	assert_eq out "$OUT" "stdout"
	assert_contains "$ERR" err "stderr"
	b_out run --rm "$IMG" /nosuch/cmd
	assert_eq 127 "$RC" "exit code for a missing command ($ERR)"
	assert_contains "${ERR,,}" "no such file or directory" "missing command error"
	b_out run --rm "$IMG" nosuchcmd
	assert_eq 127 "$RC" "exit code for a command not in PATH ($ERR)"
	assert_contains "$ERR" 'executable file not found in $PATH' "not in PATH error"
	b_out run --rm "$IMG" /etc/motd
	assert_eq 126 "$RC" "exit code for a file that is not executable ($ERR)"
	# the image's Cmd (sh) with nothing on stdin ends at once
	b_out run --rm "$IMG"
	assert_eq 0 "$RC" "the image's cmd ($ERR)"
	# without --rm the container stays, exited, with its code
	b_out run --name kept "$IMG" sh -c 'exit 5'
	assert_eq 5 "$RC" "exit code"
	assert_eq "exited 5" "$(insp kept '{{.State.Status}} {{.State.ExitCode}}')" "state of an exited container"
	assert_eq kept "$(b ps -a --format '{{.Names}}')" "ps -a after runs with --rm"
	finish
}

test_run_detached() {
	begin
	crun --name bg "$IMG" sleep 100
	assert_eq "running true" "$(insp bg '{{.State.Status}} {{.State.Running}}')" "state"
	assert_eq "$CID" "$(insp bg '{{.Id}}')" "id printed by run -d"
	assert_eq /bg "$(insp "${CID:0:12}" '{{.Name}}')" "name, by short id"
	local pid
	pid=$(insp bg '{{.State.Pid}}')
	pid_alive "$pid" || fail "State.Pid $pid is not alive"
	assert_eq sleep "$(cat /proc/$pid/comm)" "the container's process"
	assert_contains "$(b ps)" "bg" "ps"
	assert_eq "${CID:0:12}" "$(b ps -q)" "ps -q"
	# --rm with -d: gone once it exits
	crun --rm "$IMG" sh -c 'sleep 0.3'
	local rmid=$CID
	eng_wait_for 10 sh -c "! $BERTH -H unix://$SOCK inspect $rmid" || fail "--rm -d container still there"
	assert_eq "$(b ps -a -q --no-trunc)" "$(insp bg '{{.Id}}')" "only bg left"
	finish
}

test_run_stdin() {
	begin
	printf 'line one\nline two\n' >"$T/in"
	B_IN=$T/in b_out run --rm -i "$IMG" cat
	assert_eq 0 "$RC" "run -i exit ($ERR)"
	assert_eq $'line one\nline two' "$OUT" "run -i echoes stdin"
	B_IN=$T/in b_out run --rm -i "$IMG" wc -l
	assert_eq 2 "$(tr -d ' ' <<<"$OUT")" "lines read by the container"
	# without -i the container's stdin is not the client's
	B_IN=$T/in b_out run --rm "$IMG" cat
	assert_eq 0 "$RC" "run without -i ($ERR)"
	assert_eq "" "$OUT" "stdin not attached without -i"
	finish
}

test_run_tty() {
	begin
	b_tty "run --rm -t $IMG sh -c 'tty; echo TERM=\$TERM; stty size'"
	assert_eq 0 "$RC" "run -t exit ($OUT)"
	assert_contains "$OUT" /dev/pts/0 "tty in the container"
	assert_contains "$OUT" TERM=xterm "TERM"
	# The pty has the terminal's size from the start (HostConfig.ConsoleSize),
	# with and without -i. script's stdin stays open: at its EOF script
	# types a NUL into the terminal, which -i would pass on.
	local i
	for i in -t -it; do
		timeout -s KILL "$ENG_CMD_TIMEOUT" script -qec "stty rows 30 cols 100; $BERTH -H unix://$SOCK run --rm $i $IMG stty size" \
			/dev/null < <(sleep 10) >"$T/tty.out" 2>&1
		assert_eq "30 100" "$(tr -d '\r' <"$T/tty.out")" "run $i: the pty's size at start"
	done
	# the exit code goes through the pty too
	b_tty "run --rm -it $IMG sh -c 'exit 4'"
	assert_eq 4 "$RC" "run -it exit code"
	# -it with input typed on the terminal
	printf 'echo typed-$((6*7))\nexit 0\n' >"$T/typed"
	B_IN=$T/typed b_tty "run --rm -it $IMG sh"
	assert_contains "$OUT" typed-42 "input typed into run -it"
	finish
}

test_run_env_workdir() {
	begin
	printf '# comment\nFROMFILE=f1\n\nSPACED=a b\n' >"$T/env"
	HOSTVAR=fromhost b_out run --rm -e A=1 -e HOSTVAR --env-file "$T/env" -e FOO=over "$IMG" env
	assert_eq 0 "$RC" "run -e ($ERR)"
	assert_line "$OUT" A=1 "-e A=1"
	assert_contains "$OUT" "HOSTVAR=fromhost" "-e NAME takes the client's value"
	assert_contains "$OUT" "FROMFILE=f1" "--env-file"
	assert_contains "$OUT" "SPACED=a b" "--env-file keeps spaces"
	assert_contains "$OUT" "FOO=over" "-e overrides the image's Env"
	assert_not_contains "$OUT" "comment" "--env-file comment"
	assert_contains "$OUT" "PATH=/usr/local/sbin" "default PATH"
	assert_contains "$OUT" "HOSTNAME=" "HOSTNAME"
	b_out run --rm "$IMG" sh -c 'echo $FOO'
	assert_eq bar "$OUT" "the image's Env"
	b_out run --rm -w /tmp "$IMG" pwd
	assert_eq /tmp "$OUT" "-w"
	b_out run --rm -w /new/dir "$IMG" pwd
	assert_eq /new/dir "$OUT" "-w makes a missing dir (as docker does)"
	b_out run --rm "$IMG" pwd
	assert_eq / "$OUT" "default working dir"
	finish
}

test_run_user() {
	begin
	b_out run --rm -u app "$IMG" sh -c 'id -u; id -g; echo $HOME'
	assert_eq $'1000\n1000\n/home/app' "$OUT" "-u by name ($ERR)"
	b_out run --rm -u 1234:5678 "$IMG" sh -c 'id -u; id -g'
	assert_eq $'1234\n5678' "$OUT" "-u uid:gid ($ERR)"
	b_out run --rm -u daemon:root "$IMG" sh -c 'id -u; id -g'
	assert_eq $'1\n0' "$OUT" "-u name:group ($ERR)"
	b_out run --rm -u app "$IMG" touch /root/x
	[ "$RC" -ne 0 ] || fail "uid 1000 could write /root"
	b_out run --rm -u nosuch "$IMG" true
	assert_eq 125 "$RC" "run -u nosuch exit"
	assert_contains "$ERR" "unable to find user nosuch: no matching entries in passwd file" "unknown user"
	b_out run -u nosuch --name nouser "$IMG" true
	assert_eq 125 "$RC" "run -u nosuch exit (no --rm)"
	assert_eq "" "$(b ps -q)" "nothing running after an unknown user"
	finish
}

test_run_entrypoint_hostname() {
	begin exec
	b_out run --rm --entrypoint echo "$IMG" hi there
	assert_eq "hi there" "$OUT" "--entrypoint ($ERR)"
	b_out run --rm --entrypoint /bin/hostname "$IMG"
	assert_eq 0 "$RC" "--entrypoint without args ($ERR)"
	# The "<address> <hostname>" line of /etc/hosts comes with an address
	# (the bridge network, issue 5).
	b_out run --rm -h myhost "$IMG" sh -c 'hostname; cat /etc/hostname'
	assert_eq $'myhost\nmyhost' "$OUT" "-h"
	crun --name named "$IMG" sleep 100
	b_out exec named hostname
	assert_eq "${CID:0:12}" "$OUT" "default hostname is the short id"
	b_out exec named sh -c 'test -s /etc/hosts && test -s /etc/hostname && test -f /etc/resolv.conf && grep -q localhost /etc/hosts && echo files-ok'
	assert_eq files-ok "$OUT" "/etc/hosts, /etc/hostname, /etc/resolv.conf ($ERR)"
	b_out exec named sh -c 'grep nameserver /etc/resolv.conf | grep -c "nameserver 127\."'
	assert_eq 0 "$OUT" "no loopback nameserver in resolv.conf"
	finish
}

run_test containers/run-attached test_run_attached
run_test containers/run-detached test_run_detached
run_test containers/run-stdin test_run_stdin
run_test containers/run-tty test_run_tty
run_test containers/run-env-workdir test_run_env_workdir
run_test containers/run-user test_run_user
run_test containers/run-entrypoint-hostname test_run_entrypoint_hostname
