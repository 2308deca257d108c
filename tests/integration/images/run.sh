#!/bin/bash
# The images family: pull, list, inspect, tag, history, rmi and prune
# through berth and through the real docker CLI against berthd, with a
# real docker-registry on 127.0.0.1 serving a busybox-static image pushed
# with skopeo. The image has two layers made with `umoci repack`. Registry
# and daemons are stopped by pid.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

suite_begin images

BUILD=${BERTH_BUILD:-$BERTH_TOP/build}
BERTHD=${BERTHD:-$BUILD/src/cmd/berthd/berthd}
BERTH=${BERTH:-$BUILD/src/cmd/berth/berth}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/bin/docker)}
REG_DIR=$SUITE_TMP/registry
REG_PID=

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
stop_registry() { [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null; REG_PID=; }
trap stop_registry EXIT

# make_image OCI: the busybox rootfs, then a layer adding /etc/motd; cmd sh.
make_image() {
	local oci=$1 w=$SUITE_TMP/mkimg
	umoci init --layout "$oci" && umoci new --image "$oci:1" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		sh "$BERTH_TOP/scripts/make-rootfs.sh" "$w/b/rootfs" >/dev/null &&
		umoci repack --image "$oci:1" "$w/b" && rm -rf "$w/b" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		echo "berth images test" >"$w/b/rootfs/etc/motd" &&
		umoci repack --image "$oci:1" "$w/b" &&
		umoci config --image "$oci:1" --config.cmd sh --config.env FOO=bar
	local rc=$?
	rm -rf "$w"
	return $rc
}

SETUP_ERR=
setup() {
	local c
	for c in docker-registry skopeo umoci curl jq; do
		command -v $c >/dev/null || { SETUP_ERR="$c not installed"; return; }
	done
	[ -x "$BERTHD" ] && [ -x "$BERTH" ] || { SETUP_ERR="berthd/berth not built in $BUILD"; return; }
	start_registry
	make_image "$SUITE_TMP/oci" >/dev/null || { SETUP_ERR="umoci could not build the image"; return; }
	skopeo copy -q --dest-tls-verify=false "oci:$SUITE_TMP/oci:1" "docker://$REG/test/busybox:1" >/dev/null ||
		SETUP_ERR="skopeo could not push the test image"
	DIGEST=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/test/busybox:1")
	# the diff ids, from the config skopeo sees
	DIFF_IDS=$(skopeo inspect --tls-verify=false --config "docker://$REG/test/busybox:1" | jq -c .rootfs.diff_ids)
}
setup

need_setup() { [ -z "$SETUP_ERR" ] || skip "$SETUP_ERR"; }
start_berthd() {
	SOCK=$T/run/berth.sock
	"$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" >>"$T/berthd.log" 2>&1 &
	DPID=$!
	local i
	for i in $(seq 100); do
		[ "$(curl -s --unix-socket "$SOCK" http://x/_ping 2>/dev/null)" = OK ] && return 0
		sleep 0.05
	done
	fail "berthd did not start: $(cat "$T/berthd.log")"
}
stop_berthd() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
b() { "$BERTH" -H "unix://$SOCK" "$@"; }
d() { DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG=$T/docker "$DOCKER" "$@"; }
b_out() {
	RC=0
	b "$@" >"$T/o" 2>"$T/e" </dev/null || RC=$?
	OUT=$(cat "$T/o")
	ERR=$(cat "$T/e")
}

test_berth_images() {
	need_setup
	start_berthd
	b_out pull "$REG/test/busybox:1"
	assert_eq 0 "$RC" "pull exit ($ERR)"
	assert_contains "$OUT" "Pulling from test/busybox" "pull output"
	assert_contains "$OUT" "Pull complete" "pull output"
	assert_contains "$OUT" "Digest: $DIGEST" "pull output"
	assert_contains "$OUT" "Status: Downloaded newer image for $REG/test/busybox:1" "pull output"
	b_out images
	assert_contains "$OUT" "$REG/test/busybox" "images"
	local id
	id=$(b image inspect "$REG/test/busybox:1" | jq -r '.[0].Id')
	assert_eq "$(b images -q)" "${id:7:12}" "images -q"
	assert_eq "$REG/test/busybox:1 ${id:7:12} $DIGEST" \
		"$(b images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{ .Digest }}')" "images --format"
	b images --digests | head -1 | grep -q '^REPOSITORY  *TAG  *DIGEST  *IMAGE ID  *CREATED  *SIZE$' ||
		fail "images --digests header: $(b images --digests | head -1)"
	assert_contains "$(b images --digests)" "$DIGEST" "images --digests"
	b_out images --format '{{.Nope}}'
	assert_eq 1 "$RC" "images --format with an unknown field"
	assert_contains "$ERR" 'map has no entry for key "Nope"' "images --format error (docker's wording)"
	b image inspect "$REG/test/busybox:1" >"$T/inspect.json"
	assert_eq "$DIFF_IDS" "$(jq -c '.[0].RootFS.Layers' "$T/inspect.json")" "RootFS.Layers"
	assert_eq '["sh"]' "$(jq -c '.[0].Config.Cmd' "$T/inspect.json")" "Config.Cmd"
	assert_contains "$(jq -c '.[0].Config.Env' "$T/inspect.json")" "FOO=bar" "Config.Env"
	assert_eq "$REG/test/busybox@$DIGEST" "$(jq -r '.[0].RepoDigests[0]' "$T/inspect.json")" "RepoDigests"
	assert_eq overlay2 "$(jq -r '.[0].GraphDriver.Name' "$T/inspect.json")" "GraphDriver"
	# by digest: no tag, same image
	b_out pull "$REG/test/busybox@$DIGEST"
	assert_eq 0 "$RC" "pull by digest ($ERR)"
	assert_eq "$id" "$(b image inspect "$REG/test/busybox@$DIGEST" | jq -r '.[0].Id')" "by digest"
	# tag, history
	b tag "$REG/test/busybox:1" local/bb:2 || fail "tag"
	assert_contains "$(b images)" "local/bb" "tagged"
	b_out history local/bb:2
	assert_contains "$OUT" "${id:7:12}" "history top"
	assert_contains "$OUT" "umoci repack" "history"
	b_out tag nosuch:1 x:1
	assert_eq 1 "$RC" "tag of a missing image"
	# rmi by id refuses two repositories; untag, then delete
	b_out rmi "${id:7:12}"
	assert_eq 1 "$RC" "rmi by id of a multi-repo image"
	assert_contains "$ERR" "must be forced" "conflict"
	b_out rmi local/bb:2
	assert_eq "Untagged: local/bb:2" "$OUT" "untag only"
	local layer
	layer=$(jq -r '.[0].RootFS.Layers[0]' "$T/inspect.json")
	[ -f "$T/root/blobs/sha256/${id#sha256:}" ] || fail "config blob missing before rmi"
	b_out rmi "$REG/test/busybox:1"
	assert_eq 0 "$RC" "rmi ($ERR)"
	assert_contains "$OUT" "Deleted: $id" "rmi deletes"
	[ ! -e "$T/root/blobs/sha256/${id#sha256:}" ] || fail "config blob left after rmi"
	[ ! -e "$T/root/blobs/sha256/${DIGEST#sha256:}" ] || fail "manifest blob left after rmi"
	[ -z "$(ls "$T/root/snapshots" | grep -v lock)" ] || fail "snapshots left: $(ls "$T/root/snapshots")"
	assert_eq "" "$(b images -q)" "no images left"
	# errors
	b_out pull "$REG/test/busybox:nope"
	assert_eq 1 "$RC" "missing tag exit"
	assert_contains "$ERR" "manifest for '$REG/test/busybox:nope' not found" "missing tag"
	b_out pull "Bad::ref"
	assert_eq 1 "$RC" "bad ref exit"
	assert_contains "$ERR" "invalid reference format" "bad ref"
	# prune -a
	b pull -q "$REG/test/busybox:1" >/dev/null || fail "re-pull"
	b_out image prune -a -f
	assert_contains "$OUT" "Total reclaimed space" "prune"
	assert_eq "" "$(b images -q)" "prune -a"
	[ -z "$(ls -A "$T/root/blobs/sha256")" ] || fail "blobs left after prune"
	# on a terminal: one line per layer redrawn in place, with a bar
	script -qec "$BERTH -H unix://$SOCK pull $REG/test/busybox:1" /dev/null </dev/null >"$T/tty.out" 2>&1 ||
		fail "pull on a tty: $(cat "$T/tty.out")"
	grep -q $'\033\\[[0-9]*A' "$T/tty.out" || fail "pull on a tty: no cursor movement"
	grep -q 'Pull complete' "$T/tty.out" || fail "pull on a tty: no 'Pull complete'"
	# system prune: images are all it covers so far
	b_out system prune -a -f
	assert_eq 0 "$RC" "system prune ($ERR)"
	assert_eq "" "$(b images -q)" "system prune -a"
	[ -z "$(ls -A "$T/root/snapshots" 2>/dev/null | grep -v '^\.')" ] || fail "snapshots left after system prune"
	stop_berthd
}

test_docker_cli() {
	need_setup
	[ -x "$DOCKER" ] || skip "no docker CLI"
	start_berthd
	d pull "$REG/test/busybox:1" >"$T/pull" 2>&1 || fail "docker pull: $(cat "$T/pull")"
	assert_contains "$(cat "$T/pull")" "Digest: $DIGEST" "docker pull"
	assert_contains "$(d images)" "$REG/test/busybox" "docker images"
	d tag "$REG/test/busybox:1" other/bb:3 || fail "docker tag"
	assert_eq '["sh"]' "$(d image inspect other/bb:3 | jq -c '.[0].Config.Cmd')" "docker inspect"
	assert_eq "$DIFF_IDS" "$(d image inspect other/bb:3 | jq -c '.[0].RootFS.Layers')" "docker inspect layers"
	d history other/bb:3 >/dev/null || fail "docker history"
	assert_contains "$(d rmi other/bb:3)" "Untagged: other/bb:3" "docker rmi"
	d rmi "$REG/test/busybox:1" >"$T/rmi" || fail "docker rmi"
	assert_contains "$(cat "$T/rmi")" "Deleted:" "docker rmi deletes"
	RC=0
	d pull "$REG/test/busybox:nope" >"$T/o" 2>&1 || RC=$?
	assert_eq 1 "$RC" "docker pull of a missing tag"
	assert_contains "$(cat "$T/o")" "not found" "docker pull error"
	stop_berthd
}

# A registry with basic auth (bcrypt htpasswd, which is all docker-registry
# takes): pull refused, login, pull works, logout, refused again.
start_auth_registry() {
	local port n dir=$REG_DIR/auth
	port=$(free_port)
	mkdir -p "$dir/data"
	/usr/bin/python3 -W ignore -c 'import crypt, sys
print("%s:%s" % (sys.argv[1], crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH))))' \
		berth s3cret-pw >"$dir/htpasswd" || return 1
	printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\nauth:\n  htpasswd: {realm: berth-test, path: %s}\nhttp: {addr: 127.0.0.1:%s}\n' \
		"$dir/data" "$dir/htpasswd" "$port" >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
	AUTH_PID=$!
	for n in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 401 ] && break
		sleep 0.1
	done
	AUTH_REG=127.0.0.1:$port
}

