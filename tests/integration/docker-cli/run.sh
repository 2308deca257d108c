#!/bin/bash
# The docker-cli family: the real `docker` CLI (DOCKER_HOST=unix://…)
# against berthd, for what users type most: run --rm, run -it (under
# script), run -d, logs -f, exec -it, ps, stop, rm -f, stats --no-stream,
# cp, inspect and wait. The image comes from a docker-registry on
# 127.0.0.1; each test has its own berthd, and ends with a leak check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

suite_begin docker-cli
eng_setup
IMG=${ENG_IMG:-none}

begin() {
	eng_need
	eng_need_docker
	eng_start_berthd
	[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://x/v1.44/containers/json)" = 200 ] ||
		skip "berthd has no containers API yet"
	d pull -q "$IMG" >"$T/pull.out" 2>&1 || fail "docker pull: $(cat "$T/pull.out")"
}
finish() {
	local ids
	ids=$(d ps -a -q)
	[ -z "$ids" ] || d rm -f $ids >/dev/null || fail "docker rm -f of the test's containers"
	assert_eq "" "$(d ps -a -q)" "containers after rm -f"
	eng_leak_check
}
# drun ARGS: docker run -d ARGS; CID is the full id.
drun() {
	d_out run -d "$@"
	[ "$RC" -eq 0 ] || fail "docker run -d $* exited $RC: $ERR"
	CID=$(tail -1 <<<"$OUT")
	[[ $CID =~ ^[0-9a-f]{64}$ ]] || fail "docker run -d printed '$OUT'"
	echo "$CID" >>"$T/.cids"
}

test_docker_run() {
	begin
	d_out run --rm "$IMG" sh -c 'echo out; echo err >&2; exit 3'
	assert_eq 3 "$RC" "docker run exit code ($ERR)"
	assert_eq out "$OUT" "docker run stdout"
	assert_contains "$ERR" err "docker run stderr"
	d_out run --rm "$IMG" echo hello
	assert_eq "0 hello" "$RC $OUT" "docker run --rm ($ERR)"
	printf 'piped\n' >"$T/in"
	B_IN=$T/in d_out run --rm -i "$IMG" cat
	assert_eq piped "$OUT" "docker run -i ($ERR)"
	d_out run --rm -e A=1 -w /tmp -u 1000:1000 "$IMG" sh -c 'echo $A $(pwd) $(id -u)'
	assert_eq "1 /tmp 1000" "$OUT" "docker run -e -w -u ($ERR)"
	assert_eq "" "$(d ps -a -q)" "docker ps -a after run --rm"
	d_tty "run --rm -it $IMG sh -c 'tty; exit 4'"
	assert_eq 4 "$RC" "docker run -it exit code ($OUT)"
	assert_contains "$OUT" /dev/pts/0 "docker run -it tty"
	printf 'echo typed-$((6*7))\nexit 0\n' >"$T/typed"
	B_IN=$T/typed d_tty "run --rm -it $IMG sh"
	assert_contains "$OUT" typed-42 "input typed into docker run -it"
	d_out run --rm -u nosuch "$IMG" true
	assert_eq 125 "$RC" "docker run -u nosuch"
	assert_contains "$ERR" "unable to find user nosuch" "docker run -u nosuch"
	assert_not_contains "$ERR" "Unable to find image" "docker run -u nosuch must not look for the image"
	d_out run --rm "$ENG_REG/test/nope:1"
	assert_eq 125 "$RC" "docker run of an unknown image"
	assert_contains "$ERR" "Unable to find image" "unknown image"
	# last: a --rm container whose start fails must be removed, or the
	# docker CLI waits for its removal for ever
	d_out run --rm "$IMG" nosuchcmd
	assert_eq 127 "$RC" "docker run of a missing command ($ERR)"
	assert_contains "$ERR" "executable file not found" "docker run of a missing command"
	assert_eq "" "$(d ps -a -q)" "containers after failed starts with --rm"
	finish
}

test_docker_detached() {
	begin
	drun --name web "$IMG" sh -c 'i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.2; done'
	assert_eq web "$(d ps --format '{{.Names}}')" "docker ps"
	assert_eq "${CID:0:12}" "$(d ps -q)" "docker ps -q"
	assert_contains "$(d ps)" "Up " "docker ps status"
	d inspect web >"$T/i.json" || fail "docker inspect"
	assert_eq "$CID running /web" "$(jq -r '.[0] | "\(.Id) \(.State.Status) \(.Name)"' "$T/i.json")" "docker inspect"
	assert_eq running "$(d inspect -f '{{.State.Status}}' web)" "docker inspect -f"
	# logs -f follows, then ends with the container
	d logs -f web >"$T/follow" 2>&1 &
	local lpid=$!
	sleep 1
	local n1
	n1=$(grep -c tick "$T/follow")
	[ "$n1" -ge 2 ] || fail "docker logs -f: $(cat "$T/follow")"
	sleep 0.6
	[ "$(grep -c tick "$T/follow")" -gt "$n1" ] || fail "docker logs -f does not follow"
	d_tty "exec -it web sh -c 'tty; echo \$((2+3)); exit 2'"
	assert_eq 2 "$RC" "docker exec -it exit code ($OUT)"
	assert_contains "$OUT" /dev/pts/ "docker exec -it tty"
	assert_contains "$OUT" 5 "docker exec -it output"
	d_out exec -e X=9 web sh -c 'echo $X'
	assert_eq 9 "$OUT" "docker exec -e ($ERR)"
	d_out stats --no-stream web
	assert_eq 0 "$RC" "docker stats --no-stream ($ERR)"
	assert_contains "$OUT" "web" "docker stats"
	assert_contains "$(head -1 <<<"$OUT")" "MEM USAGE / LIMIT" "docker stats header"
	[[ $(d stats --no-stream --format '{{.MemUsage}}' web) != 0B* ]] || fail "docker stats shows no memory: $OUT"
	d_out stop -t 1 web
	assert_eq "0 web" "$RC $OUT" "docker stop ($ERR)"
	local i
	for i in $(seq 50); do pid_alive "$lpid" || break; sleep 0.1; done
	pid_alive "$lpid" && { kill "$lpid"; fail "docker logs -f did not end when the container stopped"; }
	wait "$lpid" 2>/dev/null
	assert_eq exited "$(d inspect -f '{{.State.Status}}' web)" "after docker stop"
	drun "$IMG" sh -c 'sleep 0.5; exit 6'
	d_out wait "$CID"
	assert_eq 6 "$OUT" "docker wait ($ERR)"
	drun --name victim "$IMG" sleep 100
	d_out rm -f victim
	assert_eq "0 victim" "$RC $OUT" "docker rm -f ($ERR)"
	d_out inspect victim
	[ "$RC" -ne 0 ] || fail "docker inspect of a removed container"
	assert_contains "$ERR" "No such" "inspect of a removed container"
	finish
}

test_docker_cp() {
	begin
	drun --name box "$IMG" sleep 100
	echo "into the box" >"$T/f.txt"
	d_out cp "$T/f.txt" box:/tmp/f.txt
	assert_eq 0 "$RC" "docker cp in ($ERR)"
	assert_eq "into the box" "$(d exec box cat /tmp/f.txt)" "docker cp in"
	d_out cp box:/etc/motd "$T/motd"
	assert_eq 0 "$RC" "docker cp out ($ERR)"
	assert_eq "berth containers test" "$(cat "$T/motd")" "docker cp out"
	mkdir -p "$T/dir/sub" && echo deep >"$T/dir/sub/f"
	d cp "$T/dir" box:/tmp/ >/dev/null 2>&1 || fail "docker cp of a directory"
	assert_eq deep "$(d exec box cat /tmp/dir/sub/f)" "directory copied in"
	d_out cp "$T/f.txt" box:/nosuchdir/
	[ "$RC" -ne 0 ] || fail "docker cp to a missing directory (DEST ending in /) succeeded"
	d_out cp box:/nosuch "$T/x"
	[ "$RC" -ne 0 ] || fail "docker cp of a missing path succeeded"
	finish
}

run_test docker-cli/run test_docker_run
run_test docker-cli/detached test_docker_detached
run_test docker-cli/cp test_docker_cp

eng_teardown
suite_end
