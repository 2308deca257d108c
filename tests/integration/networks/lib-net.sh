# lib-net.sh - helpers the networks, volumes and docker-cli-net families
# share, on top of lib.sh.
#
# A berthd of a test makes host-wide objects that lib.sh's eng_cleanup
# does not know: bridges "br-<12 hex>" of its networks, elements in the
# nftables tables "ip berth" / "ip berth-filter", loop devices of sized
# volumes, and (made by the test itself) a second-host namespace with a
# veth and host-side listeners. This file counts them before and after a
# test (net_snapshot / net_leak_check) and removes them by name or id on
# every exit (net_cleanup, the EXIT trap net_begin installs). The default
# bridge "berth0" and the two tables themselves are berth's, shared by
# every berthd on the host (as docker0 is Docker's): they are left in place,
# their elements are what is counted.
#
# Sourced after lib.sh. Nothing is killed by name: listeners by the pid the
# test recorded, containers through lib.sh's sweep.

# The host's own address on its default route: what "another host" or a
# container reaches the host by.
HOSTIP=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1) }')

# net_make_web_image: from the family's busybox image (lib.sh), an image
# with /www/index.html ("berth-web"), /data/seed.txt ("seed"),
# ExposedPorts 80/tcp and VOLUME /data, and Debian's merged-usr links
# (/lib -> usr/lib, /lib64 -> usr/lib64) so that the host's /usr
# bind-mounted read-only at /usr runs (python3 for a UDP server: busybox
# nc has no UDP). Pushed as test/web:1. Sets WEB.
net_make_web_image() {
	local oci=$SUITE_TMP/oci w=$SUITE_TMP/mkweb
	WEB=
	[ -z "$ENG_SETUP_ERR" ] || return 0
	umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		mkdir -p "$w/b/rootfs/www" "$w/b/rootfs/data/sub" &&
		echo berth-web >"$w/b/rootfs/www/index.html" &&
		echo seed >"$w/b/rootfs/data/seed.txt" &&
		echo deep >"$w/b/rootfs/data/sub/deep.txt" &&
		ln -s usr/lib "$w/b/rootfs/lib" && ln -s usr/lib64 "$w/b/rootfs/lib64" &&
		umoci repack --image "$oci:web" "$w/b" >/dev/null &&
		umoci config --image "$oci:web" --config.exposedports 80/tcp --config.volume /data &&
		skopeo copy -q --dest-tls-verify=false "oci:$oci:web" "docker://$ENG_REG/test/web:1" >/dev/null ||
		ENG_SETUP_ERR="could not build the web image"
	rm -rf "$w"
	[ -z "$ENG_SETUP_ERR" ] && WEB=$ENG_REG/test/web:1
	return 0
}

# Debian's busybox 1.35 wget segfaults when given -T: clients bound their
# wait with busybox `timeout` instead.

# ---------------------------------------------------------------- counting