test_login_logout() {
	need_setup
	start_auth_registry || fail "cannot start the auth registry"
	skopeo copy -q --dest-tls-verify=false --dest-creds berth:s3cret-pw \
		"oci:$SUITE_TMP/oci:1" "docker://$AUTH_REG/private/busybox:1" >/dev/null ||
		{ kill "$AUTH_PID"; fail "skopeo could not push to the auth registry"; }
	start_berthd
	b_out pull "$AUTH_REG/private/busybox:1"
	[ "$RC" -ne 0 ] || fail "pull without credentials succeeded"
	assert_contains "$ERR" "authentication" "pull without credentials"
	b_out login -u berth -p wrong-pw "$AUTH_REG"
	[ "$RC" -ne 0 ] || fail "login with a wrong password succeeded"
	[ ! -e "$T/root/auth.json" ] || ! grep -q "$AUTH_REG" "$T/root/auth.json" ||
		fail "a refused login was stored"
	b_out login -u berth -p s3cret-pw "$AUTH_REG"
	assert_eq 0 "$RC" "login exit ($ERR)"
	assert_contains "$OUT" "Login Succeeded" "login output"
	assert_eq 600 "$(stat -c %a "$T/root/auth.json")" "auth file mode"
	! grep -q s3cret-pw "$T/root/auth.json" || fail "password stored in clear"
	jq -e --arg r "$AUTH_REG" '.auths[$r].auth' "$T/root/auth.json" >/dev/null ||
		fail "auth file is not in Docker's config.json format"
	b_out pull "$AUTH_REG/private/busybox:1"
	assert_eq 0 "$RC" "pull after login ($ERR)"
	b_out logout "$AUTH_REG"
	assert_eq 0 "$RC" "logout exit ($ERR)"
	b_out rmi "$AUTH_REG/private/busybox:1"
	b_out pull "$AUTH_REG/private/busybox:1"
	[ "$RC" -ne 0 ] || fail "pull after logout succeeded"
	stop_berthd
	kill "$AUTH_PID"
	wait "$AUTH_PID" 2>/dev/null || true # 143: ended by our TERM
}

