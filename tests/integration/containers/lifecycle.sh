# containers/lifecycle: create, start, stop, restart, kill, rm, ps, wait,
# inspect, rename, pause/unpause, top, stats, events, labels, health
# checks and container prune.

test_create_start() {
	begin create start
	b_out create --name c1 "$IMG" echo from-c1
	assert_eq 0 "$RC" "create ($ERR)"
	[[ $OUT =~ ^[0-9a-f]{64}$ ]] || fail "create printed '$OUT', not an id"
	assert_eq created "$(insp c1 '{{.State.Status}}')" "state after create"
	assert_contains "$(b ps -a --filter name=c1 --format '{{.Status}}')" Created "ps -a status"
	assert_eq "" "$(b ps -q)" "a created container is not running"
	b_out start -a c1
	assert_eq 0 "$RC" "start -a ($ERR)"
	assert_eq from-c1 "$OUT" "start -a output"
	assert_eq "exited 0" "$(insp c1 '{{.State.Status}} {{.State.ExitCode}}')" "after start -a"
	# start again: same container, same command
	b_out start -a c1
	assert_eq from-c1 "$OUT" "start -a of an exited container"
	printf 'via start -ai\n' >"$T/in"
	b create -i --name c2 "$IMG" cat >/dev/null || fail "create -i"
	B_IN=$T/in b_out start -a -i c2
	assert_eq "via start -ai" "$OUT" "start -ai ($ERR)"
	b create --name c3 "$IMG" sleep 100 >/dev/null
	b_out start c3
	assert_eq c3 "$OUT" "start prints the name it was given"
	eng_wait_state c3 running
	b_out start c3
	assert_eq 0 "$RC" "start of a running container is a no-op ($ERR)"
	finish
}

test_stop_kill() {
	begin stop kill logs
	# sleep as pid 1 ignores TERM: stop waits -t seconds, then kills
	crun "$IMG" sleep 100
	local t0 dt
	t0=$(date +%s%N)
	b_out stop -t 2 "$CID"
	dt=$((($(date +%s%N) - t0) / 1000000))
	assert_eq 0 "$RC" "stop -t 2 ($ERR)"
	assert_eq "$CID" "$OUT" "stop prints what it was given"
	[ "$dt" -ge 1800 ] && [ "$dt" -lt 6000 ] || fail "stop -t 2 took ${dt} ms"
	assert_eq "exited 137" "$(insp "$CID" '{{.State.Status}} {{.State.ExitCode}}')" "after stop -t"
	# --stop-timeout is the default for stop
	crun --stop-timeout 1 "$IMG" sleep 100
	t0=$(date +%s%N)
	b stop "$CID" >/dev/null || fail "stop"
	dt=$((($(date +%s%N) - t0) / 1000000))
	[ "$dt" -ge 800 ] && [ "$dt" -lt 5000 ] || fail "stop with --stop-timeout 1 took ${dt} ms"
	# --stop-signal: the handler runs and decides the exit code
	crun --stop-signal USR1 "$IMG" sh -c 'trap "echo got-usr1; exit 5" USR1; while :; do sleep 0.1; done'
	sleep 0.3
	b stop -t 10 "$CID" >/dev/null || fail "stop --stop-signal"
	assert_eq "exited 5" "$(insp "$CID" '{{.State.Status}} {{.State.ExitCode}}')" "--stop-signal USR1"
	assert_eq got-usr1 "$(b logs "$CID")" "handler output"
	assert_eq USR1 "$(insp "$CID" '{{.Config.StopSignal}}')" "Config.StopSignal (as given, like docker)"
	# kill: SIGKILL by default, -s names another
	crun "$IMG" sh -c 'trap "echo got-hup" HUP; while :; do sleep 0.1; done'
	sleep 0.3
	b_out kill -s HUP "$CID"
	assert_eq 0 "$RC" "kill -s HUP ($ERR)"
	eng_wait_for 5 sh -c "$BERTH -H unix://$SOCK logs $CID | grep -q got-hup" || fail "HUP not delivered"
	assert_eq running "$(insp "$CID" '{{.State.Status}}')" "still running after HUP"
	b kill "$CID" >/dev/null || fail "kill"
	eng_wait_state "$CID" exited
	assert_eq 137 "$(insp "$CID" '{{.State.ExitCode}}')" "exit after kill"
	b_out kill "$CID"
	assert_eq 1 "$RC" "kill of a stopped container"
	assert_contains "$ERR" "is not running" "kill of a stopped container"
	b_out kill -s NOPE "$CID"
	[ "$RC" -ne 0 ] || fail "kill -s NOPE accepted"
	finish
}

