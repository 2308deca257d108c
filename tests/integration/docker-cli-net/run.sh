#!/bin/bash
# The docker-cli-net family: networks, published ports and volumes through
# the real `docker` CLI (DOCKER_HOST=unix://…) against berthd: network
# create/ls/inspect/connect/disconnect/rm, names resolved between
# containers, -p served to curl on the host, docker port, volume
# create/ls/inspect/rm and data that outlives its container. Each test has
# its own berthd and ends with the networks family's leak check (no berth
# link, nft element, netns file, loop device, cgroup, mount or monitor).
#   BERTH_BUILD=/tmp/build-x tests/integration/docker-cli-net/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../networks/lib-net.sh"

suite_begin docker-cli-net
eng_setup
net_make_web_image
IMG=${ENG_IMG:-none}

begin() {
	eng_need
	eng_need_docker
	net_snapshot
	eng_start_berthd
	trap net_cleanup EXIT
	d pull -q "$IMG" >"$T/pull.out" 2>&1 || fail "docker pull: $(cat "$T/pull.out")"
	d pull -q "$WEB" >"$T/pull.out" 2>&1 || fail "docker pull: $(cat "$T/pull.out")"
}
# finish: remove through docker what the test made, then the leak check.
finish() {
	local ids n
	stop_listeners
	ids=$(d ps -a -q)
	[ -z "$ids" ] || d rm -f -v $ids >/dev/null || fail "docker rm -f of the test's containers"
	assert_eq "" "$(d ps -a -q)" "containers after rm -f"
	for n in $(sort -u "$T/.nets" 2>/dev/null); do
		d_out network rm "$n"
		[ "$RC" -eq 0 ] || [[ $ERR == *"not found"* ]] || fail "docker network rm $n: $ERR"
	done
	for n in $(sort -u "$T/.vols" 2>/dev/null); do
		d_out volume rm "$n"
		[ "$RC" -eq 0 ] || [[ $ERR == *"no such volume"* ]] || fail "docker volume rm $n: $ERR"
	done
	net_leak_check
}
drun() {
	d_out run -d "$@"
	[ "$RC" -eq 0 ] || fail "docker run -d $* exited $RC: $ERR"
	CID=$(tail -1 <<<"$OUT")
	[[ $CID =~ ^[0-9a-f]{64}$ ]] || fail "docker run -d printed '$OUT'"
	echo "$CID" >>"$T/.cids"
	net_track "$CID"
}
dnet() {
	local name=$1
	shift
	echo "$name" >>"$T/.nets"
	d_out network create "$@" "$name"
	[ "$RC" -eq 0 ] || fail "docker network create $* $name exited $RC: $ERR"
	echo "$OUT" >>"$T/.netids"
	echo "$OUT" >>"$SUITE_TMP/netids"
	d network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$name" 2>/dev/null | tee -a "$T/.subnets" >>"$SUITE_TMP/subnets"
}

