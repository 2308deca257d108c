# containers/streams: logs (with -f, --tail, --since, -t and rotation by
# --log-opt), attach, and exec with its flags.

test_logs() {
	begin logs
	crun --name lg "$IMG" sh -c 'echo one; echo two >&2; sleep 1.2; echo three; sleep 100'
	eng_wait_for 5 sh -c "$BERTH -H unix://$SOCK logs lg 2>&1 | grep -q three" || fail "no 'three' in logs"
	b_out logs lg
	assert_eq $'one\nthree' "$OUT" "logs stdout"
	assert_eq two "$ERR" "logs stderr"
	b_out logs --tail 1 lg
	assert_eq three "$OUT$ERR" "logs --tail 1"
	b_out logs --tail 0 lg
	assert_eq "" "$OUT$ERR" "logs --tail 0"
	b_out logs -t lg
	[[ ${OUT%%$'\n'*} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z\ one$ ]] ||
		fail "logs -t: '${OUT%%$'\n'*}'"
	# --since: a time after 'one' and 'two' but before 'three'
	local t_one t_three mid
	t_one=$(date -d "$(b logs -t lg 2>&1 | grep ' one$' | cut -d' ' -f1)" +%s.%N)
	t_three=$(date -d "$(b logs -t lg | grep ' three$' | cut -d' ' -f1)" +%s.%N)
	mid=$(echo "$t_one $t_three" | awk '{ printf "%.3f", ($1 + $2) / 2 }')
	b_out logs --since "$mid" lg
	assert_eq three "$OUT$ERR" "logs --since $mid"
	# -f: follows new output and ends when the container does
	crun --name fl "$IMG" sh -c 'for i in 1 2 3 4 5 6; do echo tick-$i; sleep 0.3; done'
	local t0=$SECONDS
	b_out logs -f fl
	assert_eq 0 "$RC" "logs -f ($ERR)"
	assert_eq "$(printf 'tick-%s\n' 1 2 3 4 5 6 | head -c -1)" "$OUT" "logs -f output"
	[ $((SECONDS - t0)) -lt 10 ] || fail "logs -f did not end with the container"
	b_out logs -f --tail 2 fl
	assert_eq $'tick-5\ntick-6' "$OUT" "logs -f --tail of an exited container"
	finish
}

test_logs_rotation() {
	begin logs
	crun --name rot --log-opt max-size=2k --log-opt max-file=2 "$IMG" \
		sh -c 'i=0; while [ $i -lt 400 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done; sleep 100'
	local lp
	lp=$(insp rot '{{.LogPath}}')
	[ -n "$lp" ] || fail "no LogPath"
	eng_wait_for 10 sh -c "$BERTH -H unix://$SOCK logs --tail 1 rot | grep -q line-399" || fail "last line never logged"
	[ -f "$lp" ] && [ -f "$lp.1" ] || fail "rotated files: $(ls -l "$(dirname "$lp")")"
	[ ! -e "$lp.2" ] || fail "max-file=2 kept $lp.2"
	local sz
	for f in "$lp" "$lp.1"; do
		sz=$(stat -c %s "$f")
		[ "$sz" -le 2300 ] || fail "$f is $sz bytes, max-size is 2k"
	done
	head -1 "$lp" | jq -e '.log and .stream and .time' >/dev/null || fail "not json-file lines: $(head -1 "$lp")"
	b_out logs rot
	assert_eq line-399-padding-padding-padding "$(tail -1 <<<"$OUT")" "last line in logs"
	[ "$(wc -l <<<"$OUT")" -lt 100 ] || fail "logs still shows rotated-away lines: $(wc -l <<<"$OUT")"
	assert_eq '{"max-file":"2","max-size":"2k"}' "$(insp rot '{{json .HostConfig.LogConfig.Config}}' | jq -cS .)" "LogConfig"
	finish
}