test_restart_rm() {
	begin restart
	crun --name r1 "$IMG" sleep 100
	local pid1 pid2 st1
	pid1=$(insp r1 '{{.State.Pid}}')
	st1=$(insp r1 '{{.State.StartedAt}}')
	b_out restart -t 1 r1
	assert_eq 0 "$RC" "restart ($ERR)"
	eng_wait_state r1 running
	pid2=$(insp r1 '{{.State.Pid}}')
	[ "$pid1" != "$pid2" ] || fail "restart kept the same process $pid1"
	[ "$st1" != "$(insp r1 '{{.State.StartedAt}}')" ] || fail "StartedAt unchanged by restart"
	pid_alive "$pid1" && fail "old process $pid1 still alive"
	# rm of a running container needs -f
	b_out rm r1
	assert_eq 1 "$RC" "rm of a running container"
	grep -qiE 'cannot remove a running container|container is running' <<<"$ERR" ||
		fail "rm of a running container: $ERR"
	b_out rm -f -v r1
	assert_eq 0 "$RC" "rm -f -v ($ERR)"
	assert_eq r1 "$OUT" "rm prints the name"
	b_out inspect r1
	assert_eq 1 "$RC" "inspect after rm"
	assert_contains "$ERR" "No such object: r1" "inspect after rm"
	pid_alive "$pid2" && fail "process $pid2 alive after rm -f"
	b_out rm nosuch
	assert_eq 1 "$RC" "rm of a missing container"
	assert_contains "$ERR" "No such container: nosuch" "rm of a missing container"
	finish
}

