#!/bin/bash
# The restore family: what survives a berthd that dies. kill -9 berthd with
# a running container and one that exits while berthd is down, restart it:
# the running one is still running and controllable, the exited one shows
# its real exit code. kill -9 in the middle of `run`: nothing orphaned.
# on-failure:3 restarts exactly three times with growing delays, with
# berthd up and with berthd dead. And a leak audit: 200 `run -d` + `rm -f`
# cycles, then mounts, cgroups, monitors and berthd's open fds are back to
# their baseline. Figures (time per cycle, delays) are printed at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

suite_begin restore
eng_setup
IMG=${ENG_IMG:-none}
NOTES=$SUITE_TMP/notes
: >"$NOTES"
LEAK_CYCLES=${LEAK_CYCLES:-200}

begin() {
	eng_need run rm ps inspect logs stop "$@"
	eng_start_berthd
	eng_pull
}
finish() {
	local ids
	ids=$(b ps -a -q)
	[ -z "$ids" ] || b rm -f $ids >/dev/null || fail "rm -f of the test's containers"
	assert_eq "" "$(b ps -a -q)" "containers after rm -f"
	eng_leak_check
}
crun() {
	b_out run -d "$@"
	[ "$RC" -eq 0 ] || fail "run -d $* exited $RC: $ERR"
	CID=$(tail -1 <<<"$OUT")
	[[ $CID =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$OUT', not a full id"
	echo "$CID" >>"$T/.cids"
}
note() { echo "$*" >>"$NOTES"; }

test_kill9_live_restore() {
	begin exec create start
	crun --name live "$IMG" sh -c 'i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.2; done'
	local live_pid
	live_pid=$(insp live '{{.State.Pid}}')
	crun --name dies "$IMG" sh -c 'sleep 1.5; exit 7'
	crun --rm --name gone "$IMG" sh -c 'sleep 1; exit 0'
	local gone=$CID
	b create --name fresh "$IMG" true >/dev/null || fail "create fresh"
	sleep 0.5
	eng_kill9_berthd
	sleep 2.5
	pid_alive "$live_pid" || fail "the container died with berthd"
	eng_restart_berthd
	assert_eq "running $live_pid" "$(insp live '{{.State.Status}} {{.State.Pid}}')" "live after restore"
	assert_eq "exited 7" "$(insp dies '{{.State.Status}} {{.State.ExitCode}}')" "the one that exited meanwhile"
	[[ $(insp dies '{{.State.FinishedAt}}') != 0001-* ]] || fail "FinishedAt not recorded"
	b_out inspect "$gone"
	[ "$RC" -ne 0 ] || fail "the --rm container that exited meanwhile is still there"
	assert_eq created "$(insp fresh '{{.State.Status}}')" "a created container"
	assert_eq $'dies\nfresh\nlive' "$(b ps -a --format '{{.Names}}' | sort)" "ps -a after restore"
	# logs go on: more ticks now than a moment ago, with none lost in between
	local n1 n2
	n1=$(b logs live | wc -l)
	sleep 0.8
	n2=$(b logs live | wc -l)
	[ "$n2" -gt "$n1" ] || fail "logs stopped after restore ($n1 -> $n2)"
	# (one read of the log: the container keeps writing between two reads)
	b logs live | awk '$0 != "tick-" NR - 1 { print "line " NR ": " $0; bad = 1 } END { exit bad }' >"$T/gaps" ||
		fail "a tick was lost across the restore: $(head -3 "$T/gaps")"
	# and it is controllable
	b_out exec live echo inside
	assert_eq inside "$OUT" "exec after restore ($ERR)"
	b_out stop -t 1 live
	assert_eq 0 "$RC" "stop after restore ($ERR)"
	assert_eq exited "$(insp live '{{.State.Status}}')" "stopped after restore"
	pid_alive "$live_pid" && fail "process $live_pid alive after stop"
	b_out start fresh
	assert_eq 0 "$RC" "start of a created container after restore ($ERR)"
	# a second restart with nothing running: nothing changes
	eng_stop_berthd
	eng_restart_berthd
	assert_eq "exited 7" "$(insp dies '{{.State.Status}} {{.State.ExitCode}}')" "after a clean restart"
	finish
}

# kill -9 while `run -d` is in flight, at several points: afterwards every
# container is accounted for (listed, and removable) and nothing is
# orphaned.
test_kill9_during_run() {
	begin
	local delay
	for delay in 0.01 0.05 0.1 0.2; do
		b run -d "$IMG" sleep 100 >/dev/null 2>&1 &
		local cpid=$!
		sleep "$delay"
		eng_kill9_berthd
		wait "$cpid" 2>/dev/null
		eng_restart_berthd
		eng_ids >/dev/null
	done
	local ids
	ids=$(b ps -a -q)
	[ -z "$ids" ] || b rm -f $ids >/dev/null || fail "rm -f after kill -9 during run"
	# a berthd restart once more must not bring anything back
	eng_stop_berthd
	eng_restart_berthd
	assert_eq "" "$(b ps -a -q)" "containers after kill -9 during run and rm -f"
	note "kill -9 during run: $(sort -u "$T/.cids" | grep -c .) containers made across 4 kills, all accounted for"
	finish
}

# restart_times NAME: the container prints /proc/uptime (10 ms steps) at
# each start; prints the gaps between starts in seconds.
restart_gaps() {
	b logs "$1" | awk 'NR > 1 { printf "%.2f\n", $1 - prev } { prev = $1 }'
}
check_on_failure() {
	local name=$1 gaps g prev=0 i=0 min
	eng_wait_for 20 sh -c "[ \$($BERTH -H unix://$SOCK inspect -f '{{.State.Status}}/{{.RestartCount}}' $name) = exited/3 ]" ||
		fail "$name: state $(insp "$name" '{{.State.Status}}/{{.RestartCount}}')"
	sleep 1.5
	assert_eq "exited 3 3" "$(insp "$name" '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')" "$name after on-failure:3"
	assert_eq 4 "$(b logs "$name" | wc -l)" "$name: runs (one start and exactly three restarts)"
	gaps=$(restart_gaps "$name")
	# Docker's back-off: 100 ms, then 200, then 400, each plus the run
	for g in $gaps; do
		min=$(awk -v i=$i 'BEGIN { printf "%.2f", 0.09 * 2 ^ i }')
		awk -v g="$g" -v m="$min" -v p="$prev" 'BEGIN { exit !(g >= m && g > p) }' ||
			fail "$name: restart delays do not grow as 100/200/400 ms: $(echo $gaps)"
		prev=$g
		i=$((i + 1))
	done
	note "$name: gaps between starts (s): $(echo $gaps)"
}

test_on_failure() {
	begin events
	local since
	since=$(date +%s)
	crun --name of --restart on-failure:3 "$IMG" sh -c 'cut -d" " -f1 /proc/uptime; exit 3'
	check_on_failure of
	b_out events --since "$since" --until "$(date +%s)" --filter container=of --filter event=die
	assert_eq 4 "$(grep -c 'container die' <<<"$OUT")" "die events ($ERR)"
	finish
}

test_on_failure_berthd_down() {
	begin
	crun --name ofd --restart on-failure:3 "$IMG" sh -c 'sleep 0.3; cut -d" " -f1 /proc/uptime; exit 3'
	eng_kill9_berthd
	sleep 3
	eng_restart_berthd
	check_on_failure ofd
	finish
}

# fd_count: berthd's open fds.
fd_count() { ls "/proc/$DPID/fd" | wc -l; }
test_leak_audit() {
	begin
	# warm up: the first container makes what berthd keeps for all
	crun "$IMG" sleep 60
	b rm -f "$CID" >/dev/null || fail "rm -f warm-up"
	sleep 0.5
	local fds0 mnt0 i t0 dt id
	fds0=$(fd_count)
	mnt0=$(eng_mounts | wc -l)
	t0=$(date +%s%N)
	for i in $(seq "$LEAK_CYCLES"); do
		id=$(b run -d "$IMG" sleep 60) || fail "cycle $i: run -d: $id"
		echo "$id" >>"$T/.cids"
		b rm -f "$id" >/dev/null || fail "cycle $i: rm -f $id"
	done
	dt=$((($(date +%s%N) - t0) / 1000000))
	note "leak audit: $LEAK_CYCLES run -d + rm -f cycles in ${dt} ms ($((dt / LEAK_CYCLES)) ms per cycle)"
	assert_eq "" "$(b ps -a -q)" "containers after the cycles"
	for i in $(seq 20); do [ "$(fd_count)" -le "$fds0" ] && break; sleep 0.1; done
	assert_eq "$fds0" "$(fd_count)" "berthd's open fds (before: $fds0) $(ls -l /proc/$DPID/fd | tail -n +2 | awk '{ print $NF }' | sort | uniq -c | sort -rn | head -5 | tr '\n' ';')"
	assert_eq "$mnt0" "$(eng_mounts | wc -l)" "mounts naming the test dir"
	local cgs=
	for id in $(sort -u "$T/.cids"); do cgs="$cgs$(eng_cgroups "$id")"; done
	[ -z "$cgs" ] || fail "cgroups left: $(echo "$cgs" | head -5)"
	[ -z "$(eng_monitors)" ] || fail "monitors left: $(eng_monitors | head -5)"
	assert_eq 0 "$(ls "$T/run/containers" 2>/dev/null | wc -l)" "run dirs left"
	finish
}

# A removal renames the container's directory to <id>.removing and deletes
# it on a thread: a berthd killed in between leaves that directory, which
# no record names. The restart removes it, and a real container's
# directory stays.
test_kill9_during_removal() {
	begin
	crun --name stays "$IMG" sleep 60
	local stays=$CID
	local trash=$T/root/containers/$(printf 'ab%.0s' $(seq 32)).removing
	mkdir -p "$trash/upper/etc" "$trash/work/work" "$trash/rootfs" || fail "mkdir $trash"
	echo x >"$trash/upper/etc/hosts"
	eng_kill9_berthd
	eng_restart_berthd
	[ ! -e "$trash" ] || fail "the interrupted removal's directory is still there: $(ls -R "$trash")"
	[ -d "$T/root/containers/$stays" ] || fail "the live container's directory was removed"
	assert_eq running "$(insp stays '{{.State.Status}}')" "the live container after the restart"
	finish
}

run_test restore/kill9-live-restore test_kill9_live_restore
run_test restore/kill9-during-removal test_kill9_during_removal
run_test restore/kill9-during-run test_kill9_during_run
run_test restore/on-failure test_on_failure
run_test restore/on-failure-berthd-down test_on_failure_berthd_down
TEST_TIMEOUT=$((TEST_TIMEOUT > 240 ? TEST_TIMEOUT : 240)) run_test restore/leak-audit test_leak_audit

sed 's/^/# /' "$NOTES"
eng_teardown
suite_end
