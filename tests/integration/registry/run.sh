#!/bin/bash
# The registry family: berth's OCI distribution client (src/registry)
# against Debian's docker-registry on 127.0.0.1, driven by registry-tool
# (tests/integration/registry/registry-tool.c) and checked with skopeo.
#
# Three registries are started for the family, each on a free port with its
# own config and storage under the suite's temp dir: an open one, one with
# htpasswd basic auth, and one with docker's token auth whose token server is
# token-server.py (RS256 JWTs signed with a throwaway key and self-signed
# certificate made by openssl; the registry trusts that certificate). Test
# images are made from busybox-static with umoci and pushed with skopeo. The
# registries and the token server are stopped by pid at the end.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"

suite_begin registry

TOOL=${REGISTRY_TOOL:-}
for cand in "$BERTH_TOP/build/src/registry/registry-tool" "$BERTH_TOP/build-asan/src/registry/registry-tool" \
	"$BERTH_TOP/bin/registry-tool"; do
	[ -z "$TOOL" ] && [ -x "$cand" ] && TOOL=$cand
done
REG_PIDS=()
REG_DIR=$SUITE_TMP/registries

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [HTPASSWD] [TOKEN_REALM TOKEN_CERT]: port in
# $REG_DIR/NAME/port; storage in $REG_DIR/NAME/data. With a token realm the
# registry uses token auth (service berth-test-registry, issuer
# berth-test-issuer) and trusts tokens whose x5c chains to TOKEN_CERT.
start_registry() {
	local name=$1 htpasswd=${2:-} realm=${3:-} cert=${4:-} dir=$REG_DIR/$1 port n
	port=$(free_port)
	mkdir -p "$dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage:"
		echo "  filesystem: {rootdirectory: $dir/data}"
		echo "  cache: {}"
		echo "http: {addr: 127.0.0.1:$port}"
		if [ -n "$htpasswd" ]; then
			echo "auth:"
			echo "  htpasswd: {realm: berth-test, path: $htpasswd}"
		elif [ -n "$realm" ]; then
			echo "auth:"
			echo "  token: {realm: \"$realm\", service: berth-test-registry, issuer: berth-test-issuer, rootcertbundle: $cert}"
		fi
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
	REG_PIDS+=($!)
	echo "$!" >"$dir/pid"
	for n in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	echo "$port" >"$dir/port"
}

stop_registries() {
	local p
	for p in "${REG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	REG_PIDS=()
}
trap stop_registries EXIT

# start_token_server: key and self-signed certificate in $REG_DIR/token,
# token-server.py on a free port (in $REG_DIR/token/port), its log of
# issued and refused tokens in $REG_DIR/token/issued.log.
start_token_server() {
	local dir=$REG_DIR/token n
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-token-signer \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 || return 1
	: >"$dir/issued.log"
	python3 "$HERE/token-server.py" --key "$dir/key.pem" --cert "$dir/cert.pem" \
		--issuer berth-test-issuer --port-file "$dir/port" --log "$dir/issued.log" \
		--user berth --password t0ken-pw >"$dir/log" 2>&1 </dev/null &
	REG_PIDS+=($!)
	echo "$!" >"$dir/pid"
	for n in $(seq 100); do
		[ -s "$dir/port" ] && break
		sleep 0.1
	done
	[ -s "$dir/port" ]
}

# make_htpasswd FILE USER PASSWORD: docker-registry takes bcrypt only.
make_htpasswd() {
	if command -v htpasswd >/dev/null; then
		htpasswd -Bbc "$1" "$2" "$3" 2>/dev/null
	else
		/usr/bin/python3 -W ignore -c 'import crypt, sys
print("%s:%s" % (sys.argv[1], crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH))))' "$2" "$3" >"$1"
	fi
}

