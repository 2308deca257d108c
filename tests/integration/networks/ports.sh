# ports.sh - networks family: published ports (-p, -P, berth port), what
# another host reaches, a port already allocated, and a port free again
# after its container stops or crashes. Sourced by run.sh.

# udp_ask HOST PORT: one datagram, the answer (1 s to come).
udp_ask() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
print(s.recv(512).decode())
' "$1" "$2" 2>/dev/null
}
# port_of C PORT: `berth port C PORT`, first line.
port_of() { b port "$1" "$2" 2>/dev/null | head -1; }

test_publish() {
	net_begin
	local p
	p=$(eng_free_port)
	web w1 -p "$p:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer"
	assert_eq berth-web "$(curl -s --max-time 3 "http://127.0.0.1:$p/")" "curl 127.0.0.1:$p"
	if [ -n "$HOSTIP" ]; then
		assert_eq berth-web "$(curl -s --max-time 3 "http://$HOSTIP:$p/")" "curl $HOSTIP:$p"
	fi
	assert_eq "0.0.0.0:$p" "$(port_of w1 80)" "berth port w1 80"
	b_ok port w1
	assert_contains "$OUT" "80/tcp -> 0.0.0.0:$p" "berth port w1"
	assert_eq "$p" "$(b inspect w1 | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')" "NetworkSettings.Ports"
	assert_eq "$p" "$(b inspect w1 | jq -r '.[0].HostConfig.PortBindings["80/tcp"][0].HostPort')" "HostConfig.PortBindings"
	b_ok ps
	assert_contains "$OUT" "0.0.0.0:$p->80/tcp" "ps PORTS"
	# Hairpin: another container reaches the published port through the
	# host's address.
	if [ -n "$HOSTIP" ]; then
		cwget "http://$HOSTIP:$p/"
		assert_eq "0 berth-web" "$RC $OUT" "container -> $HOSTIP:$p ($ERR)"
	fi
	# udp: busybox nc has no UDP; the host's python3 (its /usr mounted
	# read-only) answers "pong" to every datagram on 5353/udp.
	local up
	up=$(eng_free_port)
	crun --name u1 -p "$up:5353/udp" -v /usr:/usr:ro "$WEB" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(512)
    s.sendto(b"pong", a)
'
	local got n
	for n in 1 2 3 4 5; do
		got=$(udp_ask 127.0.0.1 "$up") && break
		sleep 0.3
	done
	assert_eq pong "$got" "udp through 127.0.0.1:$up"
	[ -z "$HOSTIP" ] || assert_eq pong "$(udp_ask "$HOSTIP" "$up")" "udp through $HOSTIP:$up"
	assert_eq "0.0.0.0:$up" "$(port_of u1 5353/udp)" "berth port u1 5353/udp"
	net_finish
}
net_run_test networks/publish test_publish

