#!/bin/bash
# The networks family: what a Docker user checks of bridges, names,
# published ports and network modes, against a berthd per test and busybox
# images from a docker-registry on 127.0.0.1 (lib.sh). Servers are busybox
# httpd in a container, clients busybox wget/nslookup in one, curl on the
# host; "another host" is a network namespace with a veth made by the test.
# Each test ends with net_leak_check: no berth link (vb…, br-…), nft
# element, netns file, loop device, cgroup, mount or monitor left.
#   BERTH_BUILD=/tmp/build-x tests/integration/networks/run.sh
#   BERTH_TEST_FILTER='^networks/ports' tests/integration/networks/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lib-net.sh"

suite_begin networks
eng_setup
net_make_web_image
IMG=${ENG_IMG:-none}

# crun ARGS: run -d ARGS; CID is the full id.
crun() {
	b_out run -d "$@"
	[ "$RC" -eq 0 ] || fail "run -d $* exited $RC: $ERR"
	CID=$(tail -1 <<<"$OUT")
	[[ $CID =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$OUT', not a full id"
	echo "$CID" >>"$T/.cids"
	net_track "$CID"
}
# web NAME ARGS: an httpd container NAME (ARGS before the image).
web() {
	local name=$1
	shift
	crun --name "$name" "$@" "$WEB" "${HTTPD[@]}"
}
# cwget ARGS URL: a throwaway client container fetching URL; RC/OUT/ERR.
# Under sh, not as PID 1: busybox timeout kills wget from inside the
# container, and PID 1 ignores signals it has no handler for.
cwget() {
	local url=${*: -1}
	b_out run --rm "${@:1:$#-1}" "$IMG" sh -c 'timeout 3 wget -q -O- "$1"; exit $?' sh "$url"
}

for fam in bridge ports modes lifecycle; do
	. "$here/$fam.sh"
done

eng_teardown
suite_end
