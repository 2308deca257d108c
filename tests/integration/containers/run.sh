#!/bin/bash
# The containers family: every container verb of `berth` as a user of
# `docker` would check it, against a berthd per test (own --root, --run-root
# and socket under the test dir) and a busybox image pulled from a real
# docker-registry on 127.0.0.1. Each test ends with a leak check: no cgroup
# of its containers under /berth, no mount naming its dir, no monitor.
#   BERTH_BUILD=/tmp/build-x tests/integration/containers/run.sh
#   BERTH_TEST_FILTER='^containers/limits' tests/integration/containers/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

suite_begin containers
eng_setup

# crun: run -d ARGS...; CID is the full id, remembered for leak checks.
crun() {
	b_out run -d "$@"
	[ "$RC" -eq 0 ] || fail "run -d $* exited $RC: $ERR"
	CID=$(tail -1 <<<"$OUT")
	[[ $CID =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$OUT', not a full id"
	echo "$CID" >>"$T/.cids"
}
# begin VERB...: the usual start of a test.
begin() {
	eng_need run rm ps inspect "$@"
	eng_start_berthd
	eng_pull
}
# finish: remove everything, then nothing may be left.
finish() {
	local ids
	ids=$(b ps -a -q)
	[ -z "$ids" ] || b rm -f $ids >/dev/null || fail "rm -f of the test's containers"
	assert_eq "" "$(b ps -a -q)" "containers after rm -f"
	eng_leak_check
}
# cg ID CONTROLLER FILE: a value from the container's cgroup on the host.
cg() {
	local f=$CGROUP_MNT/$2/$ENG_CG_PARENT/$1/$3
	[ -f "$f" ] || fail "no cgroup file $f"
	cat "$f"
}
# assert_line TEXT LINE WHAT: LINE is one whole line of TEXT.
assert_line() { grep -qxF -- "$2" <<<"$1" || fail "${3:-output}: no line '$2' in: $1"; }
IMG=${ENG_IMG:-none}

for fam in basic limits security lifecycle streams files badinput runtime; do
	. "$here/$fam.sh"
done

eng_teardown
suite_end
