# bridge.sh - networks family: the default bridge, user-defined networks
# (create/ls/inspect/rm/prune), DNS by name and alias, isolation,
# --internal, fixed addresses and IPAM across a berthd restart, connect and
# disconnect. Sourced by run.sh.

test_default_bridge() {
	net_begin
	web w1
	local ip
	ip=$(ip_on w1 bridge)
	[[ $ip == 172.17.* ]] || fail "default bridge address '$ip' not in 172.17.0.0/16"
	assert_eq "$ip" "$(insp w1 '{{.NetworkSettings.IPAddress}}')" "NetworkSettings.IPAddress"
	assert_eq 172.17.0.1 "$(insp w1 '{{.NetworkSettings.Gateway}}')" "NetworkSettings.Gateway"
	in_c w1 ip -4 -o addr show eth0
	assert_contains "$OUT" "inet $ip/16" "eth0 inside the container ($ERR)"
	in_c w1 ip route
	assert_contains "$OUT" "default via 172.17.0.1" "default route inside ($ERR)"
	ip link show berth0 >/dev/null 2>&1 || fail "no bridge berth0 on the host"
	# The host reaches the container's address directly.
	wait_http "http://$ip/" || fail "host cannot reach http://$ip/"
	assert_eq berth-web "$(curl -s --max-time 3 "http://$ip/")" "host -> container"
	# The container reaches a listener on the host's own address (out
	# through the bridge and the host's routing).
	[ -n "$HOSTIP" ] || skip "the host has no default route"
	local port
	port=$(eng_free_port)
	listen_host "$HOSTIP" "$port"
	cwget "http://$HOSTIP:$port/"
	assert_eq "0 host-side" "$RC $OUT" "container -> host $HOSTIP:$port ($ERR)"
	# NAT out: a machine beyond the host (a namespace behind a veth) sees
	# the host's address, not the container's.
	second_host
	local wp
	wp=$(eng_free_port)
	whoami_server "$NS" "$wp"
	cwget "http://$FAR_SIDE:$wp/"
	assert_eq "0 $HOST_SIDE" "$RC $OUT" "source address another host sees from a container ($ERR)"
	net_finish
}
net_run_test networks/default-bridge test_default_bridge