test_docker_network() {
	begin
	local n=btd-net-$$ sub gw
	sub=$(net_subnet 11)
	gw=$(net_prefix 11).1
	dnet "$n" --subnet "$sub" --gateway "$gw" --label via=docker
	d_out network ls
	assert_contains "$OUT" "$n" "docker network ls"
	assert_contains "$OUT" "bridge" "docker network ls"
	d_out network ls --filter "name=$n" -q
	assert_eq 1 "$(grep -c . <<<"$OUT")" "docker network ls --filter name=$n ($ERR)"
	d_out network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.via}}' "$n"
	assert_eq "$sub $gw docker" "$OUT" "docker network inspect ($ERR)"
	drun --name srv --network "$n" --network-alias web "$WEB" "${HTTPD[@]}"
	local ip
	ip=$(DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$T/docker "$DOCKER" inspect -f "{{(index .NetworkSettings.Networks \"$n\").IPAddress}}" srv)
	[[ $ip == "$(net_prefix 11)."* ]] || fail "docker inspect address of srv: '$ip'"
	d_out network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' "$n"
	assert_eq "srv $ip/24" "$OUT" "docker network inspect Containers ($ERR)"
	d_out run --rm --network "$n" "$IMG" sh -c 'timeout 3 wget -q -O- http://srv/; timeout 3 wget -q -O- http://web/; exit $?'
	assert_eq "0 berth-web berth-web" "$RC $(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "names through docker run ($ERR)"
	# connect / disconnect a running container.
	drun --name cli "$IMG" sleep 300
	d_out network connect --alias clialias "$n" cli
	assert_eq 0 "$RC" "docker network connect ($ERR)"
	d_out exec srv nslookup clialias
	assert_eq 0 "$RC" "nslookup of the connected alias ($OUT $ERR)"
	d_out exec cli timeout 3 wget -q -O- http://srv/
	assert_eq "0 berth-web" "$RC $OUT" "connected container -> srv ($ERR)"
	d_out network disconnect "$n" cli
	assert_eq 0 "$RC" "docker network disconnect ($ERR)"
	d_out exec cli timeout 2 wget -q -O- "http://$ip/"
	[ "$RC" -ne 0 ] || fail "disconnected container still reaches srv"
	d_out network rm "$n"
	[ "$RC" -ne 0 ] || fail "docker network rm of a network in use succeeded"
	assert_contains "$ERR" "has active endpoints" "docker network rm in use"
	d_out rm -f srv
	d_out network rm "$n"
	assert_eq "0 $n" "$RC $OUT" "docker network rm ($ERR)"
	d_out network inspect "$n"
	[ "$RC" -ne 0 ] || fail "docker network inspect of a removed network succeeded"
	finish
}
net_run_test docker-cli-net/network test_docker_network