test_attach() {
	begin attach
	crun --name at "$IMG" sh -c 'sleep 1; echo late-out; echo late-err >&2; exit 3'
	b_out attach at
	assert_eq 3 "$RC" "attach returns the exit code ($ERR)"
	assert_eq late-out "$OUT" "attach stdout"
	assert_eq late-err "$ERR" "attach stderr"
	# attach with stdin to a container started with -i
	crun -i --name cat "$IMG" sh -c 'read l; echo got-$l'
	printf 'hello\n' >"$T/in"
	B_IN=$T/in b_out attach cat
	assert_eq got-hello "$OUT" "attach stdin ($ERR)"
	# a tty container, attached on a terminal
	crun -it --name tt "$IMG" sh -c 'sleep 0.5; tty; exit 6'
	b_tty "attach tt"
	assert_contains "$OUT" /dev/pts/0 "attach to a tty container"
	assert_eq 6 "$RC" "exit code through attach on a tty"
	finish
}

test_exec() {
	begin exec
	crun --name ex -e FROMRUN=1 "$IMG" sleep 100
	b_out exec ex echo hi
	assert_eq "0 hi" "$RC $OUT" "exec ($ERR)"
	b_out exec ex sh -c 'exit 7'
	assert_eq 7 "$RC" "exec exit code"
	b_out exec ex nosuchcmd
	assert_eq 127 "$RC" "exec of a missing command ($ERR)"
	b_out exec -e A=1 -e FROMRUN=2 ex sh -c 'echo $A $FROMRUN $FOO'
	assert_eq "1 2 bar" "$OUT" "exec -e, with the container's env ($ERR)"
	b_out exec ex sh -c 'echo $FROMRUN'
	assert_eq 1 "$OUT" "exec inherits the container's env"
	b_out exec -u app ex sh -c 'id -u; id -g'
	assert_eq $'1000\n1000' "$OUT" "exec -u app ($ERR)"
	b_out exec -u 4:5 ex sh -c 'id -u; id -g'
	assert_eq $'4\n5' "$OUT" "exec -u 4:5 ($ERR)"
	b_out exec -w /etc ex pwd
	assert_eq /etc "$OUT" "exec -w ($ERR)"
	printf 'in-1\nin-2\n' >"$T/in"
	B_IN=$T/in b_out exec -i ex cat
	assert_eq $'in-1\nin-2' "$OUT" "exec -i ($ERR)"
	b_tty "exec -it ex sh -c 'tty; exit 3'"
	assert_contains "$OUT" /dev/pts/ "exec -t"
	assert_eq 3 "$RC" "exec -it exit code"
	b_out exec -d ex sh -c 'sleep 0.2; touch /tmp/detached'
	assert_eq 0 "$RC" "exec -d ($ERR)"
	assert_eq "" "$OUT" "exec -d prints nothing"
	eng_wait_for 5 "$BERTH" -H "unix://$SOCK" exec ex test -f /tmp/detached || fail "exec -d did not run"
	assert_eq sleep "$(b exec ex cat /proc/1/comm)" "exec joins the container's pid namespace"
	# The exec'd process inherits no ignored signal from the monitor, and
	# --privileged gets every capability berthd holds (CapEff = CapBnd).
	b_out exec ex grep -E '^Sig(Ign|Blk)' /proc/self/status
	assert_eq $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000' "$OUT" "exec signal dispositions ($ERR)"
	b_out exec --privileged ex sh -c 'grep -E "^Cap(Eff|Bnd)" /proc/self/status'
	assert_eq 0 "$RC" "exec --privileged ($ERR)"
	assert_eq "$(sed -n 's/^CapBnd:\t//p' /proc/self/status)" "$(sed -n 's/^CapEff:\t//p' <<<"$OUT")" "exec --privileged: every capability berthd has"
	b_out exec -u nosuch ex true
	[ "$RC" -ne 0 ] || fail "exec -u nosuch succeeded"
	assert_contains "$ERR" "unable to find user nosuch" "exec -u nosuch"
	b stop -t 0 ex >/dev/null
	b_out exec ex true
	assert_eq 1 "$RC" "exec into a stopped container"
	assert_contains "$ERR" "is not running" "exec into a stopped container"
	finish
}

run_test containers/logs test_logs
run_test containers/logs-rotation test_logs_rotation
run_test containers/attach test_attach
run_test containers/exec test_exec
