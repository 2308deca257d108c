# containers/badinput: what a user gets wrong: an unknown image, bad flag
# values, a name in use, an unknown container; docker's messages and exit
# codes, and nothing left behind after each.

# bad ARGS...: `run --rm ARGS` must fail with 125 and leave no container.
bad() {
	b_out run --rm "$@"
	assert_eq 125 "$RC" "exit of run $* (stderr: $ERR)"
	[ -n "$ERR" ] || fail "run $*: no message"
	assert_eq "" "$(b ps -a -q)" "containers after run $*"
}

test_bad_image() {
	begin
	b_out run --rm "$ENG_REG/test/nope:1" true
	assert_eq 125 "$RC" "exit for an unknown image"
	assert_contains "$ERR" "Unable to find image '$ENG_REG/test/nope:1' locally" "unknown image"
	assert_contains "$ERR" "not found" "pull failure"
	b_out create "$ENG_REG/test/nope:1"
	assert_eq 125 "$RC" "create of an unknown image"
	b_out run --rm "Bad::ref" true
	assert_eq 125 "$RC" "exit for a bad reference"
	assert_contains "$ERR" "invalid reference format" "bad reference"
	assert_eq "" "$(b ps -a -q)" "containers after bad images"
	# the API says 404 for create of an image that is not there
	local code
	code=$(curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		-H 'Content-Type: application/json' -d '{"Image": "nosuch:1"}' http://x/v1.44/containers/create)
	assert_eq 404 "$code" "HTTP status of create with a missing image ($(cat "$T/body"))"
	assert_contains "$(jq -r .message "$T/body")" "No such image: nosuch:1" "API message"
	finish
}

test_bad_flags() {
	begin
	bad --cpus abc "$IMG" true
	bad --cpus 99 "$IMG" true
	bad -m 12qq "$IMG" true
	bad --memory-swap 1k -m 64m "$IMG" true
	bad --restart bogus "$IMG" true
	bad --restart on-failure:x "$IMG" true
	bad --pids-limit x "$IMG" true
	bad --ulimit nofile=abc "$IMG" true
	bad --ulimit nosuch=1 "$IMG" true
	bad --stop-signal NOPE "$IMG" true
	bad --cpuset-cpus 99 "$IMG" true
	bad --cap-add NOPE "$IMG" true
	bad --security-opt bogus "$IMG" true
	bad --log-opt max-size=x "$IMG" true
	bad --health-interval x "$IMG" true
	bad --tmpfs relative "$IMG" true
	bad -w relative/dir "$IMG" true
	assert_contains "$ERR" "working directory 'relative/dir' is invalid" "relative -w"
	bad --runtime nosuch "$IMG" true
	assert_contains "$ERR" "unknown or invalid runtime name: nosuch" "--runtime nosuch"
	bad --nosuchflag "$IMG" true
	assert_contains "$ERR" "unknown flag: --nosuchflag" "unknown flag"
	bad -u nosuch "$IMG" true
	b_out run --rm -m 6m "$IMG" sh -c 'echo small'
	assert_eq small "$OUT" "the smallest memory limit docker allows ($ERR)"
	b_out run --rm --restart always "$IMG" true
	assert_eq 125 "$RC" "--rm with --restart always"
	grep -qiE 'conflicting options|AutoRemove' <<<"$ERR" || fail "--rm with --restart: $ERR"
	finish
}

test_bad_names() {
	begin exec unpause
	crun --name dup "$IMG" sleep 100
	b_out run -d --name dup "$IMG" true
	assert_eq 125 "$RC" "run with a name in use"
	assert_contains "$ERR" "Conflict. The container name \"/dup\" is already in use by container \"$CID\"" "name in use"
	assert_contains "$ERR" "You have to remove (or rename) that container to be able to reuse that name." "name in use"
	local code
	code=$(curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		-H 'Content-Type: application/json' -d "{\"Image\": \"$IMG\"}" 'http://x/v1.44/containers/create?name=dup')
	assert_eq 409 "$code" "HTTP status of a name in use"
	b_out run --rm --name 'bad/name!' "$IMG" true
	assert_eq 125 "$RC" "run with an invalid name"
	assert_contains "$ERR" "Invalid container name" "invalid name"
	assert_eq "$CID" "$(b ps -a -q --no-trunc)" "only the first dup exists"
	local v
	for v in start stop restart kill pause unpause logs wait top port diff export attach; do
		eng_has_verb "$v" || continue
		b_out "$v" nosuch
		[ "$RC" -ne 0 ] || fail "$v of a missing container succeeded"
		assert_contains "$ERR" "No such container: nosuch" "$v of a missing container"
	done
	b_out inspect nosuch
	assert_eq 1 "$RC" "inspect of a missing container"
	assert_contains "$ERR" "No such object: nosuch" "inspect of a missing object (docker's generic inspect)"
	b_out exec nosuch true
	[ "$RC" -ne 0 ] || fail "exec of a missing container succeeded"
	assert_contains "$ERR" "No such container: nosuch" "exec of a missing container"
	b_out unpause dup
	[ "$RC" -ne 0 ] || fail "unpause of a running container succeeded"
	assert_contains "$ERR" "is not paused" "unpause of a running container"
	finish
}

run_test containers/bad-image test_bad_image
run_test containers/bad-flags test_bad_flags
run_test containers/bad-names test_bad_names