test_publish_all() {
	net_begin
	web w1 -P
	local hp
	hp=$(port_of w1 80)
	[[ $hp =~ ^0\.0\.0\.0:[0-9]+$ ]] || fail "berth port w1 80 after -P: '$hp'"
	hp=${hp#*:}
	wait_http "http://127.0.0.1:$hp/" || fail "-P port $hp does not answer"
	assert_eq berth-web "$(curl -s --max-time 3 "http://127.0.0.1:$hp/")" "curl -P port"
	# --expose adds ports -P publishes too.
	crun --name w2 -P --expose 8080 "$WEB" httpd -f -p 8080 -h /www
	local hp2 hp3
	hp2=$(port_of w2 8080)
	hp3=$(port_of w2 80)
	[[ $hp2 =~ ^0\.0\.0\.0:[0-9]+$ ]] || fail "berth port w2 8080: '$hp2'"
	[[ $hp3 =~ ^0\.0\.0\.0:[0-9]+$ ]] || fail "berth port w2 80 (image EXPOSE): '$hp3'"
	[ "${hp2#*:}" != "$hp" ] && [ "${hp3#*:}" != "$hp" ] && [ "$hp2" != "$hp3" ] ||
		fail "-P handed out one host port twice: $hp, $hp2, $hp3"
	wait_http "http://127.0.0.1:${hp2#*:}/" || fail "-P --expose 8080 port ${hp2#*:} does not answer"
	net_finish
}
net_run_test networks/publish-all test_publish_all

test_second_host() {
	[ -n "$HOSTIP" ] || skip "the host has no default route"
	net_begin
	second_host
	local p p2
	p=$(eng_free_port)
	p2=$(eng_free_port)
	[ "$p" != "$p2" ] || p2=$((p + 1))
	web wall -p "$p:80"
	web wlo -p "127.0.0.1:$p2:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer"
	wait_http "http://127.0.0.1:$p2/" || fail "127.0.0.1:$p2 does not answer on the host"
	assert_eq "127.0.0.1:$p2" "$(port_of wlo 80)" "berth port of a 127.0.0.1 binding"
	local got
	got=$(ip netns exec "$NS" curl -s --max-time 3 "http://$HOST_SIDE:$p/")
	assert_eq berth-web "$got" "another host -> $HOST_SIDE:$p (-p $p:80)"
	got=$(ip netns exec "$NS" curl -s --max-time 3 "http://$HOSTIP:$p/")
	assert_eq berth-web "$got" "another host -> $HOSTIP:$p (-p $p:80)"
	ip netns exec "$NS" curl -s --max-time 3 "http://$HOST_SIDE:$p2/" &&
		fail "another host reached $HOST_SIDE:$p2 of -p 127.0.0.1:$p2:80"
	ip netns exec "$NS" curl -s --max-time 3 "http://$HOSTIP:$p2/" &&
		fail "another host reached $HOSTIP:$p2 of -p 127.0.0.1:$p2:80"
	# The other host sends to 127.0.0.1 itself over the link (the
	# route_localnet hole, CVE-2020-8558): it must not get through.
	ip -n "$NS" route del local 127.0.0.0/8 dev lo table local 2>/dev/null
	ip -n "$NS" route del local 127.0.0.1 dev lo table local 2>/dev/null
	ip netns exec "$NS" sysctl -qw "net.ipv4.conf.$NS_DEV.route_localnet=1" "net.ipv4.conf.all.route_localnet=1"
	ip -n "$NS" route add 127.0.0.1/32 via "$HOST_SIDE" dev "$NS_DEV" 2>/dev/null ||
		skip "cannot route 127.0.0.1 out of the second host"
	ip netns exec "$NS" curl -s --max-time 3 "http://127.0.0.1:$p2/" &&
		fail "another host reached 127.0.0.1:$p2 by sending to 127.0.0.1 over the link"
	net_finish
}
net_run_test networks/second-host test_second_host

test_port_in_use() {
	net_begin
	local p before_elems before_links
	p=$(eng_free_port)
	web w1 -p "$p:80"
	before_elems=$(net_elems | grep -E "[^0-9.]$p[^0-9.]" || true)
	before_links=$(ip -o link show master berth0 | wc -l)
	b_out run -d --name w2 -p "$p:80" "$WEB" "${HTTPD[@]}"
	[ "$RC" -ne 0 ] || fail "a second -p $p:80 was accepted"
	assert_contains "$ERR" "Bind for 0.0.0.0:$p failed: port is already allocated" "second -p $p:80"
	assert_eq "$before_elems" "$(net_elems | grep -E "[^0-9.]$p[^0-9.]" || true)" "nft elements naming port $p after the refused port"
	# (berth0 is shared with other berthds on the host: a count.)
	assert_eq "$before_links" "$(ip -o link show master berth0 | wc -l)" "links in berth0 after the refused port"
	assert_eq 1 "$(net_netns | grep -c .)" "netns files after the refused port"
	assert_eq "running" "$(insp w1 '{{.State.Status}}')" "the first container"
	assert_eq berth-web "$(curl -s --max-time 3 "http://127.0.0.1:$p/")" "the first container still serves $p"
	net_finish
}
net_run_test networks/port-in-use test_port_in_use

test_port_reuse() {
	net_begin
	local p pid
	p=$(eng_free_port)
	# A container that crashes (its process killed) frees its port at once.
	web w1 -p "$p:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer"
	pid=$(insp w1 '{{.State.Pid}}')
	[ "$pid" -gt 1 ] || fail "no pid for w1"
	kill -9 "$pid"
	eng_wait_state w1 exited
	web w2 -p "$p:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer after the first container crashed"
	# And after a stop.
	b_ok stop -t 1 w2
	web w3 -p "$p:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer after stop"
	# A stopped container that starts again while its port is taken fails
	# and leaves nothing.
	b_out start w2
	[ "$RC" -ne 0 ] || fail "start of w2 succeeded while w3 holds $p"
	assert_contains "$ERR" "port is already allocated" "start of w2"
	assert_eq exited "$(insp w2 '{{.State.Status}}')" "w2 after the failed start"
	assert_eq 1 "$(net_netns | grep -c .)" "netns files after the failed start"
	b_ok rm -f w3
	b_ok start w2
	wait_http "http://127.0.0.1:$p/" || fail "w2 does not serve $p after a restart"
	net_finish
}
net_run_test networks/port-reuse test_port_reuse

# two_free_ports: a port P of the host with P+1 free too.
two_free_ports() {
	python3 -c '
import socket
for _ in range(200):
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    p = s.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("0.0.0.0", p + 1))
        print(p)
        break
    except OSError:
        pass
    finally:
        s.close()
        t.close()
'
}

