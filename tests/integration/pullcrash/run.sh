#!/bin/bash
# The pullcrash family: `berth pull` through berthd when things break in
# the middle. berthd is killed with SIGKILL while a pull is moving bytes,
# restarted on the same --root, and the pull is run again: it must finish
# and leave a consistent store (every blob hashes to its name, nothing left
# in ingest/ or half-built in snapshots/, the image listed once and
# inspectable). And a registry whose layer file is truncated on disk: the
# pull fails naming the layer and the store keeps nothing of it.
#
# One docker-registry is started for the family on a free port of 127.0.0.1
# with its own config and storage under the suite's temp dir; images are
# made from busybox-static and /dev/urandom with umoci and pushed with
# skopeo. The crash test pulls through a small throttling TCP proxy in
# front of the registry (a few MB/s per connection), so the pull is
# certainly in flight when berthd is killed; the bytes are the registry's,
# untouched. Registry, proxy and daemons are stopped by pid.
#
# Until `berth pull` exists the tests skip (only when berth reports the verb
# as unknown); any other failure of the pull path is a failure.
#   BERTH_TEST_FILTER='^pullcrash/kill' tests/integration/pullcrash/run.sh
#   BERTHD=/path/berthd BERTH=/path/berth tests/integration/pullcrash/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
TEST_TIMEOUT=${TEST_TIMEOUT:-90}
. "$here/../lib.sh"

BERTHD=${BERTHD:-$BERTH_TOP/bin/berthd}
BERTH=${BERTH:-$BERTH_TOP/bin/berth}
# Per connection, registry to client. Three layers move at once, so the
# crash image (3 x 10 MB) takes a couple of seconds through the proxy.
PROXY_RATE=${PROXY_RATE:-6000000}

suite_begin pullcrash

REG_DIR=$SUITE_TMP/registry
BG_PIDS=()

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_http URL: up to 10 s for it to answer.
wait_http() {
	local n
	for n in $(seq 100); do
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}

start_registry() {
	local port
	port=$(free_port)
	mkdir -p "$REG_DIR/data"
	printf '%s\n' "version: 0.1" "log: {level: warn}" "storage:" \
		"  filesystem: {rootdirectory: $REG_DIR/data}" "  cache: {}" \
		"http: {addr: 127.0.0.1:$port}" >"$REG_DIR/config.yml"
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 </dev/null &
	BG_PIDS+=($!)
	REG=127.0.0.1:$port
	wait_http "http://$REG/v2/"
}

# A TCP relay that paces the registry's answers to PROXY_RATE bytes/s per
# connection; requests pass as they come.
start_proxy() {
	local port
	port=$(free_port)
	cat >"$SUITE_TMP/slowproxy.py" <<'PY'
import socket, sys, threading, time
lport, tport, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def pump(src, dst, paced):
    due = time.monotonic()  # when the bytes sent so far may have left
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
            if paced:
                # No credit for idle time: a reused connection gets no burst.
                due = max(due, time.monotonic()) + len(b) / rate
                time.sleep(max(0.0, due - time.monotonic()))
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(c):
    u = socket.create_connection(("127.0.0.1", tport))
    threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
    pump(u, c, True)
    c.close()
    u.close()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(64)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	python3 "$SUITE_TMP/slowproxy.py" "$port" "${REG#*:}" "$PROXY_RATE" >"$SUITE_TMP/proxy.log" 2>&1 </dev/null &
	BG_PIDS+=($!)
	PROXY=127.0.0.1:$port
	wait_http "http://$PROXY/v2/"
}

stop_bg() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}
trap stop_bg EXIT

# make_image OCI_DIR MB...: a busybox base layer, then one layer of MB
# megabytes of random bytes per argument; cmd sh.
make_image() {
	local oci=$1 w=$SUITE_TMP/mkimg.$RANDOM mb i=0 rc
	shift
	umoci init --layout "$oci" &&
		umoci new --image "$oci:1" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		sh "$BERTH_TOP/scripts/make-rootfs.sh" "$w/b/rootfs" >/dev/null &&
		umoci repack --image "$oci:1" "$w/b" || { rm -rf "$w"; return 1; }
	for mb in "$@"; do
		i=$((i + 1))
		mkdir -p "$w/l$i"
		head -c "$((mb * 1000000))" /dev/urandom >"$w/l$i/random" &&
			umoci insert --image "$oci:1" "$w/l$i" "/data/l$i" || { rm -rf "$w"; return 1; }
	done
	umoci config --image "$oci:1" --config.cmd sh
	rc=$?
	rm -rf "$w"
	return $rc
}
push() { skopeo copy -q --dest-tls-verify=false "oci:$1:1" "docker://$REG/$2" >/dev/null; }

