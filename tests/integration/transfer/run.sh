#!/bin/bash
# The transfer family: push, save, load and import through berthd, against
# a docker-registry on 127.0.0.1, podman (private root, vfs) and the real
# docker CLI. Each test starts its own berthd (own root, run root and
# socket under the test dir) and stops it by pid; the registry is the
# family's and is stopped by pid at the end.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

suite_begin transfer

BIN=${BERTH_BIN:-}
for cand in "$BERTH_TOP/build/src/cmd" "/tmp/build-e2/src/cmd" "$BERTH_TOP/bin"; do
	[ -z "$BIN" ] && [ -x "$cand/berthd/berthd" ] && BIN=$cand
done
REG_PID=
REG_DIR=$SUITE_TMP/registry

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_registry() {
	local port n
	port=$(free_port)
	mkdir -p "$REG_DIR/data"
	printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n  cache: {}\nhttp: {addr: 127.0.0.1:%s}\n' \
		"$REG_DIR/data" "$port" >"$REG_DIR/config.yml"
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 </dev/null &
	REG_PID=$!
	for n in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	REG=127.0.0.1:$port
}
stop_registry() {
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	REG_PID=
}
trap stop_registry EXIT

SETUP_ERR=
setup() {
	[ -n "$BIN" ] || { SETUP_ERR="berthd not built"; return; }
	local c
	for c in docker-registry skopeo curl jq python3; do
		command -v $c >/dev/null || { SETUP_ERR="$c not installed"; return; }
	done
	start_registry
	curl -sf -o /dev/null "http://$REG/v2/" || SETUP_ERR="docker-registry did not start"
	sh "$BERTH_TOP/scripts/make-rootfs.sh" "$SUITE_TMP/rootfs" >/dev/null &&
		tar -C "$SUITE_TMP/rootfs" -czf "$SUITE_TMP/rootfs.tgz" . ||
		SETUP_ERR="cannot build the busybox rootfs tarball"
}
setup
export BIN REG SETUP_ERR

# ---------------------------------------------------------------- helpers

need_setup() { [ -z "$SETUP_ERR" ] || skip "$SETUP_ERR"; }

# start_daemon N: berthd with root $T/rootN, socket $T/rN/s.sock; pid in $T/pidN.
start_daemon() {
	local n=$1 i
	mkdir -p "$T/r$n"
	"$BIN/berthd/berthd" --root "$T/root$n" --run-root "$T/r$n" -H "unix://$T/r$n/s.sock" \
		>"$T/berthd$n.log" 2>&1 </dev/null &
	echo $! >"$T/pid$n"
	for i in $(seq 100); do
		curl -sf --unix-socket "$T/r$n/s.sock" -o /dev/null http://x/_ping && return 0
		sleep 0.05
	done
	fail "berthd $n did not start: $(cat "$T/berthd$n.log")"
}
stop_daemons() {
	local f p
	for f in "$T"/pid*; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
		rm -f "$f"
	done
}
# b N ARGS: berth against daemon N.
b() {
	local n=$1
	shift
	"$BIN/berth/berth" -H "unix://$T/r$n/s.sock" "$@"
}
api() { # N PATH: GET PATH as JSON
	curl -sf --unix-socket "$T/r$1/s.sock" "http://x/v1.44$2"
}
image_id() { api "$1" "/images/json" | jq -r --arg t "$2" '.[] | select(.RepoTags | index($t)) | .Id'; }
image_count() { api "$1" "/images/json" | jq length; }
# import_busybox N NAME: a one-layer busybox image.
import_busybox() { b "$1" import "$SUITE_TMP/rootfs.tgz" "$2" >"$T/import.out" || fail "import failed"; }
# podman with a private store.
pm() {
	podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs \
		--cgroup-manager=cgroupfs --events-backend none "$@"
}

# ---------------------------------------------------------------- tests