# A multi-arch image: an OCI index (put by hand) listing the test image for
# linux/amd64 and a second, different image for linux/arm64/v8.
test_platforms() {
	need_setup
	local mt=application/vnd.oci.image.manifest.v1+json u=http://$REG/v2/test
	curl -sf -H "Accept: $mt" "$u/busybox/manifests/1" >"$T/amd.json" || fail "get the manifest"
	# the arm64 image: the same layers under a config that says arm64
	skopeo inspect --tls-verify=false --config --raw "docker://$REG/test/busybox:1" |
		jq -c '.architecture = "arm64" | .variant = "v8"' | tr -d '\n' >"$T/armcfg.json"
	local cdig loc l
	cdig=sha256:$(sha256sum <"$T/armcfg.json" | cut -c1-64)
	loc=$(curl -sf -D - -o /dev/null -X POST "$u/multi/blobs/uploads/" | tr -d '\r' |
		sed -n 's/^[Ll]ocation: //p')
	case $loc in http*) ;; *) loc=http://$REG$loc ;; esac
	case $loc in *\?*) loc="$loc&digest=$cdig" ;; *) loc="$loc?digest=$cdig" ;; esac
	curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$T/armcfg.json" "$loc" \
		>/dev/null || fail "upload the arm64 config"
	for l in $(jq -r '.layers[].digest, .config.digest' "$T/amd.json"); do
		curl -sf -X POST "$u/multi/blobs/uploads/?mount=$l&from=test/busybox" >/dev/null
	done
	jq -c --arg d "$cdig" --argjson s "$(wc -c <"$T/armcfg.json")" \
		'.config.digest = $d | .config.size = $s' "$T/amd.json" | tr -d '\n' >"$T/arm.json"
	local f
	for f in amd arm; do
		curl -sf -X PUT -H "Content-Type: $mt" --data-binary @"$T/$f.json" "$u/multi/manifests/$f" \
			>/dev/null || fail "put the $f manifest"
	done
	jq -cn --arg a "sha256:$(sha256sum <"$T/amd.json" | cut -c1-64)" --argjson asz "$(wc -c <"$T/amd.json")" \
		--arg r "sha256:$(sha256sum <"$T/arm.json" | cut -c1-64)" --argjson rsz "$(wc -c <"$T/arm.json")" \
		--arg mt "$mt" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
		  {mediaType: $mt, digest: $a, size: $asz, platform: {os: "linux", architecture: "amd64"}},
		  {mediaType: $mt, digest: $r, size: $rsz, platform: {os: "linux", architecture: "arm64", variant: "v8"}}]}' \
		>"$T/index.json"
	curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" --data-binary @"$T/index.json" \
		"$u/multi/manifests/1" >/dev/null || fail "put the index"
	start_berthd
	b_out pull "$REG/test/multi:1"
	assert_eq 0 "$RC" "pull of an index, host platform ($ERR)"
	assert_eq amd64 "$(b image inspect "$REG/test/multi:1" | jq -r '.[0].Architecture')" "default platform"
	b_out rmi "$REG/test/multi:1"
	b_out pull --platform linux/arm64/v8 "$REG/test/multi:1"
	assert_eq 0 "$RC" "pull --platform linux/arm64/v8 ($ERR)"
	assert_eq arm64 "$(b image inspect "$REG/test/multi:1" | jq -r '.[0].Architecture')" "arm64 chosen"
	b_out pull --platform linux/s390x "$REG/test/multi:1"
	[ "$RC" -ne 0 ] || fail "pull of a platform the index lacks succeeded"
	assert_contains "$ERR" "no manifest for linux/s390x" "missing platform error"
	stop_berthd
}

run_test images/berth test_berth_images
run_test images/platforms test_platforms
run_test images/login-logout test_login_logout
run_test images/docker-cli test_docker_cli

stop_registry
trap - EXIT
suite_end
