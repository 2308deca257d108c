#!/bin/bash
# The daemon family: berthd's Docker Engine API on its unix socket (and on
# TCP with TLS client certificates), checked with curl, the real docker CLI
# and berth; berth starting berthd itself; shutdown, stale sockets and a
# second daemon. Every daemon gets its own --root/--run-root/socket under
# the test dir and is stopped by the pid it was started with; nothing
# touches /run/berth or /var/lib/berth.
#   BERTH_TEST_FILTER='^daemon/auto' tests/integration/daemon/run.sh
#   BERTHD=/path/berthd BERTH=/path/berth tests/integration/daemon/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

BERTHD=${BERTHD:-$BERTH_TOP/bin/berthd}
BERTH=${BERTH:-$BERTH_TOP/bin/berth}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/bin/docker)}

# ---------------------------------------------------------------- helpers

# wait_ping SOCK: up to 5 s for /_ping to answer OK.
wait_ping() {
	local i
	for i in $(seq 100); do
		[ "$(curl -s --max-time 1 --unix-socket "$1" http://berth/_ping 2>/dev/null)" = OK ] && return 0
		sleep 0.05
	done
	return 1
}
# start_berthd [ARGS...]: a daemon with this test's root, run root and
# socket; DPID and SOCK are set; stopped by stop_daemons (an EXIT trap).
start_berthd() {
	SOCK=$T/run/berth.sock
	"$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" --debug "$@" \
		>>"$T/berthd.log" 2>&1 &
	DPID=$!
	echo "$DPID" >>"$T/.daemons"
	wait_ping "$SOCK" || fail "berthd did not answer on $SOCK: $(cat "$T/berthd.log")"
}
stop_daemons() {
	local p
	[ -f "$T/.daemons" ] || return 0
	for p in $(cat "$T/.daemons"); do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $(cat "$T/.daemons"); do
		for _ in $(seq 50); do pid_alive "$p" || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	return 0
}
# api PATH [CURL-ARGS...]: GET on the test's socket; body on stdout.
api() {
	local path=$1
	shift
	curl -s --unix-socket "$SOCK" "$@" "http://berth$path"
}
# wait_gone PID: up to 5 s for the process to exit.
wait_gone() {
	local i
	for i in $(seq 50); do pid_alive "$1" || return 0; sleep 0.1; done
	return 1
}
docker_cli() { DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$T/docker" "$DOCKER" "$@"; }
# add_image ID TAG SIZE: writes an image and a tag straight into the
# state database (WAL: safe with the daemon running), as the image layer
# will after a pull.
add_image() {
	python3 - "$T/root/berth.db" "$@" <<'PY'
import sqlite3, sys, time
db, id_, tag, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = sqlite3.connect(db)
c.execute("INSERT INTO images (id, manifest_digest, media_type, size, created, platform) VALUES (?, ?, ?, ?, ?, ?)",
          (id_, "sha256:" + "d" * 64, "application/vnd.oci.image.manifest.v1+json", size, int(time.time()) - 7200, "linux/amd64"))
c.execute("INSERT INTO tags (name, image_id) VALUES (?, ?)", (tag, id_))
c.commit()
PY
}

# ---------------------------------------------------------------- tests

test_ping() {
	trap stop_daemons EXIT
	start_berthd
	assert_eq OK "$(api /_ping)" "GET /_ping body"
	local h
	h=$(api /_ping -D - -o /dev/null | tr -d '\r')
	assert_contains "$h" "HTTP/1.1 200" "GET /_ping status"
	assert_contains "$h" "Api-Version: 1.44"
	assert_contains "$h" "OSType: linux"
	assert_contains "$h" "Builder-Version: 1"
	assert_contains "$h" "Docker-Experimental: false"
	assert_contains "$h" "Cache-Control: no-cache"
	h=$(api /_ping -I | tr -d '\r')
	assert_contains "$h" "HTTP/1.1 200" "HEAD /_ping status"
	assert_contains "$h" "Api-Version: 1.44" "HEAD /_ping headers"
	assert_eq 0 "$(api /_ping -I -o /dev/null -w '%{size_download}')" "HEAD /_ping body size"
	assert_eq OK "$(api /v1.44/_ping)" "versioned ping"
	grep -q 'api: GET /_ping 200' "$T/berthd.log" || fail "no request line in the debug log"
}

test_version() {
	trap stop_daemons EXIT
	start_berthd
	local v
	v=$(api /v1.44/version)
	assert_eq 1.44 "$(jq -r .ApiVersion <<<"$v")" ApiVersion
	assert_eq 1.24 "$(jq -r .MinAPIVersion <<<"$v")" MinAPIVersion
	assert_eq n/a "$(jq -r .GoVersion <<<"$v")" GoVersion
	assert_eq linux "$(jq -r .Os <<<"$v")" Os
	assert_eq "$(uname -r)" "$(jq -r .KernelVersion <<<"$v")" KernelVersion
	assert_eq Engine "$(jq -r '.Components[0].Name' <<<"$v")" "Components[0].Name"
	assert_eq 1.44 "$(jq -r '.Components[0].Details.ApiVersion' <<<"$v")" "Engine ApiVersion"
	[ -n "$(jq -r '.Platform.Name // empty' <<<"$v")" ] || fail "no Platform.Name: $v"
	assert_eq "$v" "$(api /version)" "unversioned /version"
	v=$(api /v1.99/version -w ' %{http_code}')
	assert_contains "$v" "too new" "a too-new client version"
	assert_contains "$v" " 400"
	v=$(api /v1.12/version -w ' %{http_code}')
	assert_contains "$v" "too old"
}

test_not_found() {
	trap stop_daemons EXIT
	start_berthd
	local out
	out=$(api /v1.44/no/such/thing -D "$T/h" -w '\n%{http_code}')
	assert_eq '{"message":"page not found"}' "$(head -1 <<<"$out")" "404 body"
	assert_eq 404 "$(tail -1 <<<"$out")" "404 status"
	grep -qi '^content-type: application/json' "$T/h" || fail "404 is not JSON: $(cat "$T/h")"
	assert_eq 405 "$(api /v1.44/info -X POST -o /dev/null -w '%{http_code}')" "POST /info"
}

test_info() {
	trap stop_daemons EXIT
	start_berthd
	local v id
	v=$(api /v1.44/info)
	assert_eq 0 "$(jq .Images <<<"$v")" Images
	assert_eq 0 "$(jq .ContainersRunning <<<"$v")" ContainersRunning
	assert_eq overlay2 "$(jq -r .Driver <<<"$v")" Driver
	assert_eq "$T/root" "$(jq -r .DockerRootDir <<<"$v")" DockerRootDir
	assert_eq berth "$(jq -r .DefaultRuntime <<<"$v")" DefaultRuntime
	assert_eq true "$(jq '.Runtimes | has("berth")' <<<"$v")" Runtimes
	assert_eq cgroupfs "$(jq -r .CgroupDriver <<<"$v")" CgroupDriver
	assert_eq "$(nproc)" "$(jq .NCPU <<<"$v")" NCPU
	assert_eq "$(hostname)" "$(jq -r .Name <<<"$v")" Name
	assert_eq '["name=seccomp,profile=builtin"]' "$(jq -c .SecurityOptions <<<"$v")" SecurityOptions
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then want=2; else want=1; fi
	assert_eq "$want" "$(jq -r .CgroupVersion <<<"$v")" CgroupVersion
	id=$(jq -r .ID <<<"$v")
	[ -n "$id" ] && [ "$id" != null ] || fail "no ID"
	# The engine ID survives a restart on the same root.
	kill -TERM "$DPID"
	wait_gone "$DPID" || fail "berthd did not stop"
	start_berthd
	assert_eq "$id" "$(api /info | jq -r .ID)" "ID after restart"
}

test_images() {
	trap stop_daemons EXIT
	start_berthd
	assert_eq '[]' "$(api /v1.44/images/json)" "empty image list"
	local id=sha256:$(printf 'a%.0s' $(seq 64))
	add_image "$id" "registry.local:5000/busybox:1.36" 4260000
	local v
	v=$(api /v1.44/images/json)
	assert_eq "$id" "$(jq -r '.[0].Id' <<<"$v")" Id
	assert_eq '["registry.local:5000/busybox:1.36"]' "$(jq -c '.[0].RepoTags' <<<"$v")" RepoTags
	# RepoDigests come from pulls and pushes (tests/integration/images); a
	# record written straight into the database has none, as in docker.
	assert_eq '[]' "$(jq -c '.[0].RepoDigests' <<<"$v")" RepoDigests
	assert_eq 4260000 "$(jq '.[0].Size' <<<"$v")" Size
	assert_eq 1 "$(api /info | jq .Images)" "Images in /info"
	local out
	out=$("$BERTH" -H "unix://$SOCK" images)
	assert_contains "$out" "registry.local:5000/busybox" "berth images"
	assert_contains "$out" "aaaaaaaaaaaa" "berth images short id"
	assert_contains "$out" "4.26MB" "berth images size"
	assert_contains "$out" "2 hours ago" "berth images age"
	assert_eq aaaaaaaaaaaa "$("$BERTH" -H "unix://$SOCK" images -q)" "berth images -q"
	[ -x "$DOCKER" ] || return 0
	out=$(docker_cli images)
	assert_contains "$out" "registry.local:5000/busybox   1.36" "docker images"
}

test_docker_cli() {
	trap stop_daemons EXIT
	[ -x "$DOCKER" ] || skip "no docker CLI at $DOCKER"
	start_berthd
	local out
	out=$(docker_cli version 2>&1) || fail "docker version failed: $out"
	log "$out"
	assert_contains "$out" "Server: "
	assert_contains "$out" "API version:      1.44 (minimum version 1.24)"
	assert_contains "$out" "Go version:       n/a"
	assert_eq 1.44 "$(docker_cli version --format '{{.Server.APIVersion}}')" "server API version"
	out=$(docker_cli info 2>&1) || fail "docker info failed: $out"
	assert_contains "$out" "Default Runtime: berth"
	assert_contains "$out" "Docker Root Dir: $T/root"
	assert_contains "$out" "Storage Driver: overlay2"
	out=$(docker_cli images 2>&1) || fail "docker images failed: $out"
	assert_eq "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE" "$out" "docker images header"
}

test_berth_cli() {
	trap stop_daemons EXIT
	start_berthd
	local out rc=0
	out=$("$BERTH" -H "unix://$SOCK" version) || fail "berth version failed"
	assert_contains "$out" "Client:"
	assert_contains "$out" "API version:      1.44 (minimum version 1.24)"
	out=$(BERTH_HOST="unix://$SOCK" "$BERTH" info 2>"$T/err") || fail "berth info: $(cat "$T/err")"
	assert_contains "$out" "Default Runtime: berth"
	assert_contains "$out" "Images: 0"
	out=$("$BERTH" --host "unix://$SOCK" images)
	assert_eq "REPOSITORY   TAG   IMAGE ID   CREATED   SIZE" "$out" "berth images header"
	out=$("$BERTH" frobnicate 2>&1) || rc=$?
	assert_eq 125 "$rc" "exit code of an unknown verb"
	assert_contains "$out" "berth: 'frobnicate' is not a berth command."
	# -H that nothing answers on: an error, and no daemon started.
	rc=0
	out=$("$BERTH" -H "unix://$T/nothing.sock" info 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit code when the daemon is unreachable"
	assert_contains "$out" "cannot connect to the berth daemon at unix://$T/nothing.sock"
	assert_not_contains "$out" "started berthd"
}

test_autostart() {
	trap stop_daemons EXIT
	export BERTH_RUN_ROOT=$T/auto BERTH_ROOT=$T/autoroot
	unset BERTH_HOST
	local out err pid
	out=$("$BERTH" info 2>"$T/err1") || fail "berth info: $(cat "$T/err1")"
	err=$(cat "$T/err1")
	[ -f "$T/auto/berthd.pid" ] && pid=$(cat "$T/auto/berthd.pid") && echo "$pid" >>"$T/.daemons"
	assert_contains "$err" "berth: started berthd (pid $pid, log $T/auto/berthd.log)"
	assert_eq 1 "$(grep -c 'started berthd' "$T/err1")" "'started' lines"
	assert_contains "$out" "Berth Root Dir: $T/autoroot"
	[ -S "$T/auto/berth.sock" ] || fail "no socket at $T/auto/berth.sock"
	# Detached: its own session, not our child.
	assert_eq "$pid" "$(ps -o sid= -p "$pid" | tr -d ' ')" "berthd's session id"
	"$BERTH" images >/dev/null 2>"$T/err2" || fail "second berth: $(cat "$T/err2")"
	assert_not_contains "$(cat "$T/err2")" "started berthd" "second command"
	assert_eq "$pid" "$(cat "$T/auto/berthd.pid")" "same daemon"
	kill -TERM "$pid"
	wait_gone "$pid" || fail "auto-started berthd did not stop"
	[ ! -e "$T/auto/berth.sock" ] || fail "socket left behind"
}

test_sigterm() {
	trap stop_daemons EXIT
	start_berthd
	[ -f "$T/run/berthd.pid" ] || fail "no pid file"
	assert_eq "$DPID" "$(cat "$T/run/berthd.pid")" "pid file"
	[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK"), wanted 660"
	kill -TERM "$DPID"
	local rc=0
	wait "$DPID" || rc=$?
	assert_eq 0 "$rc" "berthd exit code after SIGTERM"
	[ ! -e "$SOCK" ] || fail "socket left behind"
	[ ! -e "$T/run/berthd.pid" ] || fail "pid file left behind"
	grep -q 'SIGTERM received' "$T/berthd.log" || fail "no shutdown line: $(cat "$T/berthd.log")"
	start_berthd
	kill -INT "$DPID"
	wait_gone "$DPID" || fail "SIGINT did not stop berthd"
	[ ! -e "$SOCK" ] || fail "socket left behind after SIGINT"
}

test_second_daemon() {
	trap stop_daemons EXIT
	start_berthd
	local rc=0 err
	# Same run root: the pid file lock says no.
	timeout 10 "$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" 2>"$T/err" || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "second berthd did not refuse (exit $rc)"
	assert_contains "$(cat "$T/err")" "another berthd (pid $DPID) is running"
	# Another run root, same socket: the live socket says no.
	rc=0
	timeout 10 "$BERTHD" --root "$T/root2" --run-root "$T/run2" -H "unix://$SOCK" 2>"$T/err" || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "second berthd did not refuse (exit $rc)"
	assert_contains "$(cat "$T/err")" "another daemon is already listening on '$SOCK'"
	[ ! -e "$T/run2/berthd.pid" ] || fail "refused daemon left its pid file"
	assert_eq OK "$(api /_ping)" "first daemon still answers"
	assert_eq "$DPID" "$(cat "$T/run/berthd.pid")" "first daemon's pid file"
}

test_stale_socket() {
	trap stop_daemons EXIT
	mkdir -p "$T/run"
	# A socket nobody listens on (its owner died): removed, then served.
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/run/berth.sock"
	[ -S "$T/run/berth.sock" ] || fail "could not make a stale socket"
	start_berthd
	stop_daemons
	wait_gone "$DPID" || fail "berthd did not stop"
	# A regular file where the socket goes: refused and left alone.
	echo keep >"$T/run/berth.sock"
	local rc=0
	timeout 10 "$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$T/run/berth.sock" 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "exit code with a file in the socket's place"
	assert_contains "$(cat "$T/err")" "exists and is not a socket"
	assert_eq keep "$(cat "$T/run/berth.sock")" "the file"
}

test_crash_restart() {
	trap stop_daemons EXIT
	start_berthd
	local id
	id=$(api /info | jq -r .ID)
	kill -KILL "$DPID"
	wait_gone "$DPID" || fail "berthd did not die"
	[ -S "$SOCK" ] || fail "expected the dead daemon's socket to remain"
	start_berthd
	assert_eq "$id" "$(api /info | jq -r .ID)" "ID after a crash"
	assert_eq '[]' "$(api /images/json)" "images after a crash"
}

# make_certs DIR: a CA, a server cert for 127.0.0.1 and a client cert.
make_certs() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=berth-test-ca
		openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext
		openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext
	) >"$d/openssl.log" 2>&1
}

# free_port: a TCP port on 127.0.0.1 nothing listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

test_tcp() {
	trap stop_daemons EXIT
	command -v openssl >/dev/null || skip "no openssl to make test certificates"
	local port rc=0 c=$T/certs out
	port=$(free_port)
	timeout 10 "$BERTHD" --root "$T/root" --run-root "$T/run" -H "tcp://127.0.0.1:$port" 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "exit code of plain tcp without --insecure-tcp"
	assert_contains "$(cat "$T/err")" "refusing tcp://127.0.0.1:$port without TLS"
	make_certs "$c" || fail "openssl: $(cat "$c/openssl.log")"
	start_berthd -H "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$c/ca.pem" \
		--tlscert "$c/server.pem" --tlskey "$c/server-key.pem"
	out=$(curl -s --cacert "$c/ca.pem" --cert "$c/cert.pem" --key "$c/key.pem" "https://127.0.0.1:$port/_ping")
	assert_eq OK "$out" "ping over TLS with a client certificate"
	out=$(curl -s --cacert "$c/ca.pem" -w ' %{http_code}' "https://127.0.0.1:$port/v1.44/info")
	assert_contains "$out" " 403" "no client certificate"
	assert_not_contains "$out" '"ID"' "no client certificate"
	if [ -x "$DOCKER" ]; then
		out=$(DOCKER_HOST="tcp://127.0.0.1:$port" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$c" \
			DOCKER_CONFIG="$T/docker" "$DOCKER" version --format '{{.Server.APIVersion}}' 2>&1)
		assert_eq 1.44 "$out" "docker version over TLS"
	fi
	stop_daemons
	wait_gone "$DPID"
	: >"$T/.daemons"
	# --insecure-tcp serves plain HTTP, with a warning.
	port=$(free_port)
	start_berthd -H "tcp://127.0.0.1:$port" --insecure-tcp
	assert_eq OK "$(curl -s "http://127.0.0.1:$port/_ping")" "plain tcp ping"
	grep -q 'without TLS' "$T/berthd.log" || fail "no warning for --insecure-tcp"
}

suite_begin daemon
if [ ! -x "$BERTHD" ] || [ ! -x "$BERTH" ]; then
	echo "skip daemon/all: berthd or berth not built ($BERTHD, $BERTH)" | tee -a "$BERTH_RESULTS"
	suite_end
	exit $?
fi
run_test daemon/ping test_ping
run_test daemon/version test_version
run_test daemon/not-found test_not_found
run_test daemon/info test_info
run_test daemon/images test_images
run_test daemon/docker-cli test_docker_cli
run_test daemon/berth-cli test_berth_cli
run_test daemon/autostart test_autostart
run_test daemon/sigterm test_sigterm
run_test daemon/second-daemon test_second_daemon
run_test daemon/stale-socket test_stale_socket
run_test daemon/crash-restart test_crash_restart
run_test daemon/tcp test_tcp
suite_end