test_network_crud() {
	net_begin network
	local n=bt-net-$$ sub gw
	sub=$(net_subnet 1)
	gw=$(net_prefix 1).254
	net_create "$n" --subnet "$sub" --gateway "$gw" --label purpose=test
	local id=$OUT
	[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "network create printed '$id', not a full id"
	ip link show "br-${id:0:12}" >/dev/null 2>&1 || fail "no bridge br-${id:0:12} for the network"
	b_ok network ls
	assert_contains "$OUT" "$n" "network ls"
	assert_contains "$OUT" "bridge" "network ls"
	b_ok network inspect "$n"
	assert_eq "$sub $gw" "$(jq -r '.[0].IPAM.Config[0] | "\(.Subnet) \(.Gateway)"' <<<"$OUT")" "inspect IPAM.Config"
	assert_eq "bridge local test $id" "$(jq -r '.[0] | "\(.Driver) \(.Scope) \(.Labels.purpose) \(.Id)"' <<<"$OUT")" "inspect Driver/Scope/Labels/Id"
	b_out network create "$n"
	[ "$RC" -ne 0 ] || fail "a second network '$n' was created"
	assert_contains "$ERR" "network with name $n already exists" "duplicate name"
	web w1 --network "$n"
	local cid=$CID
	b_ok network inspect "$n"
	assert_eq w1 "$(jq -r --arg c "$cid" '.[0].Containers[$c].Name' <<<"$OUT")" "inspect Containers"
	[[ $(jq -r --arg c "$cid" '.[0].Containers[$c].IPv4Address' <<<"$OUT") == "$(net_prefix 1)."*/24 ]] ||
		fail "Containers IPv4Address: $OUT"
	b_out network rm "$n"
	[ "$RC" -ne 0 ] || fail "network rm of a network in use succeeded"
	assert_contains "$ERR" "has active endpoints" "network rm in use"
	b_ok rm -f w1
	b_ok network rm "$n"
	b_ok network ls
	assert_not_contains "$OUT" "$n" "network ls after rm"
	ip link show "br-${id:0:12}" >/dev/null 2>&1 && fail "bridge br-${id:0:12} still there after network rm"
	b_out network rm bridge
	[ "$RC" -ne 0 ] || fail "network rm bridge succeeded"
	assert_contains "$ERR" "pre-defined network" "network rm bridge"
	# prune: unused user networks go, the predefined ones stay.
	net_create "$n-p1"
	net_create "$n-p2" --internal
	b_ok network prune -f
	assert_contains "$OUT" "$n-p1" "network prune output"
	assert_contains "$OUT" "$n-p2" "network prune output"
	b_ok network ls
	assert_not_contains "$OUT" "$n-p" "network ls after prune"
	assert_contains "$OUT" bridge "network ls after prune"
	b_out network inspect "$n-p1"
	[ "$RC" -ne 0 ] || fail "inspect of a pruned network succeeded"
	net_finish
}
net_run_test networks/crud test_network_crud

test_dns_names() {
	net_begin network
	local n=bt-dns-$$
	net_create "$n" --subnet "$(net_subnet 2)"
	web srv --network "$n" --network-alias webalias
	local ip
	ip=$(ip_on srv "$n")
	[ -n "$ip" ] || fail "srv has no address on $n"
	b_out run --rm --network "$n" "$IMG" sh -c \
		'nslookup srv; echo ==; nslookup webalias; echo ==; timeout 3 wget -q -O- http://srv/; timeout 3 wget -q -O- http://webalias/; ping -c1 -W2 srv >/dev/null && echo ping-ok; exit $?'
	[ "$RC" -eq 0 ] || fail "client on $n exited $RC: $ERR $OUT"
	local by_name by_alias
	by_name=$(awk '/^==/ { exit } /^Address/ && $NF !~ /[:#]53$/ { print $NF }' <<<"$OUT")
	by_alias=$(awk '/^==/ { n++ } n == 1 && /^Address/ && $NF !~ /[:#]53$/ { print $NF }' <<<"$OUT")
	assert_eq "$ip" "$by_name" "nslookup srv ($OUT)"
	assert_eq "$ip" "$by_alias" "nslookup webalias ($OUT)"
	assert_eq 2 "$(grep -c '^berth-web$' <<<"$OUT")" "wget by name and by alias ($OUT)"
	assert_contains "$OUT" ping-ok "ping by name"
	# The short id resolves too, as in Docker.
	local short
	short=$(insp srv '{{.Id}}' | cut -c1-12)
	cwget --network "$n" "http://$short/"
	assert_eq "0 berth-web" "$RC $OUT" "wget by short id ($ERR)"
	# A container on the default bridge gets no names (Docker's rule).
	b_out run --rm "$IMG" nslookup srv
	[ "$RC" -ne 0 ] || [[ $OUT != *"$ip"* ]] || fail "srv resolved from the default bridge: $OUT"
	net_finish
}
net_run_test networks/dns-names test_dns_names

test_dns_forward() {
	# Names berth does not know go to the host's resolvers: the test needs
	# one that answers here.
	local name=deb.debian.org want
	want=$(getent ahostsv4 "$name" 2>/dev/null | awk 'NR == 1 { print $1 }')
	[ -n "$want" ] || skip "the host's resolver does not answer for $name"
	net_begin network
	local n=bt-fwd-$$
	net_create "$n" --subnet "$(net_subnet 3)"
	b_out run --rm --network "$n" "$IMG" nslookup "$name"
	assert_eq 0 "$RC" "nslookup $name in a container ($ERR $OUT)"
	assert_contains "$OUT" "$want" "forwarded answer for $name"
	net_finish
}
net_run_test networks/dns-forward test_dns_forward

test_isolation() {
	net_begin network
	local a=bt-isoa-$$ z=bt-isob-$$
	net_create "$a" --subnet "$(net_subnet 4)"
	net_create "$z" --subnet "$(net_subnet 5)"
	web wa --network "$a"
	local ipa
	ipa=$(ip_on wa "$a")
	wait_http "http://$ipa/" || fail "host cannot reach wa at $ipa"
	cwget --network "$a" "http://$ipa/"
	assert_eq "0 berth-web" "$RC $OUT" "same network ($ERR)"
	cwget --network "$z" "http://$ipa/"
	[ "$RC" -ne 0 ] || fail "a container on $z reached $a's container at $ipa: $OUT"
	cwget "http://$ipa/"
	[ "$RC" -ne 0 ] || fail "a container on the default bridge reached $a's container at $ipa: $OUT"
	web wd
	local ipd
	ipd=$(ip_on wd bridge)
	cwget --network "$a" "http://$ipd/"
	[ "$RC" -ne 0 ] || fail "a container on $a reached the default bridge's container at $ipd: $OUT"
	net_finish
}
net_run_test networks/isolation test_isolation

test_internal() {
	[ -n "$HOSTIP" ] || skip "the host has no default route"
	net_begin network
	local n=bt-int-$$ port
	net_create "$n" --internal --subnet "$(net_subnet 6)"
	assert_eq true "$(b network inspect "$n" | jq -r '.[0].Internal')" "inspect Internal"
	web wi --network "$n"
	local ip
	ip=$(ip_on wi "$n")
	cwget --network "$n" "http://$ip/"
	assert_eq "0 berth-web" "$RC $OUT" "within the internal network ($ERR)"
	port=$(eng_free_port)
	listen_host "$HOSTIP" "$port"
	cwget --network "$n" "http://$HOSTIP:$port/"
	[ "$RC" -ne 0 ] || fail "a container on an --internal network reached $HOSTIP:$port"
	b_out run --rm --network "$n" "$IMG" ip route
	assert_not_contains "$OUT" default "routes on an --internal network"
	net_finish
}
net_run_test networks/internal test_internal

test_fixed_ip() {
	net_begin network
	local n=bt-ip-$$ p
	p=$(net_prefix 7)
	net_create "$n" --subnet "$(net_subnet 7)"
	web f1 --network "$n" --ip "$p.50"
	assert_eq "$p.50" "$(ip_on f1 "$n")" "inspect address with --ip"
	in_c f1 ip -4 -o addr show eth0
	assert_contains "$OUT" "inet $p.50/24" "eth0 with --ip"
	local links_before br
	br=br-$(cut -c1-12 <"$T/.netids")
	links_before=$(ip -o link show master "$br" | wc -l)
	b_out run -d --name f2 --network "$n" --ip "$p.50" "$IMG" sleep 60
	[ "$RC" -ne 0 ] || fail "a second container got the same --ip $p.50"
	assert_contains "${ERR,,}" "address already in use" "second --ip $p.50"
	assert_eq "$links_before" "$(ip -o link show master "$br" | wc -l)" "links in $br after the refused --ip"
	assert_eq 1 "$(net_netns | grep -c .)" "netns files after the refused --ip"
	b_out run --rm --network "$n" --ip 10.99.99.99 "$IMG" true
	[ "$RC" -ne 0 ] || fail "--ip outside the subnet was accepted"
	b_out run --rm --ip 172.17.99.99 "$IMG" true
	[ "$RC" -ne 0 ] || fail "--ip on the default bridge was accepted"
	assert_contains "$ERR" "user specified IP address is supported on user defined networks only" "--ip on the default bridge"
	# A dynamic address skips the fixed one.
	crun --network "$n" "$IMG" sleep 60
	[ "$(ip_on "$CID" "$n")" != "$p.50" ] || fail "a dynamic address reused $p.50"
	net_finish
}
net_run_test networks/fixed-ip test_fixed_ip

test_ipam_restart() {
	net_begin network
	local n=bt-ipam-$$
	net_create "$n" --subnet "$(net_subnet 8)"
	crun --name c1 --network "$n" "$IMG" sleep 300
	crun --name d1 "$IMG" sleep 300
	local ip1 dip1
	ip1=$(ip_on c1 "$n")
	dip1=$(ip_on d1 bridge)
	eng_kill9_berthd
	eng_restart_berthd
	assert_eq "$ip1" "$(ip_on c1 "$n")" "c1's address after the restart"
	crun --name c2 --network "$n" "$IMG" sleep 300
	crun --name d2 "$IMG" sleep 300
	local ip2 dip2
	ip2=$(ip_on c2 "$n")
	dip2=$(ip_on d2 bridge)
	[ -n "$ip2" ] && [ "$ip2" != "$ip1" ] || fail "after a kill -9 of berthd c2 got '$ip2', c1 has '$ip1'"
	[ -n "$dip2" ] && [ "$dip2" != "$dip1" ] || fail "after a kill -9 of berthd d2 got '$dip2', d1 has '$dip1'"
	# And both still talk to each other.
	in_c c2 ping -c1 -W2 "$ip1"
	assert_eq 0 "$RC" "c2 -> c1 after the restart ($OUT $ERR)"
	net_finish
}
net_run_test networks/ipam-restart test_ipam_restart

test_connect_disconnect() {
	net_begin network
	local n=bt-conn-$$ p
	p=$(net_prefix 9)
	net_create "$n" --subnet "$(net_subnet 9)"
	web c1
	b_ok network connect --ip "$p.77" --alias calias "$n" c1
	in_c c1 ip -4 -o addr
	assert_contains "$OUT" "inet $p.77/24" "c1's new interface after connect"
	assert_eq "$p.77" "$(ip_on c1 "$n")" "inspect after connect"
	b_ok network inspect "$n"
	assert_eq c1 "$(jq -r '.[0].Containers[].Name' <<<"$OUT")" "network inspect Containers after connect"
	cwget --network "$n" http://calias/
	assert_eq "0 berth-web" "$RC $OUT" "by alias after connect ($ERR)"
	cwget --network "$n" http://c1/
	assert_eq "0 berth-web" "$RC $OUT" "by name after connect ($ERR)"
	b_out network connect "$n" c1
	[ "$RC" -ne 0 ] || fail "a second connect to the same network succeeded"
	b_ok network disconnect "$n" c1
	in_c c1 ip -4 -o addr
	assert_not_contains "$OUT" "$p.77" "c1 after disconnect"
	assert_eq "" "$(ip_on c1 "$n")" "inspect after disconnect"
	assert_eq "" "$(b network inspect "$n" | jq -r '.[0].Containers | keys[]')" "network inspect Containers after disconnect"
	# Still on the default bridge.
	[[ $(ip_on c1 bridge) == 172.17.* ]] || fail "c1 lost its default bridge address"
	net_finish
}
net_run_test networks/connect-disconnect test_connect_disconnect

# Docker counts only running containers as a network's active endpoints:
# a network whose containers are all stopped is removed (and pruned, and
# listed as dangling), and such a container's next start fails on the
# missing network. A running one still holds its network.
test_rm_stopped() {
	net_begin network
	local n=bt-rms-$$ id
	net_create "$n" --subnet "$(net_subnet 13)"
	crun --name s1 --network "$n" "$IMG" true
	eng_wait_state s1 exited 10
	b_ok network inspect "$n"
	assert_eq "{}" "$(jq -c '.[0].Containers' <<<"$OUT")" "Containers of a network with only a stopped container"
	id=$(jq -r '.[0].Id' <<<"$OUT")
	b_ok network rm "$n"
	b network ls -q --no-trunc | grep -qxF "$id" && fail "network ls still lists $n after rm"
	ip link show "br-${id:0:12}" >/dev/null 2>&1 && fail "bridge br-${id:0:12} still there after network rm"
	b_out start s1
	[ "$RC" -ne 0 ] || fail "start of a container whose network was removed succeeded"
	assert_contains "$ERR" "network $n not found" "start after network rm"
	b_ok rm s1
	# prune and dangling see it the same way.
	net_create "$n-p" --subnet "$(net_subnet 14)"
	crun --name s2 --network "$n-p" "$IMG" true
	eng_wait_state s2 exited 10
	b_ok network ls -q --filter dangling=true
	assert_contains "$OUT" "$(b network inspect -f '{{.Id}}' "$n-p" | cut -c1-12)" "dangling=true with only a stopped container"
	b_ok network prune -f
	assert_contains "$OUT" "$n-p" "network prune of a network with only a stopped container"
	b_ok rm s2
	# A running container holds it; once stopped, rm works.
	net_create "$n-r" --subnet "$(net_subnet 15)"
	web r1 --network "$n-r"
	b_out network rm "$n-r"
	[ "$RC" -ne 0 ] || fail "network rm with a running container succeeded"
	assert_contains "$ERR" "has active endpoints" "network rm with a running container"
	b_ok network prune -f
	assert_not_contains "$OUT" "$n-r" "network prune with a running container"
	b_ok stop -t 1 r1
	b_ok network rm "$n-r"
	net_finish
}
net_run_test networks/rm-stopped test_rm_stopped

# fake_dns IP: on the host, a DNS server on IP:53 that knows one name,
# anything.example: 10.77.77.77 for A, no record for other types, and
# NXDOMAIN for every other name; pid to .pids.
fake_dns() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
want = b"\x08anything\x07example\x00"
while True:
    q, a = s.recvfrom(512)
    if len(q) < 17:
        continue
    i = 12
    while i < len(q) and q[i] != 0:
        i += 1 + q[i]
    end = i + 5
    if end > len(q):
        continue
    known = q[12:i + 1].lower() == want
    a_query = known and q[end - 4:end - 2] == b"\x00\x01"
    rr = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 77, 77, 77])
    flags = b"\x81\x80" if known else b"\x81\x83"
    r = q[:2] + flags + q[4:6] + (b"\x00\x01" if a_query else b"\x00\x00") + b"\x00\x00\x00\x00" + q[12:end] + (rr if a_query else b"")
    s.sendto(r, a)
