#!/bin/bash
# The https family: berthd's registry client against a registry that speaks
# HTTPS only, on a non-loopback address. A network namespace of our own
# (berth-https-$$) holds the registry, reached over a veth pair carrying
# 10.203.0.0/30 (host 10.203.0.1, namespace 10.203.0.2) and nothing else.
# The registry's certificate is signed by a CA made here, which the system
# does not trust, so:
#   https/untrusted-refused   berthd without flags refuses it (TLS error)
#                             and stores nothing;
#   https/insecure-pull       with --insecure-registry 10.203.0.2:5443 it
#                             pulls over unverified HTTPS;
#   https/insecure-push       and pushes back under a new tag, with the
#                             same layers;
#   https/insecure-http-fallback  a plain-HTTP registry (same storage, :5000)
#                             is refused unlisted, and reached through the
#                             HTTPS-then-HTTP fallback when listed;
#   https/trusted-ca          without --insecure-registry, our CA as
#                             $ROOT/certs.d/10.203.0.2:5443/ca.crt (dockerd's
#                             /etc/docker/certs.d): pull and push over
#                             verified HTTPS; without the file, refused;
#   https/teardown            the namespace, the veth, the registry and the
#                             temp dirs are gone afterwards.
# Processes are stopped by the pids we started; the namespace and the veth
# are deleted by name (their names carry our pid) also on failure (trap).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

suite_begin https

# Binaries: BERTH_BUILD, else $BERTH_TOP/build (as the images family).
BUILD=${BERTH_BUILD:-$BERTH_TOP/build}
BERTHD=${BERTHD:-$BUILD/src/cmd/berthd/berthd}
BERTH=${BERTH:-$BUILD/src/cmd/berth/berth}

NS=berth-https-$$
VETH_H=bh$$h # interface names: at most 15 characters
VETH_N=bh$$n
HOST_IP=10.203.0.1
REG_IP=10.203.0.2
REG_PORT=5443
REG=$REG_IP:$REG_PORT
WORK=$SUITE_TMP/https
PKI=$WORK/pki
PLAIN=$REG_IP:5000
REG_PID=
PLAIN_PID=
NS_MADE=0

# ---------------------------------------------------------------- teardown