test_import() {
	need_setup
	start_daemon 1
	local out id
	out=$(b 1 import "$SUITE_TMP/rootfs.tgz" busybox:imported) || fail "import"
	id=$(image_id 1 busybox:imported)
	assert_eq "$id" "$out" "import prints the image id"
	assert_contains "$(b 1 images)" "imported" "berth images"
	local cfg
	cfg=$(curl -sf --unix-socket "$T/r1/s.sock" http://x/v1.44/images/busybox:imported/get | tar -xO "blobs/sha256/${id#sha256:}")
	assert_eq "linux/amd64/1" "$(jq -r '"\(.os)/\(.architecture)/\(.rootfs.diff_ids | length)"' <<<"$cfg")" "config"
	assert_eq "Imported from -" "$(jq -r '.history[0].comment' <<<"$cfg")" "history"
	# from stdin, uncompressed, untagged
	gzip -dc "$SUITE_TMP/rootfs.tgz" | b 1 import - >"$T/out2" || fail "import from stdin"
	assert_eq "$id" "$(image_id 1 busybox:imported)" "same tag kept"
	assert_eq 2 "$(image_count 1)" "images after the second import"
	# not a tar
	echo "hello" >"$T/bad"
	b 1 import "$T/bad" x:bad 2>"$T/err" && fail "imported a non-tar"
	assert_contains "$(cat "$T/err")" "not a tar" "error for a non-tar"
	assert_eq 2 "$(image_count 1)" "no image for a bad import"
	stop_daemons
}

test_push() {
	need_setup
	start_daemon 1
	import_busybox 1 "$REG/berth/busybox:1"
	b 1 push "$REG/berth/busybox:1" >"$T/push.out" 2>"$T/push.err" || fail "push: $(cat "$T/push.err")"
	local out
	out=$(cat "$T/push.out")
	assert_contains "$out" "The push refers to repository [$REG/berth/busybox]" "push output"
	assert_contains "$out" ": Pushed" "push output"
	assert_contains "$out" "1: digest: sha256:" "push output"
	local id digest local_layers remote_layers
	id=$(image_id 1 "$REG/berth/busybox:1")
	digest=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) size: .*/\1/p' "$T/push.out")
	[ -n "$digest" ] || fail "no digest in the push output"
	# the local manifest (in berthd's store) and the registry's list the same layers
	local_layers=$(jq -c '[.layers[].digest]' "$T/root1/blobs/sha256/${digest#sha256:}") || fail "no local manifest $digest"
	remote_layers=$(skopeo inspect --tls-verify=false --raw "docker://$REG/berth/busybox:1" | jq -c '[.layers[].digest]')
	assert_eq "$local_layers" "$remote_layers" "layers in the registry"
	assert_eq "$digest" "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/berth/busybox:1")" "manifest digest"
	assert_eq "$id" "$(skopeo inspect --tls-verify=false --raw "docker://$REG/berth/busybox:1" | jq -r .config.digest)" "config in the registry"
	# again: everything is there already
	b 1 push "$REG/berth/busybox:1" >"$T/push2.out" || fail "second push"
	assert_contains "$(cat "$T/push2.out")" "Layer already exists" "second push"
	b 1 push "$REG/berth/nothing:1" 2>"$T/err" && fail "pushed a missing image"
	assert_contains "$(cat "$T/err")" "No such image" "missing image"
	stop_daemons
}

test_save_podman_load() {
	need_setup
	command -v podman >/dev/null || skip "podman not installed"
	command -v runc >/dev/null || skip "runc not installed"
	start_daemon 1
	import_busybox 1 berth/saved:1
	b 1 save -o "$T/x.tar" berth/saved:1 || fail "save"
	tar -tf "$T/x.tar" | grep -qx manifest.json || fail "no manifest.json in the tar"
	mkdir -p "$T/podman"
	pm load -i "$T/x.tar" >"$T/pl.out" 2>&1 || fail "podman load: $(cat "$T/pl.out")"
	assert_contains "$(pm images --format '{{.Repository}}:{{.Tag}}')" "berth/saved:1" "podman images"
	local out
	out=$(pm run --rm --runtime runc --network none --ulimit nofile=20000:20000 \
		--ulimit nproc=32768:32768 docker.io/berth/saved:1 echo ok 2>&1) || fail "podman run: $out"
	assert_eq ok "$out" "podman run"
	# and back: a podman docker-archive loads into berthd
	pm save --format docker-archive -o "$T/p.tar" docker.io/berth/saved:1 >/dev/null 2>&1 || fail "podman save"
	start_daemon 2
	b 2 load -i "$T/p.tar" >"$T/load.out" || fail "berth load of podman's tar"
	assert_contains "$(cat "$T/load.out")" "Loaded image: berth/saved:1" "load output"
	assert_eq "$(image_id 1 berth/saved:1)" "$(image_id 2 berth/saved:1)" "image id after podman round trip"
	pm rmi -a -f >/dev/null 2>&1
	stop_daemons
}

test_save_load_roundtrip() {
	need_setup
	start_daemon 1
	start_daemon 2
	import_busybox 1 berth/rt:1
	b 1 import "$SUITE_TMP/rootfs.tgz" berth/rt:2 >/dev/null
	b 1 save -o "$T/x.tar" berth/rt:1 berth/rt:2 || fail "save"
	b 2 load -i "$T/x.tar" >"$T/load.out" || fail "load"
	assert_contains "$(cat "$T/load.out")" "Loaded image: berth/rt:1" "load output"
	assert_eq "$(image_id 1 berth/rt:1)" "$(image_id 2 berth/rt:1)" "image id after the round trip"
	assert_eq "$(image_id 1 berth/rt:2)" "$(image_id 2 berth/rt:2)" "second image id"
	# the OCI layout alone loads too
	mkdir "$T/oci" && tar -C "$T/oci" -xf "$T/x.tar" && rm "$T/oci/manifest.json" "$T/oci/repositories"
	tar -C "$T/oci" -cf "$T/oci.tar" . || fail "tar"
	start_daemon 3
	b 3 load <"$T/oci.tar" >"$T/load3.out" || fail "load of the OCI layout"
	assert_eq "$(image_id 1 berth/rt:1)" "$(image_id 3 berth/rt:1)" "image id from the OCI layout"
	b 1 save berth/nothing -o "$T/y.tar" 2>"$T/err" && fail "saved a missing image"
	[ ! -e "$T/y.tar" ] || fail "a failed save left a file"
	stop_daemons
}