' "$1" >/dev/null 2>&1 </dev/null &
	echo $! >>"$T/.pids"
}

# --dns on a user network: resolv.conf keeps naming the embedded server
# (names of the network still resolve) with --dns-search/--dns-option,
# and the embedded server forwards the container's other queries to its
# --dns servers, as Docker's does.
test_dns_servers() {
	net_begin network
	local n=bt-dnsx-$$ gw ns=127.0.0.$((100 + $$ % 100)) resolv ip
	net_create "$n" --subnet "$(net_subnet 16)"
	gw=$(b network inspect "$n" | jq -r '.[0].IPAM.Config[0].Gateway // empty')
	[ -n "$gw" ] || gw=$(net_prefix 16).1
	fake_dns "$ns"
	eng_wait_for 5 sh -c "ss -lun | grep -qF '$ns:53'" || fail "fake DNS server on $ns:53 did not start"
	web srv --network "$n"
	ip=$(ip_on srv "$n")
	b_out run --rm --network "$n" --dns "$ns" --dns-search x.example --dns-option ndots:2 "$IMG" \
		sh -c 'cat /etc/resolv.conf; echo ==; nslookup anything.example'
	assert_eq 0 "$RC" "run --dns on a user network ($ERR $OUT)"
	resolv=$(awk '/^==/ { exit } { print }' <<<"$OUT")
	assert_eq "nameserver $gw" "$(grep '^nameserver' <<<"$resolv")" "nameservers in resolv.conf"
	grep -qx 'search x.example' <<<"$resolv" || fail "resolv.conf without --dns-search: $resolv"
	grep -qx 'options ndots:2' <<<"$resolv" || fail "resolv.conf without --dns-option: $resolv"
	assert_contains "$(awk '/^==/ { n++; next } n == 1' <<<"$OUT")" 10.77.77.77 "a name forwarded to --dns $ns"
	# busybox nslookup tries only the first search name: srv without one.
	b_out run --rm --network "$n" --dns "$ns" "$IMG" nslookup srv
	assert_eq 0 "$RC" "nslookup srv with --dns ($ERR $OUT)"
	assert_contains "$OUT" "$ip" "srv through the embedded server with --dns"
	# Another container without --dns is not sent there.
	b_out run --rm --network "$n" "$IMG" sh -c 'nslookup anything.example; true'
	assert_not_contains "$OUT" 10.77.77.77 "a container without --dns"
	net_finish
}
net_run_test networks/dns-servers test_dns_servers