test_docker_ports() {
	begin
	local p
	p=$(eng_free_port)
	drun --name w1 -p "$p:80" "$WEB" "${HTTPD[@]}"
	wait_http "http://127.0.0.1:$p/" || fail "docker run -p $p:80: 127.0.0.1:$p does not answer"
	assert_eq berth-web "$(curl -s --max-time 3 "http://127.0.0.1:$p/")" "curl 127.0.0.1:$p"
	if [ -n "$HOSTIP" ]; then
		assert_eq berth-web "$(curl -s --max-time 3 "http://$HOSTIP:$p/")" "curl $HOSTIP:$p"
	fi
	d_out port w1
	assert_contains "$OUT" "80/tcp -> 0.0.0.0:$p" "docker port ($ERR)"
	d_out ps --format '{{.Ports}}'
	assert_contains "$OUT" "0.0.0.0:$p->80/tcp" "docker ps Ports ($ERR)"
	drun --name w2 -P "$WEB" "${HTTPD[@]}"
	d_out port w2 80/tcp
	local hp=${OUT##*:}
	[[ $hp =~ ^[0-9]+$ ]] || fail "docker port w2 80/tcp after -P: '$OUT' ($ERR)"
	wait_http "http://127.0.0.1:$hp/" || fail "docker run -P: 127.0.0.1:$hp does not answer"
	d_out run -d -p "$p:80" "$WEB" "${HTTPD[@]}"
	[ "$RC" -ne 0 ] || fail "docker run -p $p:80 twice was accepted"
	assert_contains "$ERR" "port is already allocated" "docker run with a port in use"
	finish
}
net_run_test docker-cli-net/ports test_docker_ports

test_docker_volume() {
	begin
	local v=btd-vol-$$
	vol_track "$v"
	d_out volume create --label via=docker "$v"
	assert_eq "0 $v" "$RC $OUT" "docker volume create ($ERR)"
	d_out volume ls -q
	grep -qxF "$v" <<<"$OUT" || fail "docker volume ls -q: $OUT $ERR"
	d_out volume inspect -f '{{.Name}} {{.Driver}} {{.Labels.via}}' "$v"
	assert_eq "$v local docker" "$OUT" "docker volume inspect ($ERR)"
	d_out run --rm -v "$v:/data" "$IMG" sh -c 'echo persisted > /data/f'
	assert_eq 0 "$RC" "docker run -v write ($ERR)"
	d_out run --rm -v "$v:/data:ro" "$IMG" cat /data/f
	assert_eq "0 persisted" "$RC $OUT" "data after its container ($ERR)"
	drun --name holder -v "$v:/data" "$IMG" sleep 300
	d_out volume rm "$v"
	[ "$RC" -ne 0 ] || fail "docker volume rm of a volume in use succeeded"
	assert_contains "$ERR" "volume is in use" "docker volume rm in use"
	d_out rm -f holder
	# A sized volume through docker's --opt.
	vol_track "$v-sized"
	d_out volume create --opt size=16M "$v-sized"
	assert_eq 0 "$RC" "docker volume create --opt size=16M ($ERR)"
	d_out run --rm -v "$v-sized:/data" "$IMG" sh -c 'dd if=/dev/zero of=/data/big bs=1M count=32'
	[ "$RC" -ne 0 ] || fail "32 MiB into a 16M volume succeeded"
	d_out volume rm "$v" "$v-sized"
	assert_eq 0 "$RC" "docker volume rm ($ERR)"
	d_out volume ls -q
	assert_not_contains "$OUT" "$v" "docker volume ls after rm"
	finish
}
net_run_test docker-cli-net/volume test_docker_volume

# What issue 5's last round closed, as the docker CLI shows it: --rm
# takes the anonymous volumes along (named ones stay), -p with --network
# host warns, a host-port range publishes each port, and a network with
# only a stopped container can be removed.
test_docker_rm_and_ranges() {
	begin
	local v=btd-rmv-$$ n=btd-rms-$$ p q before
	before=$(d volume ls -q | sort)
	vol_track "$v"
	d_out run --rm -v /data -v "$v:/named" "$IMG" sh -c 'echo n > /named/f'
	assert_eq 0 "$RC" "docker run --rm -v /data -v $v:/named ($ERR)"
	assert_eq "$(printf '%s\n' $before "$v" | sort | grep .)" "$(d volume ls -q | sort)" "docker volume ls after run --rm"
	d_out run --rm --network host -p 8080:80 "$IMG" true
	assert_eq 0 "$RC" "docker run --network host -p ($ERR)"
	assert_contains "$ERR" "Published ports are discarded when using host network mode" "docker run --network host -p"
	p=$(eng_free_port)
	q=$((p + 1))
	if ! ss -ltn | grep -q ":$q "; then
		drun --name r1 -p "$p-$q:80-81" "$WEB" sh -c 'httpd -p 81 -h /www; exec httpd -f -p 80 -h /www'
		wait_http "http://127.0.0.1:$q/" || fail "docker run -p $p-$q:80-81: 127.0.0.1:$q does not answer"
		d_out port r1
		assert_contains "$OUT" "81/tcp -> 0.0.0.0:$q" "docker port of a range ($ERR)"
		d_out ps --format '{{.Ports}}'
		# The CLI groups a range only where host and container ports are equal.
		assert_contains "$OUT" "0.0.0.0:$p->80/tcp, 0.0.0.0:$q->81/tcp" "docker ps Ports of a range ($ERR)"
	fi
	dnet "$n" --subnet "$(net_subnet 17)"
	d_out run --name s1 --network "$n" "$IMG" true
	assert_eq 0 "$RC" "docker run on $n ($ERR)"
	echo "$(d inspect -f '{{.Id}}' s1)" >>"$T/.cids"
	d_out network rm "$n"
	assert_eq "0 $n" "$RC $OUT" "docker network rm with only a stopped container ($ERR)"
	d_out start s1
	[ "$RC" -ne 0 ] || fail "docker start after its network was removed succeeded"
	assert_contains "$ERR" "network $n not found" "docker start after network rm"
	finish
}
net_run_test docker-cli-net/rm-and-ranges test_docker_rm_and_ranges

eng_teardown
suite_end