# Tars with one flaw each: every load fails with a message naming it, and
# the daemon records no image.
test_hostile_load() {
	need_setup
	start_daemon 1
	import_busybox 1 berth/h:1
	b 1 save -o "$T/x.tar" berth/h:1 || fail "save"
	mkdir "$T/x" && tar -C "$T/x" -xf "$T/x.tar"
	start_daemon 2
	local layer
	layer=$(jq -r '.[0].Layers[0]' "$T/x/manifest.json")
	# 1: an entry whose path climbs out of the archive
	python3 - "$T/x" "$T/escape.tar" <<'EOF'
import sys, tarfile, os
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w") as t:
    for name in ("manifest.json", "index.json", "oci-layout", "repositories", "blobs"):
        t.add(os.path.join(src, name), arcname=name)
    data = b"evil"
    info = tarfile.TarInfo("../x"); info.size = len(data)
    import io; t.addfile(info, io.BytesIO(data))
EOF
	b 2 load -i "$T/escape.tar" 2>"$T/err1" && fail "loaded a tar with ../x"
	assert_contains "$(cat "$T/err1")" "escapes the archive" "error for ../x"
	# 2: a manifest naming a layer path that escapes
	jq --arg l "../$layer" '.[0].Layers[0] = $l' "$T/x/manifest.json" >"$T/m.json"
	(cd "$T/x" && cp "$T/m.json" manifest.json && tar -cf "$T/mpath.tar" .)
	b 2 load -i "$T/mpath.tar" 2>"$T/err2" && fail "loaded a manifest with ../"
	assert_contains "$(cat "$T/err2")" "escapes the archive" "error for a ../ layer path"
	# 3: a manifest naming a file that is not there
	jq '.[0].Layers[0] = "blobs/sha256/0000"' "$T/m.json" >"$T/x/manifest.json"
	(cd "$T/x" && tar -cf "$T/missing.tar" .)
	b 2 load -i "$T/missing.tar" 2>"$T/err3" && fail "loaded a tar with a missing layer"
	assert_contains "$(cat "$T/err3")" "'blobs/sha256/0000' is missing from the archive" "error for a missing file"
	# 4: a layer whose content is not its diff id
	tar -C "$T/x" -xf "$T/x.tar" manifest.json
	echo tampered >>"$T/x/$layer"
	(cd "$T/x" && tar -cf "$T/tampered.tar" .)
	b 2 load -i "$T/tampered.tar" 2>"$T/err4" && fail "loaded a tampered layer"
	assert_contains "$(cat "$T/err4")" "the config says" "error for a tampered layer"
	# 5: not a tar at all
	echo "nope" | b 2 load 2>"$T/err5" && fail "loaded garbage"
	assert_eq 0 "$(image_count 2)" "images recorded by failed loads"
	[ ! -e "$T/r2/x" ] && [ ! -e "$T/root2/x" ] || fail "a file of the tar was written outside"
	stop_daemons
}

test_docker_cli() {
	log "docker CLI: $(command -v docker)"
	need_setup
	command -v docker >/dev/null || skip "docker CLI not installed"
	start_daemon 1
	import_busybox 1 "$REG/berth/dock:1"
	export DOCKER_HOST=unix://$T/r1/s.sock DOCKER_CONFIG=$T/docker-config
	mkdir -p "$DOCKER_CONFIG"
	docker save -o "$T/y.tar" "$REG/berth/dock:1" 2>"$T/err" || fail "docker save: $(cat "$T/err")"
	tar -tf "$T/y.tar" | grep -qx manifest.json || fail "docker save tar has no manifest.json"
	start_daemon 2
	DOCKER_HOST=unix://$T/r2/s.sock docker load -i "$T/y.tar" >"$T/dl.out" 2>&1 || fail "docker load: $(cat "$T/dl.out")"
	assert_contains "$(cat "$T/dl.out")" "Loaded image: $REG/berth/dock:1" "docker load output"
	assert_eq "$(image_id 1 "$REG/berth/dock:1")" "$(image_id 2 "$REG/berth/dock:1")" "id after docker save/load"
	docker push "$REG/berth/dock:1" >"$T/dp.out" 2>&1 || fail "docker push: $(cat "$T/dp.out")"
	assert_contains "$(cat "$T/dp.out")" "1: digest: sha256:" "docker push output"
	skopeo inspect --tls-verify=false "docker://$REG/berth/dock:1" >/dev/null || fail "pushed image not in the registry"
	stop_daemons
}

run_test transfer/import test_import
run_test transfer/push test_push
run_test transfer/save-podman-load test_save_podman_load
run_test transfer/save-load-roundtrip test_save_load_roundtrip
run_test transfer/hostile-load test_hostile_load
run_test transfer/docker-cli test_docker_cli

stop_registry
trap - EXIT
suite_end