test_ps_inspect_wait() {
	begin wait
	crun --name p1 -l tier=web -l env=test "$IMG" sleep 100
	local p1=$CID
	crun --name p2 --label tier=db "$IMG" sh -c 'exit 3'
	b_out wait p2
	assert_eq 3 "$OUT" "wait prints the exit code ($ERR)"
	assert_eq 0 "$RC" "wait exit"
	assert_eq "p1" "$(b ps --format '{{.Names}}')" "ps shows running only"
	assert_eq $'p1\np2' "$(b ps -a --format '{{.Names}}' | sort)" "ps -a"
	assert_eq "${p1:0:12}" "$(b ps -q)" "ps -q"
	assert_eq "$p1" "$(b ps -q --no-trunc)" "ps -q --no-trunc"
	assert_eq p2 "$(b ps -a --filter status=exited --format '{{.Names}}')" "--filter status=exited"
	assert_eq p1 "$(b ps -a --filter label=tier=web --format '{{.Names}}')" "--filter label=K=V"
	assert_eq $'p1\np2' "$(b ps -a --filter label=tier --format '{{.Names}}' | sort)" "--filter label=K"
	assert_eq p2 "$(b ps -a --filter name=p2 -q | xargs -r "$BERTH" -H "unix://$SOCK" inspect -f '{{.Name}}' | tr -d /)" "--filter name"
	assert_eq p1 "$(b ps -a --filter "id=${p1:0:8}" --format '{{.Names}}')" "--filter id"
	assert_eq p1 "$(b ps -a --filter before=p2 --format '{{.Names}}')" "--filter before"
	assert_eq p2 "$(b ps -a --filter since=p1 --format '{{.Names}}')" "--filter since"
	assert_eq "" "$(b ps -a --filter since=p2 --format '{{.Names}}')" "--filter since the newest"
	b ps -a | head -1 | grep -q '^CONTAINER ID  *IMAGE  *COMMAND  *CREATED  *STATUS  *PORTS  *NAMES$' ||
		fail "ps header: $(b ps -a | head -1)"
	assert_contains "$(b ps -a --filter name=p2)" "Exited (3)" "ps status of p2"
	assert_contains "$(b ps --filter name=p1)" "Up " "ps status of p1"
	assert_contains "$(b ps --no-trunc)" "$p1" "ps --no-trunc"
	assert_eq "web test" "$(insp p1 '{{index .Config.Labels "tier"}} {{.Config.Labels.env}}')" "labels"
	assert_eq "$IMG" "$(insp p1 '{{.Config.Image}}')" "Config.Image"
	assert_eq '["sleep","100"]' "$(insp p1 '{{json .Config.Cmd}}')" "Config.Cmd"
	assert_eq "running true false 0" "$(insp p1 '{{.State.Status}} {{.State.Running}} {{.State.Paused}} {{.State.ExitCode}}')" "State"
	b inspect p1 p2 >"$T/i.json" || fail "inspect of two"
	assert_eq 2 "$(jq length "$T/i.json")" "inspect of two containers"
	assert_eq "/p1 /p2" "$(jq -r '[.[].Name] | join(" ")' "$T/i.json")" "names in inspect"
	jq -e '.[0] | .Id and .Created and .Path and .Args and .State and .Image and .HostConfig and .Config and .NetworkSettings and .Mounts' \
		"$T/i.json" >/dev/null || fail "inspect lacks docker's fields: $(jq -c '.[0] | keys' "$T/i.json")"
	b_out inspect -f '{{.Nope}}' p1
	[ "$RC" -ne 0 ] || fail "inspect -f of an unknown field succeeded"
	# wait blocks until the container exits
	crun "$IMG" sh -c 'sleep 1; exit 9'
	b_out wait "$CID"
	assert_eq 9 "$OUT" "wait on a running container"
	finish
}

test_pause_rename_top_stats() {
	begin pause unpause rename top stats exec
	# The counter file is replaced whole (mv), so a read never sees it empty.
	crun --name pz "$IMG" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.05; done'
	# The counter has started (a loaded machine may take a while).
	eng_wait_for 10 test -s "/proc/$(insp pz '{{.State.Pid}}')/root/tmp/n" || fail "the counter did not start"
	b_out pause pz
	assert_eq 0 "$RC" "pause ($ERR)"
	assert_eq "paused true" "$(insp pz '{{.State.Status}} {{.State.Paused}}')" "state after pause"
	assert_eq FROZEN "$(cg "$CID" freezer freezer.state)" "freezer state"
	assert_contains "$(b ps --format '{{.Status}}')" "(Paused)" "ps while paused"
	local n1 n2
	n1=$(cat "/proc/$(insp pz '{{.State.Pid}}')/root/tmp/n")
	sleep 0.5
	n2=$(cat "/proc/$(insp pz '{{.State.Pid}}')/root/tmp/n")
	assert_eq "$n1" "$n2" "the counter while paused"
	b_out exec pz true
	[ "$RC" -ne 0 ] || fail "exec into a paused container succeeded"
	b_out unpause pz
	assert_eq 0 "$RC" "unpause ($ERR)"
	assert_eq running "$(insp pz '{{.State.Status}}')" "state after unpause"
	local f
	f=/proc/$(insp pz '{{.State.Pid}}')/root/tmp/n
	eng_wait_for 10 sh -c "[ \"\$(cat $f)\" -gt $n1 ]" || fail "the counter did not move after unpause ($n1 -> $(cat "$f"))"
	b_out rename pz renamed
	assert_eq 0 "$RC" "rename ($ERR)"
	assert_eq /renamed "$(insp renamed '{{.Name}}')" "name after rename"
	b_out inspect pz
	assert_eq 1 "$RC" "old name after rename"
	crun --name other "$IMG" sleep 100
	b_out rename other renamed
	assert_eq 1 "$RC" "rename to a name in use"
	assert_contains "$ERR" "already in use" "rename to a name in use"
	b_out top renamed
	assert_eq 0 "$RC" "top ($ERR)"
	assert_contains "$(head -1 <<<"$OUT")" PID "top header"
	assert_contains "$OUT" "sleep 0.05" "top lists the container's processes"
	assert_contains "$OUT" "$(insp renamed '{{.State.Pid}}')" "top shows host pids"
	b_out stats --no-stream renamed other
	assert_eq 0 "$RC" "stats --no-stream ($ERR)"
	head -1 <<<"$OUT" | grep -q 'CONTAINER ID *NAME *CPU % *MEM USAGE / LIMIT *MEM % *NET I/O *BLOCK I/O *PIDS' ||
		fail "stats header: $(head -1 <<<"$OUT")"
	assert_contains "$OUT" renamed "stats lists the container"
	assert_eq 3 "$(wc -l <<<"$OUT")" "stats lines"
	b_out stats --no-stream --format '{{.Name}} {{.PIDs}}' other
	assert_eq "other 1" "$OUT" "stats --format"
	finish
}

