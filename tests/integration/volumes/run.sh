#!/bin/bash
# The volumes family: named, anonymous and image volumes, bind mounts,
# --mount, --volumes-from, refused names, thin-provisioned sized volumes
# and a volume in use, as a Docker user checks them, against a berthd per
# test (lib.sh) and images from a docker-registry on 127.0.0.1: busybox,
# and "web" with files at /data and VOLUME /data (networks/lib-net.sh).
# Each test ends with a leak check: no mount naming the test dir, no loop
# device backed by a file under it, no cgroup, netns or monitor left.
#   BERTH_BUILD=/tmp/build-x tests/integration/volumes/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../networks/lib-net.sh"

suite_begin volumes
eng_setup
net_make_web_image
IMG=${ENG_IMG:-none}

crun() {
	b_out run -d "$@"
	[ "$RC" -eq 0 ] || fail "run -d $* exited $RC: $ERR"
	CID=$(tail -1 <<<"$OUT")
	[[ $CID =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$OUT', not a full id"
	echo "$CID" >>"$T/.cids"
	net_track "$CID"
}
# vcreate NAME ARGS: volume create, remembered for cleanup.
vcreate() {
	local name=$1
	shift
	vol_track "$name"
	b_out volume create "$@" "$name"
	[ "$RC" -eq 0 ] || fail "volume create $* $name exited $RC: $ERR"
	assert_eq "$name" "$OUT" "volume create output"
}
vols() { b volume ls -q | sort; }
# vinsp NAME JQ: one value from volume inspect.
vinsp() { b volume inspect "$1" | jq -r ".[0]$2"; }
# runo ARGS: run --rm ARGS; RC/OUT/ERR.
runo() { b_out run --rm "$@"; }
# mounts_of C: "Type Name Source Destination RW" per mount, sorted.
mounts_of() { b inspect "$1" | jq -r '.[0].Mounts[] | "\(.Type) \(.Name // "-") \(.Source) \(.Destination) \(.RW)"' | sort; }
API=v1.44
api_code() { curl -s -o "$T/api.out" -w '%{http_code}' --unix-socket "$SOCK" "$@"; }

for fam in named mounts thin usage; do
	. "$here/$fam.sh"
done

eng_teardown
suite_end
