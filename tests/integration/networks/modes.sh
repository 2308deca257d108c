# modes.sh - networks family: --network none | host | container:NAME, and
# what a container finds in /etc: --dns, --add-host, --mac-address, its
# hostname in /etc/hosts. Sourced by run.sh.

test_mode_none() {
	net_begin
	b_out run --rm --network none "$IMG" sh -c 'ls /sys/class/net; echo ==; ip -4 -o addr'
	assert_eq 0 "$RC" "run --network none ($ERR)"
	assert_eq lo "$(sed '/^==/,$d' <<<"$OUT")" "interfaces with --network none"
	assert_not_contains "$OUT" 172.17. "addresses with --network none"
	crun --name n1 --network none "$IMG" sleep 60
	assert_eq none "$(insp n1 '{{.HostConfig.NetworkMode}}')" "HostConfig.NetworkMode"
	assert_eq "" "$(insp n1 '{{.NetworkSettings.IPAddress}}')" "IPAddress with --network none"
	net_finish
}
net_run_test networks/mode-none test_mode_none

test_mode_host() {
	net_begin
	b_out run --rm --network host "$IMG" sh -c 'ls /sys/class/net; hostname; ip -4 -o addr'
	assert_eq 0 "$RC" "run --network host ($ERR)"
	local eth
	eth=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }')
	[ -z "$eth" ] || grep -qx "$eth" <<<"$OUT" || fail "the host's $eth not seen with --network host: $OUT"
	[ -z "$HOSTIP" ] || assert_contains "$OUT" "inet $HOSTIP/" "the host's address with --network host"
	assert_contains "$OUT" "$(hostname)" "hostname with --network host"
	# -p means nothing there: Docker's create warning, printed by the CLI.
	b_out run --rm --network host -p 8080:80 "$IMG" true
	assert_eq 0 "$RC" "run --network host -p ($ERR)"
	assert_contains "$ERR" "WARNING: Published ports are discarded when using host network mode" "run --network host -p"
	local warns
	warns=$(curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' -X POST \
		-d "{\"Image\": \"$IMG\", \"HostConfig\": {\"NetworkMode\": \"host\", \"PortBindings\": {\"80/tcp\": [{\"HostPort\": \"8080\"}]}}}" \
		"http://x/v1.44/containers/create")
	[ -n "$(jq -r '.Id // empty' <<<"$warns")" ] && echo "$(jq -r .Id <<<"$warns")" >>"$T/.cids"
	assert_eq '["Published ports are discarded when using host network mode"]' "$(jq -c .Warnings <<<"$warns")" "create Warnings"
	b_ok rm "$(jq -r .Id <<<"$warns")"
	local port
	port=$(eng_free_port)
	# A server in a host-network container listens on the host itself.
	crun --name h1 --network host "$WEB" httpd -f -p "127.0.0.1:$port" -h /www
	wait_http "http://127.0.0.1:$port/" || fail "host-network httpd not reachable on 127.0.0.1:$port"
	assert_eq host "$(insp h1 '{{.HostConfig.NetworkMode}}')" "HostConfig.NetworkMode"
	net_finish
}
net_run_test networks/mode-host test_mode_host

test_mode_container() {
	net_begin
	web c1
	local ip
	ip=$(ip_on c1 bridge)
	b_out run --rm --network container:c1 "$IMG" sh -c 'ip -4 -o addr show eth0; timeout 3 wget -q -O- http://127.0.0.1/; exit $?'
	assert_eq 0 "$RC" "run --network container:c1 ($ERR $OUT)"
	assert_contains "$OUT" "inet $ip/" "address seen in container:c1"
	assert_contains "$OUT" berth-web "c1's server on 127.0.0.1 from container:c1"
	b_out run --rm --network container:nosuch-$$ "$IMG" true
	[ "$RC" -ne 0 ] || fail "--network container:nosuch was accepted"
	net_finish
}
net_run_test networks/mode-container test_mode_container

test_etc_files() {
	net_begin
	b_out run --rm --dns 10.9.8.7 --add-host foo.example:10.1.2.3 \
		--add-host bar.example:10.1.2.4 --mac-address 02:42:ac:11:99:98 --hostname hx "$IMG" \
		sh -c 'cat /etc/resolv.conf; echo ==; cat /etc/hosts; echo ==; cat /sys/class/net/eth0/address; hostname; ip -4 -o addr show eth0'
	assert_eq 0 "$RC" "run with --dns --add-host --mac-address ($ERR)"
	local resolv hosts rest
	resolv=$(awk '/^==/ { exit } { print }' <<<"$OUT")
	hosts=$(awk '/^==/ { n++; next } n == 1' <<<"$OUT")
	rest=$(awk '/^==/ { n++; next } n == 2' <<<"$OUT")
	grep -qx 'nameserver 10.9.8.7' <<<"$resolv" || fail "resolv.conf without --dns: $resolv"
	grep -qE '^10\.1\.2\.3[[:space:]]+foo\.example$' <<<"$hosts" || fail "/etc/hosts without --add-host foo: $hosts"
	grep -qE '^10\.1\.2\.4[[:space:]]+bar\.example$' <<<"$hosts" || fail "/etc/hosts without --add-host bar: $hosts"
	grep -qE '^127\.0\.0\.1[[:space:]]+localhost' <<<"$hosts" || fail "/etc/hosts without localhost: $hosts"
	local ip
	ip=$(awk '/inet / { sub(/\/.*/, "", $4); print $4 }' <<<"$rest")
	[ -n "$ip" ] || fail "no address on eth0: $rest"
	grep -qE "^${ip//./\\.}[[:space:]]+hx\$" <<<"$hosts" || fail "/etc/hosts has no '$ip hx': $hosts"
	assert_eq "02:42:ac:11:99:98 hx" "$(sed -n 1,2p <<<"$rest" | tr '\n' ' ' | sed 's/ $//')" "mac and hostname"
	# Without flags: the host's resolvers, the short id as hostname in
	# /etc/hosts, Docker's MAC derived from the address.
	crun --name e1 "$IMG" sleep 60
	local short
	short=$(cut -c1-12 <<<"$CID")
	ip=$(ip_on e1 bridge)
	in_c e1 cat /etc/hosts
	grep -qE "^${ip//./\\.}[[:space:]]+$short\$" <<<"$OUT" || fail "/etc/hosts has no '$ip $short': $OUT"
	in_c e1 cat /etc/resolv.conf
	local hostns
	hostns=$(awk '/^nameserver/ && $2 !~ /^127\./ { print $2; exit }' /etc/resolv.conf)
	[ -z "$hostns" ] || assert_contains "$OUT" "nameserver $hostns" "resolv.conf on the default bridge"
	in_c e1 cat /sys/class/net/eth0/address
	local mac
	mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${ip//./ })
	assert_eq "$mac" "$OUT" "default MAC for $ip"
	assert_eq "$mac" "$(insp e1 '{{.NetworkSettings.MacAddress}}')" "NetworkSettings.MacAddress"
	b_out run --rm --mac-address 01:00:5e:00:00:01 "$IMG" true
	[ "$RC" -ne 0 ] || fail "a multicast --mac-address was accepted"
	b_out run --rm --add-host nocolon "$IMG" true
	[ "$RC" -ne 0 ] || fail "--add-host without an address was accepted"
	net_finish
}
net_run_test networks/etc-files test_etc_files