test_events() {
	begin events wait
	local since
	since=$(date +%s)
	crun --name ev "$IMG" sh -c 'exit 2'
	b wait ev >/dev/null
	b rm ev >/dev/null
	sleep 1
	b_out events --since "$since" --until "$(date +%s)"
	assert_eq 0 "$RC" "events --since --until ($ERR)"
	local a
	for a in create start die destroy; do
		grep -q "container $a $CID" <<<"$OUT" || fail "no '$a' event: $OUT"
	done
	assert_contains "$(grep "container die" <<<"$OUT")" "exitCode=2" "die event attributes"
	assert_contains "$(grep "container create" <<<"$OUT")" "name=ev" "create event attributes"
	b_out events --since "$since" --until "$(date +%s)" --filter event=die --format '{{.Status}} {{.Actor.Attributes.name}}'
	assert_eq "die ev" "$OUT" "events --filter --format"
	# live: a start shows up on a running `events`
	# (berth itself, not the b wrapper: its pid is the one to stop)
	"$BERTH" -H "unix://$SOCK" events --filter event=start --format '{{.Actor.Attributes.name}}' >"$T/ev" 2>&1 &
	local epid=$!
	sleep 0.5
	crun --name live "$IMG" true
	eng_wait_for 5 grep -q live "$T/ev" || fail "events did not stream the start: $(cat "$T/ev")"
	kill "$epid"
	wait "$epid" 2>/dev/null
	finish
}

test_health() {
	begin
	crun --name good --health-cmd 'test -f /tmp/ok' --health-interval 300ms --health-retries 2 \
		"$IMG" sh -c 'touch /tmp/ok; sleep 100'
	crun --name bad --health-cmd 'exit 1' --health-interval 300ms --health-retries 2 --health-timeout 1s \
		"$IMG" sleep 100
	crun --name slow --health-cmd 'true' --health-interval 30s --health-start-period 60s "$IMG" sleep 100
	eng_wait_for 10 sh -c "[ \$($BERTH -H unix://$SOCK inspect -f '{{.State.Health.Status}}' good) = healthy ]" ||
		fail "good never became healthy: $(insp good '{{json .State.Health}}')"
	eng_wait_for 10 sh -c "[ \$($BERTH -H unix://$SOCK inspect -f '{{.State.Health.Status}}' bad) = unhealthy ]" ||
		fail "bad never became unhealthy: $(insp bad '{{json .State.Health}}')"
	assert_contains "$(b ps --filter name=good --format '{{.Status}}')" "(healthy)" "ps of a healthy container"
	assert_contains "$(b ps --filter name=bad --format '{{.Status}}')" "(unhealthy)" "ps of an unhealthy container"
	assert_eq starting "$(insp slow '{{.State.Health.Status}}')" "before the first check"
	assert_contains "$(b ps --filter name=slow --format '{{.Status}}')" "(health: starting)" "ps while starting"
	[ "$(insp bad '{{.State.Health.FailingStreak}}')" -ge 2 ] || fail "FailingStreak $(insp bad '{{.State.Health.FailingStreak}}')"
	assert_eq 1 "$(b inspect bad | jq '.[0].State.Health.Log[0].ExitCode')" "health log exit code"
	assert_eq '["CMD-SHELL","exit 1"]' "$(insp bad '{{json .Config.Healthcheck.Test}}')" "Config.Healthcheck"
	assert_eq good "$(b ps --filter health=healthy --format '{{.Names}}')" "ps --filter health=healthy"
	finish
}