# make_image OCI_DIR: three layers: the busybox rootfs, 3 MB of random
# bytes, one small file; and a config with cmd sh.
make_image() {
	local oci=$1 w=$SUITE_TMP/mkimg.$RANDOM
	mkdir -p "$w/l2" "$w/l3"
	umoci init --layout "$oci" &&
		umoci new --image "$oci:1" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		sh "$BERTH_TOP/scripts/make-rootfs.sh" "$w/b/rootfs" >/dev/null &&
		umoci repack --image "$oci:1" "$w/b" &&
		head -c 3000000 /dev/urandom >"$w/l2/big" &&
		echo "berth registry test $RANDOM" >"$w/l3/motd" &&
		umoci insert --image "$oci:1" "$w/l2" /data &&
		umoci insert --image "$oci:1" "$w/l3" /etc/motd.d &&
		umoci config --image "$oci:1" --config.cmd sh
	local rc=$?
	rm -rf "$w"
	return $rc
}

SETUP_ERR=
setup() {
	[ -n "$TOOL" ] || { SETUP_ERR="registry-tool not built (meson build dir 'build')"; return; }
	local c
	for c in docker-registry skopeo umoci curl jq sha256sum openssl python3; do
		command -v $c >/dev/null || { SETUP_ERR="$c not installed"; return; }
	done
	mkdir -p "$REG_DIR"
	start_registry open
	OPEN=127.0.0.1:$(cat "$REG_DIR/open/port")
	curl -sf -o /dev/null "http://$OPEN/v2/" || { SETUP_ERR="docker-registry did not start: $(tail -3 "$REG_DIR/open/log")"; return; }
	make_htpasswd "$REG_DIR/htpasswd" berth s3cret-pw || { SETUP_ERR="cannot make a bcrypt htpasswd"; return; }
	start_registry auth "$REG_DIR/htpasswd"
	AUTH=127.0.0.1:$(cat "$REG_DIR/auth/port")
	start_token_server || { SETUP_ERR="token server did not start: $(tail -3 "$REG_DIR/token/log" "$REG_DIR/token/openssl.log" 2>/dev/null)"; return; }
	TOKEN_LOG=$REG_DIR/token/issued.log
	start_registry tokreg "" "http://127.0.0.1:$(cat "$REG_DIR/token/port")/token" "$REG_DIR/token/cert.pem"
	TOKREG=127.0.0.1:$(cat "$REG_DIR/tokreg/port")
	curl -s -o /dev/null "http://$TOKREG/v2/" || { SETUP_ERR="token-auth docker-registry did not start: $(tail -3 "$REG_DIR/tokreg/log")"; return; }
	make_image "$SUITE_TMP/oci" >/dev/null || { SETUP_ERR="umoci could not build the test image"; return; }
	skopeo copy -q --dest-tls-verify=false "oci:$SUITE_TMP/oci:1" "docker://$OPEN/test/busybox:1" >/dev/null &&
		skopeo copy -q --dest-tls-verify=false --dest-creds berth:s3cret-pw \
			"oci:$SUITE_TMP/oci:1" "docker://$AUTH/private/busybox:1" >/dev/null ||
		{ SETUP_ERR="skopeo could not push the test image"; return; }
	skopeo copy -q --dest-tls-verify=false --dest-creds berth:t0ken-pw \
		"oci:$SUITE_TMP/oci:1" "docker://$TOKREG/tokened/busybox:1" >"$REG_DIR/tokreg/skopeo.log" 2>&1 ||
		SETUP_ERR="skopeo could not push the test image to the token registry: $(tail -2 "$REG_DIR/tokreg/skopeo.log") $(tail -2 "$TOKEN_LOG")"
}
setup
export TOOL OPEN AUTH TOKREG TOKEN_LOG REG_DIR SETUP_ERR

# ---------------------------------------------------------------- helpers