# Host-port ranges: "-p A-B:80-81" publishes every port of the range;
# "-p A-B:80" is a pool, one of its ports per container (Docker's).
test_port_range() {
	net_begin
	local p q
	p=$(two_free_ports)
	[ -n "$p" ] || fail "no two consecutive free ports"
	q=$((p + 1))
	crun --name r1 -p "$p-$q:80-81" "$WEB" sh -c 'httpd -p 81 -h /www; exec httpd -f -p 80 -h /www'
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p (-> 80) does not answer"
	wait_http "http://127.0.0.1:$q/" || fail "127.0.0.1:$q (-> 81) does not answer"
	assert_eq "0.0.0.0:$p 0.0.0.0:$q" "$(port_of r1 80) $(port_of r1 81)" "berth port r1 80, 81"
	b_ok ps
	assert_contains "$OUT" "0.0.0.0:$p->80/tcp" "ps PORTS of a range"
	assert_contains "$OUT" "0.0.0.0:$q->81/tcp" "ps PORTS of a range"
	b_ok rm -f r1
	# A pool: the first container takes its first port, the next one the
	# second, a third finds it full.
	web r2 -p "$p-$q:80"
	web r3 -p "$p-$q:80"
	assert_eq "0.0.0.0:$p 0.0.0.0:$q" "$(port_of r2 80) $(port_of r3 80)" "ports picked from $p-$q"
	wait_http "http://127.0.0.1:$q/" || fail "127.0.0.1:$q (r3) does not answer"
	b_out run -d --name r4 -p "$p-$q:80" "$WEB" "${HTTPD[@]}"
	[ "$RC" -ne 0 ] || fail "a third container got a port of the full pool $p-$q"
	assert_contains "$ERR" "port is already allocated" "run with a full pool"
	# A port of the pool another host process listens on is skipped.
	b_ok rm -f r2 r3
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True); time.sleep(30)' "$p" >"$T/listener.out" &
	local lpid=$!
	for _ in $(seq 50); do grep -q listening "$T/listener.out" && break; sleep 0.1; done
	web r5 -p "$p-$q:80"
	kill "$lpid"
	wait "$lpid" 2>/dev/null
	assert_eq "0.0.0.0:$q" "$(port_of r5 80)" "port picked from $p-$q while a host process holds $p"
	net_finish
}
net_run_test networks/port-range test_port_range