test_container_prune() {
	begin container wait
	crun --name keep "$IMG" sleep 100
	crun --name gone1 "$IMG" true
	crun --name gone2 "$IMG" sh -c 'exit 1'
	local g2=$CID
	b wait gone1 gone2 >/dev/null
	b_out container prune -f
	assert_eq 0 "$RC" "container prune ($ERR)"
	assert_contains "$OUT" "Deleted Containers:" "prune output"
	assert_contains "$OUT" "$g2" "prune lists the removed"
	assert_contains "$OUT" "Total reclaimed space" "prune output"
	assert_eq keep "$(b ps -a --format '{{.Names}}')" "prune keeps running containers"
	# `container` forms of the verbs
	b_out container ls -a -q
	assert_eq "$(b ps -a -q)" "$OUT" "container ls"
	b_out container inspect -f '{{.Name}}' keep
	assert_eq /keep "$OUT" "container inspect"
	finish
}

# What `run --rm` leaves: nothing under the root's containers dir once the
# removal has run (it deletes the directory after renaming it away), and
# only a --rm container's overlay is "volatile" (no sync at unmount: its
# writable layer dies with it); a kept container's layer is not.
rootfs_opts() { awk -v m="$T/root/containers/$1/rootfs" '$5 == m { print $NF }' /proc/self/mountinfo; }
test_run_rm_leaves_nothing() {
	begin
	local i left
	for i in 1 2 3; do
		b_out run --rm "$IMG" sh -c 'echo data >/written; cat /written'
		assert_eq 0 "$RC" "run --rm $i ($ERR)"
		assert_eq data "$OUT" "output of run --rm $i"
	done
	for i in $(seq 50); do
		left=$(ls -A "$T/root/containers" 2>/dev/null)
		[ -z "$left" ] && break
		sleep 0.1
	done
	assert_eq "" "$left" "container dirs left after run --rm"
	assert_eq "" "$(b ps -a -q)" "containers after run --rm"
	crun --rm "$IMG" sleep 60
	local rm_id=$CID
	assert_contains "$(rootfs_opts "$rm_id")" volatile "overlay options of a --rm container"
	crun "$IMG" sleep 60
	local kept=$CID
	local opts
	opts=$(rootfs_opts "$kept")
	[ -n "$opts" ] || fail "no rootfs mount for $kept"
	assert_not_contains "$opts" volatile "overlay options of a kept container"
	b rm -f "$rm_id" "$kept" >/dev/null || fail "rm -f"
	finish
}

run_test containers/create-start test_create_start
run_test containers/stop-kill test_stop_kill
run_test containers/restart-rm test_restart_rm
run_test containers/ps-inspect-wait test_ps_inspect_wait
run_test containers/pause-rename-top-stats test_pause_rename_top_stats
run_test containers/events test_events
run_test containers/health test_health
run_test containers/container-prune test_container_prune
run_test containers/run-rm-leaves-nothing test_run_rm_leaves_nothing