SETUP_ERR='' SETUP_SKIP=''
setup() {
	local c
	if [ ! -x "$BERTHD" ] || [ ! -x "$BERTH" ]; then
		SETUP_SKIP="berthd or berth not built ($BERTHD, $BERTH)"
		return
	fi
	for c in docker-registry skopeo umoci curl jq sha256sum python3; do
		command -v $c >/dev/null || { SETUP_SKIP="$c not installed (scripts/install-deps.sh)"; return; }
	done
	# Does this berth know `pull` at all? Asked of a socket nothing
	# listens on: an unknown verb is refused before any connection.
	local out rc=0
	out=$("$BERTH" -H "unix://$SUITE_TMP/nothing.sock" pull 127.0.0.1:1/none:1 2>&1) || rc=$?
	if [ "$rc" = 125 ] && [[ $out == *"not a berth command"* ]]; then
		SETUP_SKIP="berth pull not implemented yet: $out"
		SETUP_SKIP=${SETUP_SKIP%%$'\n'*}
		return
	fi
	start_registry || { SETUP_ERR="docker-registry did not start: $(tail -3 "$REG_DIR/log")"; return; }
	start_proxy || { SETUP_ERR="throttling proxy did not start: $(tail -3 "$SUITE_TMP/proxy.log")"; return; }
	make_image "$SUITE_TMP/big" 10 10 10 >/dev/null && make_image "$SUITE_TMP/short" 6 >/dev/null ||
		{ SETUP_ERR="umoci could not build the test images"; return; }
	push "$SUITE_TMP/big" crash/big:1 && push "$SUITE_TMP/short" crash/short:1 ||
		SETUP_ERR="skopeo could not push the test images"
}
setup
export REG PROXY REG_DIR SETUP_ERR SETUP_SKIP

# ---------------------------------------------------------------- helpers