stop_pid() { # PID: TERM, then KILL after 5s
	kill -TERM "$1" 2>/dev/null
	local n
	for n in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	echo "$1" >>"$SUITE_TMP.regpid" 2>/dev/null
}
teardown() {
	[ -n "$PLAIN_PID" ] && stop_pid "$PLAIN_PID"
	PLAIN_PID=
	if [ -n "$REG_PID" ]; then
		stop_pid "$REG_PID"
		REG_PID=
	fi
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS" 2>/dev/null
		NS_MADE=0
	fi
	# Deleting the namespace takes its end of the pair, and so the pair;
	# ours is deleted explicitly in case the namespace never got it.
	ip link show "$VETH_H" >/dev/null 2>&1 && ip link del "$VETH_H" 2>/dev/null
	rm -rf "$WORK"
	return 0
}
# Interrupted in the middle of a test: run_test never got to its cleanup,
# so the test's berthd still runs. Found by its --root under our temp dir,
# stopped by pid.
stop_strays() {
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		{ mapfile -d '' cmd <"/proc/$p/cmdline"; } 2>/dev/null || continue
		[[ "${cmd[*]:-}" == *"$SUITE_TMP/"* ]] && kill -KILL "$p" 2>/dev/null
	done
	return 0
}
on_exit() {
	stop_strays
	teardown
	rm -rf "$SUITE_TMP" "$SUITE_TMP.regpid"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup

make_netns() {
	ip netns add "$NS" || return 1
	NS_MADE=1
	ip link add "$VETH_H" type veth peer name "$VETH_N" || return 1
	ip link set "$VETH_N" netns "$NS" || return 1
	ip addr add "$HOST_IP/30" dev "$VETH_H" || return 1
	ip link set "$VETH_H" up || return 1
	ip netns exec "$NS" ip addr add "$REG_IP/30" dev "$VETH_N" || return 1
	ip netns exec "$NS" ip link set "$VETH_N" up || return 1
	ip netns exec "$NS" ip link set lo up || return 1
}

# A CA of our own and a server certificate for IP 10.203.0.2 signed by it.
make_pki() {
	mkdir -p "$PKI/skopeo-certs" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
		-keyout "$PKI/ca.key" -out "$PKI/ca.pem" -subj "/CN=berth https test CA $$" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -sha256 \
		-keyout "$PKI/server.key" -out "$PKI/server.csr" -subj "/CN=$REG_IP" 2>/dev/null || return 1
	printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
		"$REG_IP" >"$PKI/server.ext"
	openssl x509 -req -sha256 -days 2 -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
		-CAcreateserial -extfile "$PKI/server.ext" -out "$PKI/server.pem" 2>/dev/null || return 1
	openssl verify -CAfile "$PKI/ca.pem" "$PKI/server.pem" >/dev/null || return 1
	# skopeo --dest-cert-dir: *.crt files are CAs.
	cp "$PKI/ca.pem" "$PKI/skopeo-certs/ca.crt"
}

start_registry() {
	local n
	mkdir -p "$WORK/registry/data"
	printf 'version: 0.1\nlog: {level: info, accesslog: {disabled: true}}\nstorage:\n  filesystem: {rootdirectory: %s}\n  cache: {}\nhttp:\n  addr: %s\n  tls: {certificate: %s, key: %s}\n' \
		"$WORK/registry/data" "$REG" "$PKI/server.pem" "$PKI/server.key" >"$WORK/registry/config.yml"
	# ip netns exec execs the registry: the pid is the registry's.
	ip netns exec "$NS" docker-registry serve "$WORK/registry/config.yml" \
		>"$WORK/registry/log" 2>&1 </dev/null &
	REG_PID=$!
	for n in $(seq 100); do
		curl -s -o /dev/null --cacert "$PKI/ca.pem" "https://$REG/v2/" && return 0
		kill -0 "$REG_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# The same storage served over plain HTTP on :5000 in the namespace, for
# the fallback of --insecure-registry.
start_plain_registry() {
	local n
	printf 'version: 0.1\nlog: {level: info, accesslog: {disabled: true}}\nstorage:\n  filesystem: {rootdirectory: %s}\n  cache: {}\nhttp: {addr: %s}\n' \
		"$WORK/registry/data" "$PLAIN" >"$WORK/registry/plain.yml"
	ip netns exec "$NS" docker-registry serve "$WORK/registry/plain.yml" \
		>"$WORK/registry/plain.log" 2>&1 </dev/null &
	PLAIN_PID=$!
	for n in $(seq 100); do
		curl -s -o /dev/null "http://$PLAIN/v2/" && return 0
		kill -0 "$PLAIN_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# make_image OCI: the busybox rootfs, then a layer adding /etc/motd; cmd sh.
make_image() {
	local oci=$1 w=$WORK/mkimg
	umoci init --layout "$oci" && umoci new --image "$oci:1" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		sh "$BERTH_TOP/scripts/make-rootfs.sh" "$w/b/rootfs" >/dev/null &&
		umoci repack --image "$oci:1" "$w/b" && rm -rf "$w/b" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		echo "berth https test" >"$w/b/rootfs/etc/motd" &&
		umoci repack --image "$oci:1" "$w/b" &&
		umoci config --image "$oci:1" --config.cmd sh --config.env FOO=bar
	local rc=$?
	rm -rf "$w"
	return $rc
}

sk() { skopeo "$@"; }

SETUP_ERR=
setup() {
	local c
	for c in ip docker-registry skopeo umoci openssl curl jq; do
		command -v $c >/dev/null || { SETUP_ERR="$c not installed"; return; }
	done
	[ -x "$BERTHD" ] && [ -x "$BERTH" ] || { SETUP_ERR="berthd/berth not built in $BUILD"; return; }
	if ip netns list | grep -q "^$NS\b" || ip link show "$VETH_H" >/dev/null 2>&1; then
		SETUP_ERR="$NS or $VETH_H exists already"
		return
	fi
	if ip -4 route show | grep -q '^10\.203\.0\.'; then
		SETUP_ERR="10.203.0.0/30 is routed here already: $(ip -4 route show | grep '^10\.203\.0\.')"
		return
	fi
	mkdir -p "$WORK"
	make_netns || { SETUP_ERR="cannot make the namespace and veth pair"; return; }
	make_pki || { SETUP_ERR="openssl could not make the certificates"; return; }
	start_registry || { SETUP_ERR="the HTTPS registry did not come up: $(tail -5 "$WORK/registry/log")"; return; }
	make_image "$WORK/oci" >/dev/null || { SETUP_ERR="umoci could not build the image"; return; }
	# Pushed with verification against our CA: the certificate is right.
	sk copy -q --dest-cert-dir "$PKI/skopeo-certs" "oci:$WORK/oci:1" "docker://$REG/test/busybox:1" \
		>"$WORK/push.log" 2>&1 ||
		{ SETUP_ERR="skopeo could not push the test image: $(cat "$WORK/push.log")"; return; }
	DIGEST=$(sk inspect --cert-dir "$PKI/skopeo-certs" --format '{{.Digest}}' "docker://$REG/test/busybox:1")
	LAYERS=$(sk inspect --cert-dir "$PKI/skopeo-certs" "docker://$REG/test/busybox:1" | jq -c .Layers)
	DIFF_IDS=$(sk inspect --cert-dir "$PKI/skopeo-certs" --config "docker://$REG/test/busybox:1" | jq -c .rootfs.diff_ids)
	[ -n "$DIGEST" ] && [ "$(jq length <<<"$LAYERS")" = 2 ] && [ "$(jq length <<<"$DIFF_IDS")" = 2 ] ||
		{ SETUP_ERR="skopeo inspect of the pushed image: digest '$DIGEST' layers $LAYERS diff ids $DIFF_IDS"; return; }
	start_plain_registry || PLAIN_ERR="the plain HTTP registry did not come up: $(tail -5 "$WORK/registry/plain.log")"
}
PLAIN_ERR=
setup
[ -z "$SETUP_ERR" ] || log "setup: $SETUP_ERR"

need_setup() { [ -z "$SETUP_ERR" ] || skip "$SETUP_ERR"; }
start_berthd() { # ARGS: extra berthd options
	SOCK=$T/run/berth.sock
	"$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" "$@" >>"$T/berthd.log" 2>&1 &
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
b_out() {
	RC=0
	b "$@" >"$T/o" 2>"$T/e" </dev/null || RC=$?
	OUT=$(cat "$T/o")
	ERR=$(cat "$T/e")
}
# stored_nothing: no image, no blob, no snapshot in berthd's root.
stored_nothing() {
	assert_eq "" "$(b images -q)" "images after a refused pull"
	local f
	f=$(find "$T/root" \( -path "$T/root/blobs/*" -o -path "$T/root/snapshots/*" \) -type f \
		! -name '*lock*' 2>/dev/null)
	[ -z "$f" ] || fail "files stored by a refused pull: $f"
}

# 1. The system CAs do not know our CA: the pull is refused for TLS.
test_untrusted_refused() {
	need_setup
	# The server is right; only the trust is missing.
	curl -s -o /dev/null --cacert "$PKI/ca.pem" "https://$REG/v2/" || fail "curl with our CA fails"
	curl -s -o /dev/null "https://$REG/v2/" && fail "curl trusts our CA through the system store"
	start_berthd -D
	b_out pull "$REG/test/busybox:1"
	assert_eq 1 "$RC" "pull exit (stdout: $OUT; stderr: $ERR)"
	[[ ${ERR,,} =~ certificate|tls|ssl ]] || fail "the error does not mention TLS or the certificate: $ERR"
	assert_contains "$ERR" "$REG" "the error names the registry"
	stored_nothing
	# And it never fell back to plain HTTP.
	! grep -q "http://$REG" "$T/berthd.log" || fail "berthd tried plain HTTP: $(grep "http://$REG" "$T/berthd.log")"
	stop_berthd
	# listing the registry as insecure by another port does not count
	start_berthd --insecure-registry "$REG_IP:5000"
	b_out pull "$REG/test/busybox:1"
	assert_eq 1 "$RC" "pull exit, other port listed (stderr: $ERR)"
	[[ ${ERR,,} =~ certificate|tls|ssl ]] || fail "the error does not mention TLS (other port listed): $ERR"
	stored_nothing
	stop_berthd
}

# 2. --insecure-registry HOST:PORT: unverified HTTPS.
test_insecure_pull() {
	need_setup
	start_berthd -D --insecure-registry "$REG"
	b_out pull "$REG/test/busybox:1"
	assert_eq 0 "$RC" "pull exit (stdout: $OUT; stderr: $ERR)"
	assert_contains "$OUT" "Pulling from test/busybox" "pull output"
	assert_contains "$OUT" "Pull complete" "pull output"
	assert_contains "$OUT" "Digest: $DIGEST" "pull output"
	assert_contains "$OUT" "Status: Downloaded newer image for $REG/test/busybox:1" "pull output"
	b image inspect "$REG/test/busybox:1" >"$T/inspect.json" 2>"$T/e" || fail "image inspect: $(cat "$T/e")"
	assert_eq "$DIFF_IDS" "$(jq -c '.[0].RootFS.Layers' "$T/inspect.json")" "RootFS.Layers"
	assert_eq '["sh"]' "$(jq -c '.[0].Config.Cmd' "$T/inspect.json")" "Config.Cmd"
	assert_contains "$(jq -c '.[0].Config.Env' "$T/inspect.json")" "FOO=bar" "Config.Env"
	assert_eq "$REG/test/busybox@$DIGEST" "$(jq -r '.[0].RepoDigests[0]' "$T/inspect.json")" "RepoDigests"
	assert_contains "$(b images)" "$REG/test/busybox" "images"
	# It was HTTPS: the registry speaks nothing else, and berthd's debug
	# log shows https:// requests and no plain-HTTP fallback.
	grep -q "https://$REG/v2/" "$T/berthd.log" || fail "no https:// request in berthd's log"
	! grep -q "http://$REG" "$T/berthd.log" || fail "berthd fell back to plain HTTP: $(grep -m3 "http://$REG" "$T/berthd.log")"
	# by digest too
	b_out pull "$REG/test/busybox@$DIGEST"
	assert_eq 0 "$RC" "pull by digest ($ERR)"
	stop_berthd
	# The host alone, without the port, lists it as well (as dockerd).
	rm -rf "$T/root" "$T/run"
	start_berthd --insecure-registry "$REG_IP"
	b_out pull -q "$REG/test/busybox:1"
	assert_eq 0 "$RC" "pull with the host listed without port ($ERR)"
	stop_berthd
}

# 3. Push back under a new tag over unverified HTTPS.
test_insecure_push() {
	need_setup
	start_berthd -D --insecure-registry "$REG"
	b_out pull -q "$REG/test/busybox:1"
	assert_eq 0 "$RC" "pull ($ERR)"
	b tag "$REG/test/busybox:1" "$REG/test/busybox:pushed" || fail "tag"
	b_out push "$REG/test/busybox:pushed"
	assert_eq 0 "$RC" "push exit (stdout: $OUT; stderr: $ERR)"
	assert_contains "$OUT" "The push refers to repository [$REG/test/busybox]" "push output"
	assert_contains "$OUT" "pushed: digest: sha256:" "push output"
	local digest
	digest=$(sed -n 's/^pushed: digest: \(sha256:[0-9a-f]*\).*/\1/p' <<<"$OUT")
	# What the registry holds now.
	sk inspect --tls-verify=false "docker://$REG/test/busybox:pushed" >"$T/pushed.json" 2>"$T/e" ||
		fail "skopeo inspect of the pushed tag: $(cat "$T/e")"
	assert_eq "$LAYERS" "$(jq -c .Layers "$T/pushed.json")" "layers of the pushed tag"
	assert_eq "$digest" "$(jq -r .Digest "$T/pushed.json")" "digest berth printed vs registry"
	assert_eq "$DIFF_IDS" \
		"$(sk inspect --tls-verify=false --config "docker://$REG/test/busybox:pushed" | jq -c .rootfs.diff_ids)" \
		"diff ids of the pushed tag"
	# A new repository: the blobs go up (or are mounted) over HTTPS too.
	b tag "$REG/test/busybox:1" "$REG/other/bb:2" || fail "tag other"
	b_out push "$REG/other/bb:2"
	assert_eq 0 "$RC" "push to a new repository (stdout: $OUT; stderr: $ERR)"
	assert_eq "$LAYERS" "$(sk inspect --tls-verify=false "docker://$REG/other/bb:2" | jq -c .Layers)" \
		"layers in the new repository"
	sk copy -q --src-cert-dir "$PKI/skopeo-certs" "docker://$REG/other/bb:2" "oci:$T/back:2" >/dev/null 2>"$T/e" ||
		fail "skopeo could not read back what berth pushed: $(cat "$T/e")"
	! grep -q "http://$REG" "$T/berthd.log" || fail "berthd fell back to plain HTTP: $(grep -m3 "http://$REG" "$T/berthd.log")"
	stop_berthd
}

# 4. --insecure-registry on a registry that speaks plain HTTP only: HTTPS
# fails, berthd falls back to HTTP. Without the flag: refused.
test_insecure_http_fallback() {
	need_setup
	[ -z "$PLAIN_ERR" ] || skip "$PLAIN_ERR"
	start_berthd -D
	b_out pull "$PLAIN/test/busybox:1"
	assert_eq 1 "$RC" "pull from a plain HTTP registry, not listed (stdout: $OUT; stderr: $ERR)"
	[[ ${ERR,,} =~ certificate|tls|ssl ]] || fail "the error does not mention TLS: $ERR"
	stored_nothing
	! grep -q "http://$PLAIN" "$T/berthd.log" || fail "berthd tried plain HTTP unasked"
	stop_berthd
	start_berthd -D --insecure-registry "$PLAIN"
	b_out pull "$PLAIN/test/busybox:1"
	assert_eq 0 "$RC" "pull with fallback (stdout: $OUT; stderr: $ERR)"
	assert_contains "$OUT" "Digest: $DIGEST" "pull output"
	assert_eq "$DIFF_IDS" "$(b image inspect "$PLAIN/test/busybox:1" | jq -c '.[0].RootFS.Layers')" "RootFS.Layers"
	grep -q "https://$PLAIN/v2/" "$T/berthd.log" || fail "HTTPS was not tried first"
	grep -q "http://$PLAIN/v2/" "$T/berthd.log" || fail "no plain HTTP request logged"
	stop_berthd
}

# 5. A CA trusted for the registry through <root>/certs.d/HOST:PORT/ca.crt:
# verified HTTPS, no --insecure-registry.
test_trusted_ca() {
	need_setup
	mkdir -p "$T/root/certs.d/$REG"
	cp "$PKI/ca.pem" "$T/root/certs.d/$REG/ca.crt"
	start_berthd -D
	b_out pull "$REG/test/busybox:1"
	assert_eq 0 "$RC" "pull with the CA in certs.d (stdout: $OUT; stderr: $ERR)"
	assert_contains "$OUT" "Digest: $DIGEST" "pull output"
	assert_eq "$DIFF_IDS" "$(b image inspect "$REG/test/busybox:1" | jq -c '.[0].RootFS.Layers')" "RootFS.Layers"
	grep -q "https://$REG/v2/" "$T/berthd.log" || fail "no https:// request in berthd's log"
	! grep -q "http://$REG" "$T/berthd.log" || fail "berthd fell back to plain HTTP"
	b tag "$REG/test/busybox:1" "$REG/test/busybox:trusted" || fail "tag"
	b_out push "$REG/test/busybox:trusted"
	assert_eq 0 "$RC" "push with the CA in certs.d (stdout: $OUT; stderr: $ERR)"
	local digest
	digest=$(sed -n 's/^trusted: digest: \(sha256:[0-9a-f]*\).*/\1/p' <<<"$OUT")
	[ -n "$digest" ] || fail "no digest in the push output: $OUT"
	# read back with verification against our CA
	assert_eq "$digest" \
		"$(sk inspect --cert-dir "$PKI/skopeo-certs" --format '{{.Digest}}' "docker://$REG/test/busybox:trusted")" \
		"digest berth printed vs registry"
	assert_eq "$LAYERS" \
		"$(sk inspect --cert-dir "$PKI/skopeo-certs" "docker://$REG/test/busybox:trusted" | jq -c .Layers)" \
		"layers of the pushed tag"
	# the file is read per operation: removed, the registry is refused again
	rm -f "$T/root/certs.d/$REG/ca.crt"
	b rmi "$REG/test/busybox:1" "$REG/test/busybox:trusted" >/dev/null 2>&1
	b_out pull "$REG/test/busybox:1"
	assert_eq 1 "$RC" "pull after removing ca.crt (stdout: $OUT; stderr: $ERR)"
	[[ ${ERR,,} =~ certificate|tls|ssl ]] || fail "the error does not mention TLS: $ERR"
	stop_berthd
	# a CA for another port of the same host does not count
	mkdir -p "$T/root/certs.d/$REG_IP:5000"
	cp "$PKI/ca.pem" "$T/root/certs.d/$REG_IP:5000/ca.crt"
	start_berthd
	b_out pull "$REG/test/busybox:1"
	assert_eq 1 "$RC" "pull with the CA filed under another port (stderr: $ERR)"
	stop_berthd
}

# 6. Nothing of ours is left.
test_teardown() {
	local pid
	for pid in $(cat "$SUITE_TMP.regpid" 2>/dev/null); do
		! pid_alive "$pid" || fail "registry pid $pid still runs"
	done
	! ip netns list | grep -q "^$NS\b" || fail "namespace $NS left: $(ip netns list)"
	! ip link show "$VETH_H" >/dev/null 2>&1 || fail "veth $VETH_H left"
	! ip -4 addr show | grep -q "10\.203\.0\." || fail "10.203.0.x address left: $(ip -4 addr show | grep 10.203.0.)"
	! ip -4 route show | grep -q "^10\.203\.0\." || fail "10.203.0.x route left"
	[ ! -e "$WORK" ] || fail "$WORK left"
}

run_test https/untrusted-refused test_untrusted_refused
run_test https/insecure-pull test_insecure_pull
run_test https/insecure-push test_insecure_push
run_test https/insecure-http-fallback test_insecure_http_fallback
run_test https/trusted-ca test_trusted_ca

teardown
run_test https/teardown test_teardown
rm -f "$SUITE_TMP.regpid"
trap - EXIT INT TERM
suite_end