# The berth-named links of the host: bridges of networks and host-side
# veths (network.h names them), one per line, sorted.
net_links() { ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^(vb|br-)' | sort || true; }
# Every element of berth's two tables, one JSON line each.
net_elems() { net_elems_all | sort || true; }
# Namespace files of this test's berthd.
net_netns() { ls -A "$T/run/netns" 2>/dev/null | sort || true; }
# Loop devices backed by a file under this test's dir.
net_loops() { losetup -a 2>/dev/null | grep -F "$T/" || true; }

# net_snapshot: take stock of the berth-named links and nft elements.
net_snapshot() {
	net_links >"$T/.net.links"
	net_elems >"$T/.net.elems"
}
# Other berthds may run on the host at the same time (they share berth0 and
# the two tables), so a test counts only what is provably its own: the
# bridges of the networks it made, the host-side veths of its containers
# (net_track), and nft elements naming those bridges, its subnets or its
# containers' addresses.

# net_track CID: remember the container's addresses and host-side veths.
net_track() {
	local idx
	b inspect "$1" 2>/dev/null | jq -r '.[0].NetworkSettings.Networks[]?.IPAddress // empty' >>"$T/.ips"
	for idx in $(b exec "$1" sh -c 'cat /sys/class/net/eth*/iflink' 2>/dev/null); do
		ip -o link show 2>/dev/null | awk -F': ' -v i="$idx" '$1 == i { sub(/@.*/, "", $2); print $2 }'
	done | grep '^vb' >>"$T/.cveths"
	return 0
}
# net_mine: the names, subnet prefixes and addresses of this test, one
# fixed string per line, as they appear in `nft -j` output.
net_mine() {
	local id sub a
	for id in $(cat "$T/.netids" 2>/dev/null); do [[ $id =~ ^[0-9a-f]{12} ]] && echo "\"br-${id:0:12}\""; done
	for id in $(cat "$T/.nets" 2>/dev/null); do
		b network inspect "$id" 2>/dev/null | jq -r '.[0].IPAM.Config[]?.Subnet' >>"$T/.subnets"
	done
	for sub in $(sort -u "$T/.subnets" 2>/dev/null); do echo "\"${sub%.*/*}."; done
	for a in $(sort -u "$T/.ips" 2>/dev/null); do echo "\"$a\""; done
}
# net_my_links: the test's bridges and container veths that still exist.
net_my_links() {
	local id dev
	for id in $(cat "$T/.netids" 2>/dev/null); do
		[[ $id =~ ^[0-9a-f]{12} ]] && ip link show "br-${id:0:12}" >/dev/null 2>&1 && echo "br-${id:0:12}"
	done
	for dev in $(sort -u "$T/.cveths" 2>/dev/null); do ip link show "$dev" >/dev/null 2>&1 && echo "$dev"; done
	return 0
}
# net_my_elems: nft elements added since net_snapshot that are the test's.
net_my_elems() {
	local pat=$T/.mine
	net_mine | grep . >"$pat" || return 0
	net_elems | comm -13 "$T/.net.elems" - | grep -F -f "$pat" || true
}
# net_leak_check: after the test removed what it made: none of its links
# or nft elements, no netns file, no loop device, and lib.sh's checks
# (cgroups, mounts naming the test dir, monitors).
net_leak_check() {
	local n l e
	for n in $(seq 30); do
		l=$(net_my_links)
		e=$(net_my_elems)
		[ -z "$l$e$(net_netns)" ] && break
		sleep 0.1
	done
	[ -z "$l" ] || fail "links left behind: $(echo $l)"
	[ -z "$e" ] || fail "nft elements left behind: $(echo $e)"
	[ -z "$(net_netns)" ] || fail "netns files left behind: $(net_netns)"
	[ -z "$(net_loops)" ] || fail "loop devices left behind: $(net_loops)"
	eng_leak_check
}

# ---------------------------------------------------------------- making

# net_create NAME ARGS...: berth network create, remembered for cleanup.
net_create() {
	local name=$1
	shift
	echo "$name" >>"$T/.nets"
	b_out network create "$@" "$name"
	[ "$RC" -eq 0 ] || fail "network create $* $name exited $RC: $ERR"
	echo "$OUT" >>"$T/.netids"
	echo "$OUT" >>"$SUITE_TMP/netids"
	b network inspect "$name" 2>/dev/null | jq -r '.[0].IPAM.Config[]?.Subnet' | tee -a "$T/.subnets" >>"$SUITE_TMP/subnets"
}
# vol_track NAME: remember a volume for cleanup.
vol_track() { echo "$1" >>"$T/.vols"; }
# net_subnet N: a /24 of 10.(200 + N % 50).(pid % 250).0 for this test;
# the pid part keeps two suites on one host apart.
net_subnet() { echo "10.$((200 + $1 % 50)).$(($$ % 250)).0/24"; }
net_prefix() { local s; s=$(net_subnet "$1"); echo "${s%.0/24}"; }

# listen_host IP PORT: a python HTTP server on the host serving $T/hostwww
# ("host-side"); its pid goes to $T/.pids.
listen_host() {
	mkdir -p "$T/hostwww"
	echo host-side >"$T/hostwww/index.html"
	python3 -m http.server --bind "$1" --directory "$T/hostwww" "$2" >/dev/null 2>&1 </dev/null &
	echo $! >>"$T/.pids"
	eng_wait_for 10 curl -sf "http://$1:$2/" || fail "host listener on $1:$2 did not start"
}
stop_listeners() {
	local p
	for p in $(cat "$T/.pids" 2>/dev/null); do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	: >"$T/.pids"
}

# second_host: a network namespace with a veth to the host, as another
# machine on a link: host side 10.(250).(pid).1/30, far side .2. Sets
# NS, HOST_SIDE, FAR_SIDE. Names are unique to this test and removed by
# net_cleanup (lib.sh's cleanup also deletes the namespaces in .netns).
second_host() {
	local tag=$((SUITE_COUNTER % 100))$(($$ % 10000))
	NS=btns$tag
	local hv=btva$tag pv=btvb$tag
	local net=10.250.$(($$ % 250)).$(((SUITE_COUNTER % 60) * 4))
	HOST_SIDE=${net%.*}.$((${net##*.} + 1))
	FAR_SIDE=${net%.*}.$((${net##*.} + 2))
	echo "$NS" >>"$T/.netns"
	echo "$hv" >>"$T/.veths"
	ip netns add "$NS" || fail "ip netns add $NS"
	ip link add "$hv" type veth peer name "$pv" || fail "ip link add $hv"
	ip link set "$pv" netns "$NS" &&
		ip addr add "$HOST_SIDE/30" dev "$hv" && ip link set "$hv" up &&
		ip -n "$NS" addr add "$FAR_SIDE/30" dev "$pv" && ip -n "$NS" link set "$pv" up &&
		ip -n "$NS" link set lo up && ip -n "$NS" route add default via "$HOST_SIDE" ||
		fail "could not set up the second host"
	NS_DEV=$pv
}

# whoami_server NS PORT: in namespace NS, an HTTP server on PORT that
# answers with the client's address as it sees it (to tell NAT apart).
whoami_server() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
while True:
    c, a = s.accept()
    c.recv(4096)
    c.sendall(("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + a[0] + "\n").encode())
    c.close()
' "$2" >/dev/null 2>&1 </dev/null &
	echo $! >>"$T/.pids"
	eng_wait_for 10 ip netns exec "$1" curl -sf "http://127.0.0.1:$2/" || fail "whoami server in $1 did not start"
}

# ---------------------------------------------------------------- begin/end

# net_begin VERB...: skip unless berth has the verbs, start berthd, pull
# the images, take stock, and make net_cleanup the EXIT trap.
net_begin() {
	eng_need run rm ps inspect "$@"
	net_snapshot
	eng_start_berthd
	trap net_cleanup EXIT
	eng_pull
	if [ -n "${WEB:-}" ]; then
		b pull -q "$WEB" >"$T/pull.out" 2>&1 || fail "pull $WEB: $(cat "$T/pull.out")"
	fi
}
# net_finish: remove every container, network and volume the test made
# through berthd (so its own cleanup paths are what is checked), then
# nothing may be left.
net_finish() {
	local ids n
	stop_listeners
	ids=$(b ps -a -q)
	[ -z "$ids" ] || b rm -f -v $ids >/dev/null || fail "rm -f of the test's containers"
	assert_eq "" "$(b ps -a -q)" "containers after rm -f"
	for n in $(sort -u "$T/.nets" 2>/dev/null); do
		b_out network rm "$n"
		[ "$RC" -eq 0 ] || [[ $ERR == *"not found"* ]] || fail "network rm $n: $ERR"
	done
	for n in $(sort -u "$T/.vols" 2>/dev/null); do
		b_out volume rm "$n"
		[ "$RC" -eq 0 ] || [[ $ERR == *"no such volume"* ]] || fail "volume rm $n: $ERR"
	done
	net_leak_check
}
# net_cleanup: the EXIT trap: whatever a failed test left, through
# berthd first, then by name and pid.
net_cleanup() {
	local ids n p dev
	stop_listeners
	if [ -n "${DPID:-}" ] && pid_alive "$DPID"; then
		ids=$(eng_ids)
		[ -n "$ids" ] && timeout 20 "$BERTH" -H "unix://$SOCK" rm -f -v $ids >/dev/null 2>&1
		for n in $(sort -u "$T/.nets" 2>/dev/null); do
			timeout 10 "$BERTH" -H "unix://$SOCK" network rm "$n" >/dev/null 2>&1
		done
		for n in $(sort -u "$T/.vols" 2>/dev/null); do
			timeout 10 "$BERTH" -H "unix://$SOCK" volume rm -f "$n" >/dev/null 2>&1
		done
	fi
	eng_cleanup
	for n in $(cat "$T/.netids" 2>/dev/null); do
		[[ $n =~ ^[0-9a-f]{12} ]] && ip link del "br-${n:0:12}" 2>/dev/null
	done
	for dev in $(cat "$T/.veths" 2>/dev/null); do ip link del "$dev" 2>/dev/null; done
	for n in $(cat "$T/.netns" 2>/dev/null); do ip netns del "$n" 2>/dev/null; done
	for dev in $(net_loops | cut -d: -f1); do losetup -d "$dev" 2>/dev/null; done
	return 0
}

# net_run_test NAME FUNC: run_test, then net_sweep: lib.sh stops a test
# that times out with SIGKILL half a second after SIGTERM, which can cut
# net_cleanup short.
net_run_test() {
	run_test "$@"
	net_sweep
}
# net_sweep: bridges of networks the family made that still exist, and
# nft elements naming them or their subnets, by name (never anyone
# else's: only ids and subnets the family recorded).
net_sweep() {
	local id br sub t name elem
	for id in $(sort -u "$SUITE_TMP/netids" 2>/dev/null); do
		[[ $id =~ ^[0-9a-f]{12} ]] || continue
		br=br-${id:0:12}
		ip link show "$br" >/dev/null 2>&1 && ip link del "$br" 2>/dev/null
		echo "$br"
	done >"$SUITE_TMP/sweep.names"
	for sub in $(sort -u "$SUITE_TMP/subnets" 2>/dev/null); do
		echo "\"${sub%/*}\""
		echo "\"${sub%.*/*}."
	done >>"$SUITE_TMP/sweep.names"
	[ -s "$SUITE_TMP/sweep.names" ] || return 0
	net_elems_all | grep -F -f "$SUITE_TMP/sweep.names" | while IFS= read -r elem; do
		jq -c '{nftables: [{delete: {element: {family: "ip", table: .[0], name: .[1], elem: [.[2]]}}}]}' <<<"$elem" |
			nft -j -f - 2>/dev/null
	done
	return 0
}
net_elems_all() {
	local t
	for t in berth berth-filter; do
		nft -j list table ip "$t" 2>/dev/null |
			jq -c '.nftables[] | (.set // .map // empty) | . as $s | (.elem // [])[] | [$s.table, $s.name, .]'
	done
}

# ---------------------------------------------------------------- queries

# cid_of NAME: the full id.
cid_of() { insp "$1" '{{.Id}}'; }
# ip_on C NET: the container's address on NET ("bridge" for the default).
ip_on() { b inspect "$1" | jq -r --arg n "$2" '.[0].NetworkSettings.Networks[$n].IPAddress // empty'; }
# in_c C CMD...: exec in a running container; RC, OUT, ERR.
in_c() { b_out exec "$1" "${@:2}"; }
# wait_http URL: poll with curl until it answers.
wait_http() { eng_wait_for "${2:-10}" curl -sf --max-time 2 "$1"; }
# httpd_cmd: the server the tests run (busybox httpd in the foreground).
HTTPD=(httpd -f -p 80 -h /www)