need_setup() {
	[ -z "$SETUP_SKIP" ] || skip "$SETUP_SKIP"
	[ -z "$SETUP_ERR" ] || fail "$SETUP_ERR"
}
wait_ping() {
	local i
	for i in $(seq 100); do
		[ "$(curl -s --max-time 1 --unix-socket "$1" http://berth/_ping 2>/dev/null)" = OK ] && return 0
		sleep 0.05
	done
	return 1
}
# start_berthd: a daemon on this test's root, run root and socket; DPID,
# SOCK set; stopped by stop_daemons (an EXIT trap).
start_berthd() {
	SOCK=$T/run/berth.sock
	"$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" --debug \
		>>"$T/berthd.log" 2>&1 </dev/null &
	DPID=$!
	echo "$DPID" >>"$T/.daemons"
	wait_ping "$SOCK" || fail "berthd did not answer on $SOCK: $(tail -20 "$T/berthd.log")"
}
stop_daemons() {
	local p
	[ -f "$T/.daemons" ] || return 0
	for p in $(cat "$T/.daemons"); do kill -TERM "$p" 2>/dev/null; done
	for p in $(cat "$T/.daemons"); do
		for _ in $(seq 50); do pid_alive "$p" || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	return 0
}
wait_gone() {
	local i
	for i in $(seq "${2:-50}"); do pid_alive "$1" || return 0; sleep 0.1; done
	return 1
}
b() { "$BERTH" -H "unix://$SOCK" "$@"; }
# pull_out REF: berth pull in the foreground; OUT (stdout+stderr), RC.
pull_out() {
	RC=0
	OUT=$(timeout 60 "$BERTH" -H "unix://$SOCK" pull "$1" 2>&1 </dev/null) || RC=$?
	not_a_verb "$RC" "$OUT"
}
# not_a_verb RC OUT: skip when berth says pull is no command of its.
not_a_verb() {
	if [ "$1" = 125 ] && [[ $2 == *"not a berth command"* ]]; then
		skip "berth pull not implemented yet: ${2%%$'\n'*}"
	fi
}
# store_dir: the content store under berthd's root (the dir holding
# ingest/ and blobs/sha256/), wherever the engine puts it.
store_dir() {
	local d
	for d in $(find "$T/root" -maxdepth 4 -type d -name ingest -printf '%h\n' 2>/dev/null); do
		[ -d "$d/blobs/sha256" ] && { echo "$d"; return 0; }
	done
	return 1
}
# partials STORE: download temp files in ingest/ (not the locks).
partials() { find "$1/ingest" -maxdepth 1 -type f ! -name '*.lock' -size +0 -printf '%f\n' 2>/dev/null; }
# check_store STORE: every blob is what its name says; nothing left in
# ingest/; no half-built snapshot and no snapshot without its fs/.
check_store() {
	local s=$1 f hex left
	for f in "$s"/blobs/sha256/*; do
		[ -e "$f" ] || continue
		hex=$(sha256sum <"$f" | cut -d' ' -f1)
		[ "$hex" = "$(basename "$f")" ] || fail "blob $(basename "$f") hashes to $hex"
	done
	left=$(ls -A "$s/ingest" 2>/dev/null)
	[ -z "$left" ] || fail "ingest/ not empty: $(echo $left) ($(du -sh "$s/ingest" | cut -f1))"
	if [ -d "$s/snapshots" ]; then
		left=$(ls -A "$s/snapshots" | grep -E '^\.tmp-|\.lock$' || true)
		[ -z "$left" ] || fail "snapshots/ leftovers: $(echo $left)"
		for f in "$s"/snapshots/*; do
			[ -e "$f" ] || continue
			[ -d "$f/fs" ] || fail "snapshot $(basename "$f") has no fs/"
		done
	fi
}
# manifest REF: the registry's manifest (straight from the registry).
manifest() { skopeo inspect --tls-verify=false --raw "docker://$1"; }
# blob_data DIGEST: the registry's file for a blob.
blob_data() {
	local hex=${1#sha256:}
	echo "$REG_DIR/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# ---------------------------------------------------------------- tests

# SIGKILL of berthd while `berth pull` moves layers; restart; pull again.
test_kill_mid_pull() {
	trap stop_daemons EXIT
	need_setup
	local ref=$PROXY/crash/big:1 s= seen= i ppid prc=0 m
	m=$(manifest "$REG/crash/big:1") || fail "cannot read the manifest from the registry"
	start_berthd
	"$BERTH" -H "unix://$SOCK" pull "$ref" >"$T/pull1.out" 2>&1 </dev/null &
	ppid=$!
	# Wait for a download in progress: a non-empty temp file in ingest/.
	for i in $(seq 600); do
		[ -z "$s" ] && s=$(store_dir)
		[ -n "$s" ] && seen=$(partials "$s") && [ -n "$seen" ] && break
		if ! pid_alive "$ppid"; then
			wait "$ppid" || prc=$?
			not_a_verb "$prc" "$(cat "$T/pull1.out")"
			fail "berth pull ended (exit $prc) before a partial download was seen in ${s:-$T/root}/ingest: $(tail -5 "$T/pull1.out")"
		fi
		sleep 0.02
	done
	[ -n "$seen" ] || fail "no partial download in ingest/ within 12 s (store: ${s:-none found under $T/root}): $(tail -5 "$T/pull1.out")"
	kill -KILL "$DPID"
	wait_gone "$DPID" || fail "berthd did not die"
	log "killed berthd $DPID with partial downloads: $(echo $seen)"
	# The client loses its daemon: it must say so, not hang, not succeed.
	wait_gone "$ppid" 100 || fail "berth pull still running 10 s after berthd died: $(tail -5 "$T/pull1.out")"
	wait "$ppid" || prc=$?
	[ "$prc" -ne 0 ] || fail "berth pull exited 0 although berthd was killed mid-pull: $(tail -5 "$T/pull1.out")"
	log "first pull: exit $prc: $(tail -1 "$T/pull1.out")"
	# The crash left its temp files; the restarted daemon must cope.
	[ -n "$(partials "$s")" ] || log "note: ingest/ already empty after the kill"

	start_berthd
	pull_out "$ref"
	[ "$RC" -eq 0 ] || fail "pull after restart exited $RC: $OUT"
	check_store "$s"
	local d
	for d in $(jq -r '.config.digest, .layers[].digest' <<<"$m"); do
		[ -f "$s/blobs/sha256/${d#sha256:}" ] || fail "blob $d missing from the store after the second pull"
	done
	local n
	n=$(b images | awk -v r="$PROXY/crash/big" '$1 == r && $2 == "1"' | wc -l)
	assert_eq 1 "$n" "lines for '$ref' in berth images ($(b images))"
	local insp
	insp=$(b image inspect "$ref" 2>&1) || fail "berth image inspect '$ref' failed: $insp"
	assert_contains "$(jq -r '.[0].Id' <<<"$insp")" "sha256:" "image inspect Id"
	assert_contains "$(jq -c '.[0].RepoTags' <<<"$insp")" "\"$ref\"" "image inspect RepoTags"
	local nl
	nl=$(jq '.layers | length' <<<"$m")
	assert_eq "$nl" "$(jq '.[0].RootFS.Layers | length' <<<"$insp")" "image inspect RootFS.Layers"
	# A third pull finds everything in place and changes nothing.
	pull_out "$ref"
	[ "$RC" -eq 0 ] || fail "third pull exited $RC: $OUT"
	assert_eq 1 "$(b images | awk -v r="$PROXY/crash/big" '$1 == r && $2 == "1"' | wc -l)" "lines after a third pull"
	check_store "$s"
}

# A registry that serves fewer bytes of a layer than its manifest says.
test_truncated_layer() {
	trap stop_daemons EXIT
	need_setup
	local ref=$REG/crash/short:1 m layer f s
	m=$(manifest "$ref") || fail "cannot read the manifest from the registry"
	layer=$(jq -r '.layers[1].digest' <<<"$m")
	f=$(blob_data "$layer")
	[ -f "$f" ] || fail "no registry file for $layer"
	cp "$f" "$T/layer.orig"
	truncate -s 1000000 "$f"
	start_berthd
	pull_out "$ref"
	[ "$RC" -ne 0 ] || fail "pull of an image with a truncated layer exited 0: $OUT"
	# The error itself (not the progress lines above it, which carry every
	# layer's short id) names the layer: by digest (full or docker's
	# 12-hex short id) or by position.
	local hex=${layer#sha256:} nl e
	nl=$(jq '.layers | length' <<<"$m")
	e=$(grep -i 'error' <<<"$OUT" || tail -1 <<<"$OUT")
	[[ $e == *"${hex:0:12}"* || $e == *"layer 2 of $nl"* ]] ||
		fail "error names neither layer $layer nor 'layer 2 of $nl': $e"
	log "pull of a truncated layer: exit $RC: $(tail -1 <<<"$OUT")"
	s=$(store_dir) || fail "no content store under $T/root after a pull"
	[ ! -e "$s/blobs/sha256/$hex" ] || fail "the truncated layer $layer is in the store"
	check_store "$s"
	assert_eq 0 "$(b images | awk -v r="$REG/crash/short" '$1 == r' | wc -l)" "lines for '$ref' in berth images"
	assert_eq OK "$(curl -s --unix-socket "$SOCK" http://berth/_ping)" "berthd after the failed pull"
	# Once the registry serves the whole layer again, the pull completes.
	cp "$T/layer.orig" "$f"
	pull_out "$ref"
	[ "$RC" -eq 0 ] || fail "pull after the layer was repaired exited $RC: $OUT"
	[ -f "$s/blobs/sha256/$hex" ] || fail "layer $layer not in the store after a good pull"
	check_store "$s"
	assert_eq 1 "$(b images | awk -v r="$REG/crash/short" '$1 == r' | wc -l)" "lines for '$ref' after a good pull"
}

run_test pullcrash/kill-mid-pull test_kill_mid_pull
run_test pullcrash/truncated-layer test_truncated_layer

stop_bg
trap - EXIT
suite_end