need_setup() { [ -z "$SETUP_ERR" ] || skip "$SETUP_ERR"; }
raw() { skopeo inspect --tls-verify=false --raw "docker://$1"; }
raw_with() { skopeo inspect --tls-verify=false --creds berth:s3cret-pw --raw "docker://$1"; }
raw_tok() { skopeo inspect --tls-verify=false --creds berth:t0ken-pw --raw "docker://$1"; }
# token_log_mark / token_log_new: the token server's log lines written since
# the mark.
token_log_mark() { TOKEN_MARK=$(wc -l <"$TOKEN_LOG"); }
token_log_new() { tail -n +"$((TOKEN_MARK + 1))" "$TOKEN_LOG"; }
# tool_out ARGS: registry-tool with OUT/ERR/RC like run_out.
tool_out() {
	RC=0
	"$TOOL" "$@" >"$T/tool.out" 2>"$T/tool.err" </dev/null || RC=$?
	OUT=$(cat "$T/tool.out")
	ERR=$(cat "$T/tool.err")
}
tool_ok() {
	tool_out "$@"
	[ "$RC" -eq 0 ] || fail "registry-tool $* exited $RC: $ERR"
}
# check_store STORE: every blob's name is its sha256; no ingest leftovers.
check_store() {
	local f
	for f in "$1"/blobs/sha256/*; do
		[ "sha256:$(sha256sum <"$f" | cut -d' ' -f1)" = "sha256:$(basename "$f")" ] ||
			fail "blob $(basename "$f") does not match its digest"
	done
	[ -z "$(ls -A "$1/ingest" 2>/dev/null | grep -v '\.lock$')" ] || fail "ingest leftovers: $(ls -A "$1/ingest")"
}
# same_layers REF_A REF_B [RAW_B_FN]: their manifests list the same layers and config.
same_layers() {
	local a b
	a=$(raw "$1" | jq -c '[.config.digest, [.layers[].digest]]')
	b=$(${3:-raw} "$2" | jq -c '[.config.digest, [.layers[].digest]]')
	assert_eq "$a" "$b" "layers of '$2' against '$1'"
}
# blob_data REGDIR DIGEST: the file the registry serves a blob from.
blob_data() {
	local hex=${2#sha256:}
	echo "$REG_DIR/$1/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# ---------------------------------------------------------------- tests

test_pull_by_tag() {
	need_setup
	tool_ok --progress pull "$OPEN/test/busybox:1" "$T/store"
	local m want
	m=$(raw "$OPEN/test/busybox:1")
	want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$OPEN/test/busybox:1")
	assert_eq "$want" "$(jq -r .manifest <<<"$OUT")" "manifest digest"
	assert_eq "$(jq -r .config.digest <<<"$m")" "$(jq -r .config <<<"$OUT")" "config digest"
	assert_eq "$(jq -c '[.layers[] | {digest, size}]' <<<"$m")" \
		"$(jq -c '[.layers[] | {digest, size}]' <<<"$OUT")" "layers"
	assert_eq "application/vnd.oci.image.manifest.v1+json" "$(jq -r .mediaType <<<"$OUT")" "media type"
	local d
	for d in $want $(jq -r '.config.digest, .layers[].digest' <<<"$m"); do
		[ -f "$T/store/blobs/sha256/${d#sha256:}" ] || fail "blob $d missing from the store"
	done
	check_store "$T/store"
	# the stored manifest is byte for byte what the registry serves
	raw "$OPEN/test/busybox:1" >"$T/manifest.raw"
	cmp -s "$T/manifest.raw" "$T/store/blobs/sha256/${want#sha256:}" || fail "stored manifest differs"
	assert_contains "$ERR" "done 3001389/3001389" "progress of the big layer"
}

test_pull_by_digest_and_skip() {
	need_setup
	local want
	want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$OPEN/test/busybox:1")
	tool_ok pull "$OPEN/test/busybox@$want" "$T/store"
	assert_eq "$want" "$(jq -r .manifest <<<"$OUT")" "manifest digest"
	check_store "$T/store"
	# a second pull fetches nothing: every blob is reported as present
	tool_ok --progress pull "$OPEN/test/busybox:1" "$T/store"
	assert_eq 4 "$(grep -c ' exists ' <<<"$ERR")" "blobs skipped on the second pull"
	assert_not_contains "$ERR" " running " "second pull"
	# a digest that does not exist
	tool_out pull "$OPEN/test/busybox@sha256:$(printf '0%.0s' $(seq 64))" "$T/store2"
	assert_eq 1 "$RC" "exit code for an unknown digest"
	assert_contains "$ERR" "not found" "unknown digest"
}

test_missing_tag() {
	need_setup
	tool_out pull "$OPEN/test/busybox:nope" "$T/store"
	assert_eq 1 "$RC" "exit code"
	assert_contains "$ERR" "manifest for '$OPEN/test/busybox:nope' not found" "error"
	assert_contains "$ERR" "MANIFEST_UNKNOWN" "registry error quoted"
	assert_contains "$ERR" "ENOENT" "errno"
	tool_out pull "$OPEN/test/nothing-here:1" "$T/store"
	assert_eq 1 "$RC" "exit code for a missing repository"
	assert_contains "$ERR" "not found" "missing repository"
}

test_push_roundtrip() {
	need_setup
	tool_ok pull "$OPEN/test/busybox:1" "$T/store"
	local m
	m=$(jq -r .manifest <<<"$OUT")
	tool_ok --progress push "$T/store" "$m" "$OPEN/test/copy:2"
	assert_eq "$m" "$OUT" "digest acknowledged"
	same_layers "$OPEN/test/busybox:1" "$OPEN/test/copy:2"
	assert_eq "$m" "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$OPEN/test/copy:2")" "pushed manifest digest"
	assert_contains "$ERR" "done 3001389/3001389" "big layer uploaded"
	# pushing again uploads nothing
	tool_ok --progress push "$T/store" "$m" "$OPEN/test/copy:3"
	assert_eq 4 "$(grep -c ' exists ' <<<"$ERR")" "blobs found by HEAD"
	# and what was pushed pulls back to the same blobs
	tool_ok pull "$OPEN/test/copy:2" "$T/store2"
	assert_eq "$m" "$(jq -r .manifest <<<"$OUT")" "re-pulled manifest"
	check_store "$T/store2"
}

test_push_chunked() {
	need_setup
	tool_ok pull "$OPEN/test/busybox:1" "$T/store"
	local m
	m=$(jq -r .manifest <<<"$OUT")
	tool_ok --progress push --chunk 1000000 "$T/store" "$m" "$OPEN/test/chunked:1"
	assert_eq "$m" "$OUT" "digest acknowledged"
	assert_contains "$ERR" "running 2000000/3001389" "the big layer went in chunks"
	same_layers "$OPEN/test/busybox:1" "$OPEN/test/chunked:1"
}

test_push_mount() {
	need_setup
	tool_ok pull "$OPEN/test/busybox:1" "$T/store"
	local m
	m=$(jq -r .manifest <<<"$OUT")
	tool_ok --progress push --mount-from test/busybox "$T/store" "$m" "$OPEN/test/mounted:1"
	assert_eq 4 "$(grep -c ' mounted ' <<<"$ERR")" "blobs mounted from test/busybox"
	assert_not_contains "$ERR" " running " "mounted push"
	same_layers "$OPEN/test/busybox:1" "$OPEN/test/mounted:1"
}

# A registry serving a corrupted layer: the pull fails naming the image and
# the layer, and the store keeps nothing of it.
test_tampered_blob() {
	need_setup
	make_image "$T/oci" >/dev/null || fail "umoci"
	skopeo copy -q --dest-tls-verify=false "oci:$T/oci:1" "docker://$OPEN/test/tamper:1" >/dev/null || fail "skopeo copy"
	local layer f
	layer=$(raw "$OPEN/test/tamper:1" | jq -r '.layers[2].digest')
	f=$(blob_data open "$layer")
	[ -f "$f" ] || fail "no registry file for $layer"
	# same size, different bytes
	cp "$f" "$T/layer.orig"
	printf 'X' | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null
	tool_out pull "$OPEN/test/tamper:1" "$T/store"
	assert_eq 1 "$RC" "exit code"
	assert_contains "$ERR" "pull '$OPEN/test/tamper:1': layer 3 of 3" "error names image and layer"
	assert_contains "$ERR" "$layer" "error names the digest"
	assert_contains "$ERR" "digest mismatch" "error"
	[ ! -e "$T/store/blobs/sha256/${layer#sha256:}" ] || fail "tampered layer kept in the store"
	check_store "$T/store"
	# a registry that sends fewer bytes than the manifest promises
	cp "$T/layer.orig" "$f"
	local big
	big=$(raw "$OPEN/test/tamper:1" | jq -r '.layers[1].digest')
	f=$(blob_data open "$big")
	truncate -s 1000000 "$f"
	tool_out pull "$OPEN/test/tamper:1" "$T/store3"
	assert_eq 1 "$RC" "exit code for a short layer"
	assert_contains "$ERR" "layer 2 of 3" "short layer named"
	[ ! -e "$T/store3/blobs/sha256/${big#sha256:}" ] || fail "short layer kept in the store"
	check_store "$T/store3"
}

test_basic_auth() {
	need_setup
	local af=$T/docker/config.json
	tool_out --auth-file "$af" pull "$AUTH/private/busybox:1" "$T/store"
	assert_eq 1 "$RC" "exit code without credentials"
	assert_contains "$ERR" "registry '$AUTH' requires authentication" "error"
	assert_contains "$ERR" "EACCES" "errno"
	[ -z "$(ls -A "$T/store/blobs/sha256" 2>/dev/null)" ] || fail "blobs stored without access"
	RC=0
	echo wrong-pw | "$TOOL" --auth-file "$af" login "$AUTH" berth >"$T/l.out" 2>"$T/l.err" || RC=$?
	assert_eq 1 "$RC" "login with a wrong password"
	assert_contains "$(cat "$T/l.err")" "refused" "wrong password"
	assert_not_contains "$(cat "$T/l.err")" "wrong-pw" "password in message"
	[ ! -e "$af" ] || fail "auth file written for a refused login"
	echo s3cret-pw | "$TOOL" --auth-file "$af" login "$AUTH" berth >"$T/l.out" 2>"$T/l.err" ||
		fail "login failed: $(cat "$T/l.err")"
	assert_eq 600 "$(stat -c %a "$af")" "auth file mode"
	assert_eq "berth:s3cret-pw" "$(jq -r --arg k "$AUTH" '.auths[$k].auth' "$af" | base64 -d)" "stored auth"
	tool_ok --auth-file "$af" pull "$AUTH/private/busybox:1" "$T/store"
	same_layers "$OPEN/test/busybox:1" "$AUTH/private/busybox:1" raw_with
	check_store "$T/store"
	tool_ok --auth-file "$af" push "$T/store" "$(jq -r .manifest <<<"$OUT")" "$AUTH/private/copy:1"
	same_layers "$OPEN/test/busybox:1" "$AUTH/private/copy:1" raw_with
	tool_ok --auth-file "$af" logout "$AUTH"
	tool_out --auth-file "$af" pull "$AUTH/private/busybox:1" "$T/store4"
	assert_eq 1 "$RC" "pull after logout"
	assert_contains "$ERR" "EACCES" "errno after logout"
}

# Docker's token auth: the registry answers 401 with a Bearer challenge, the
# client fetches a JWT from token-server.py with its credentials and the
# session's scope, and sends it as Authorization: Bearer.
test_token_auth() {
	need_setup
	local af=$T/docker/config.json m
	# without credentials: the token server refuses, nothing is stored
	token_log_mark
	tool_out --auth-file "$af" pull "$TOKREG/tokened/busybox:1" "$T/store"
	assert_eq 1 "$RC" "exit code without credentials"
	assert_contains "$ERR" "registry '$TOKREG': the token server requires credentials: log in first" "error"
	assert_contains "$ERR" "EACCES" "errno"
	[ -z "$(ls -A "$T/store/blobs/sha256" 2>/dev/null)" ] || fail "blobs stored without access"
	assert_contains "$(token_log_new)" "refused user=- reason=no-credentials" "token server log"
	assert_not_contains "$(token_log_new)" "issued" "token server log without credentials"
	# a wrong password: login refused, no auth file
	token_log_mark
	RC=0
	echo wrong-pw | "$TOOL" --auth-file "$af" login "$TOKREG" berth >"$T/l.out" 2>"$T/l.err" || RC=$?
	assert_eq 1 "$RC" "login with a wrong password"
	assert_contains "$(cat "$T/l.err")" "the token server refused the credentials" "wrong password"
	assert_contains "$(cat "$T/l.err")" "EACCES" "errno of a wrong password"
	assert_not_contains "$(cat "$T/l.err")" "wrong-pw" "password in message"
	[ ! -e "$af" ] || fail "auth file written for a refused login"
	assert_contains "$(token_log_new)" "refused user=berth reason=wrong-credentials" "token server log"
	# the right password: login proves it with a token for /v2/
	token_log_mark
	echo t0ken-pw | "$TOOL" --auth-file "$af" login "$TOKREG" berth >"$T/l.out" 2>"$T/l.err" ||
		fail "login failed: $(cat "$T/l.err")"
	assert_eq "Login Succeeded" "$(cat "$T/l.out")" "login output"
	assert_eq 600 "$(stat -c %a "$af")" "auth file mode"
	assert_eq "berth:t0ken-pw" "$(jq -r --arg k "$TOKREG" '.auths[$k].auth' "$af" | base64 -d)" "stored auth"
	assert_contains "$(token_log_new)" "issued sub=berth aud=berth-test-registry" "token for login"
	# pull through the bearer flow, with a pull token for the repository
	token_log_mark
	tool_ok --auth-file "$af" pull "$TOKREG/tokened/busybox:1" "$T/store"
	m=$(jq -r .manifest <<<"$OUT")
	assert_eq "$(skopeo inspect --tls-verify=false --creds berth:t0ken-pw --format '{{.Digest}}' \
		"docker://$TOKREG/tokened/busybox:1")" "$m" "manifest digest"
	same_layers "$OPEN/test/busybox:1" "$TOKREG/tokened/busybox:1" raw_tok
	check_store "$T/store"
	assert_contains "$(token_log_new)" \
		"issued sub=berth aud=berth-test-registry scope=repository:tokened/busybox:pull" "pull token"
	assert_not_contains "$(token_log_new)" "refused" "token server log of the pull"
	# push: the token is asked for pull,push on the target
	token_log_mark
	tool_ok --auth-file "$af" --progress push "$T/store" "$m" "$TOKREG/tokened/copy:1"
	assert_eq "$m" "$(head -1 <<<"$OUT")" "digest acknowledged"
	same_layers "$OPEN/test/busybox:1" "$TOKREG/tokened/copy:1" raw_tok
	assert_eq "$m" "$(skopeo inspect --tls-verify=false --creds berth:t0ken-pw --format '{{.Digest}}' \
		"docker://$TOKREG/tokened/copy:1")" "pushed manifest digest"
	assert_contains "$(token_log_new)" \
		"issued sub=berth aud=berth-test-registry scope=repository:tokened/copy:pull,push" "push token"
	# a cross-repository mount: one token for both scopes
	token_log_mark
	tool_ok --auth-file "$af" --progress push --mount-from tokened/busybox "$T/store" "$m" "$TOKREG/tokened/mounted:1"
	assert_eq 4 "$(grep -c ' mounted ' <<<"$ERR")" "blobs mounted from tokened/busybox"
	assert_contains "$(token_log_new)" \
		"scope=repository:tokened/mounted:pull,push repository:tokened/busybox:pull" "mount token"
	# a stored password that has gone wrong: refused at the token server
	jq -n --arg k "$TOKREG" --arg a "$(printf 'berth:not-it' | base64)" '{auths: {($k): {auth: $a}}}' >"$T/bad.json"
	token_log_mark
	tool_out --auth-file "$T/bad.json" pull "$TOKREG/tokened/busybox:1" "$T/store5"
	assert_eq 1 "$RC" "exit code with a wrong stored password"
	assert_contains "$ERR" "the token server refused the credentials" "wrong stored password"
	assert_contains "$ERR" "EACCES" "errno"
	assert_not_contains "$ERR" "not-it" "password in message"
	[ -z "$(ls -A "$T/store5/blobs/sha256" 2>/dev/null)" ] || fail "blobs stored with a refused password"
	assert_contains "$(token_log_new)" "refused user=berth reason=wrong-credentials" "token server log"
	# after logout the pull is refused again
	tool_ok --auth-file "$af" logout "$TOKREG"
	tool_out --auth-file "$af" pull "$TOKREG/tokened/busybox:1" "$T/store4"
	assert_eq 1 "$RC" "pull after logout"
	assert_contains "$ERR" "log in first" "error after logout"
}

# Blobs behind a redirect, as registries that keep them in other storage:
# redirect-proxy.py fronts the open registry, proxies /v2/ and manifests,
# and answers every blob GET with a 307 to the open registry itself.
test_redirect() {
	need_setup
	local pdir=$T/proxy ppid n proxy m want d
	mkdir -p "$pdir"
	python3 "$HERE/redirect-proxy.py" --upstream "$OPEN" --port-file "$pdir/port" \
		--log "$pdir/requests.log" >"$pdir/log" 2>&1 </dev/null &
	ppid=$!
	trap 'kill "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null' EXIT
	for n in $(seq 100); do
		[ -s "$pdir/port" ] && break
		sleep 0.1
	done
	[ -s "$pdir/port" ] || fail "redirect-proxy.py did not start: $(cat "$pdir/log")"
	proxy=127.0.0.1:$(cat "$pdir/port")
	# the proxy really redirects
	m=$(raw "$OPEN/test/busybox:1")
	d=$(jq -r '.layers[0].digest' <<<"$m")
	assert_eq "307 http://$OPEN/v2/test/busybox/blobs/$d" \
		"$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$proxy/v2/test/busybox/blobs/$d")" \
		"the proxy's answer to a blob GET"
	tool_ok --progress pull "$proxy/test/busybox:1" "$T/store"
	want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$OPEN/test/busybox:1")
	assert_eq "$want" "$(jq -r .manifest <<<"$OUT")" "manifest digest"
	assert_eq "$(jq -r .config.digest <<<"$m")" "$(jq -r .config <<<"$OUT")" "config digest"
	assert_eq "$(jq -c '[.layers[] | {digest, size}]' <<<"$m")" \
		"$(jq -c '[.layers[] | {digest, size}]' <<<"$OUT")" "layers"
	for d in $want $(jq -r '.config.digest, .layers[].digest' <<<"$m"); do
		[ -f "$T/store/blobs/sha256/${d#sha256:}" ] || fail "blob $d missing from the store"
	done
	check_store "$T/store"
	assert_contains "$ERR" "done 3001389/3001389" "the big layer came through the redirect"
	# every blob was fetched through a redirect, the manifest through the proxy
	local log
	log=$(cat "$pdir/requests.log")
	for d in $(jq -r '.config.digest, .layers[].digest' <<<"$m"); do
		assert_contains "$log" "redirect GET /v2/test/busybox/blobs/$d" "redirect of blob $d"
	done
	assert_contains "$log" "proxy GET /v2/test/busybox/manifests/1 200" "manifest through the proxy"
	log "redirect-proxy log: $(tr '\n' ';' <<<"$log")"
}

run_test registry/pull-by-tag test_pull_by_tag
run_test registry/pull-by-digest test_pull_by_digest_and_skip
run_test registry/missing-tag test_missing_tag
run_test registry/push-roundtrip test_push_roundtrip
run_test registry/push-chunked test_push_chunked
run_test registry/push-mount test_push_mount
run_test registry/tampered-blob test_tampered_blob
run_test registry/basic-auth test_basic_auth
run_test registry/token-auth test_token_auth
run_test registry/redirect test_redirect

stop_registries
trap - EXIT
suite_end
