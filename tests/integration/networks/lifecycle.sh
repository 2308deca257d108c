# lifecycle.sh - networks family: nothing leaks over many run/rm cycles
# with a port and a volume, and a berthd killed with -9 while a published
# container runs releases that container's veth, netns and nft elements
# once the container dies and berthd comes back. Sourced by run.sh.

# counts: "links mounts elements netns" as a user would count them; the
# link and mount totals are host-wide (noise from other work on the host
# shows in the message), so the assertion is on berth's own objects.
counts() {
	echo "links=$(ip -o link | wc -l) mounts=$(wc -l </proc/self/mountinfo)" \
		"nft=$(net_elems | grep -c .) netns=$(net_netns | grep -c .)"
}

test_leak_audit() {
	net_begin volume
	local p i before after v=bt-leak-$$
	p=$(eng_free_port)
	vol_track "$v"
	b_ok volume create "$v"
	# One cycle first, so the lazily made things (berth0, the tables, the
	# volume's first mount) are in the baseline.
	web w0 -p "$p:80" -v "$v:/data"
	wait_http "http://127.0.0.1:$p/" || fail "first cycle: 127.0.0.1:$p does not answer"
	b_ok rm -f -v w0
	local mounts0 loops0
	before=$(counts)
	mounts0=$(grep -F "$T/" /proc/self/mountinfo | awk '{ print $5 }' | sort)
	loops0=$(net_loops)
	for i in $(seq 20); do
		b_out run -d --name "cyc$i" -p "$p:80" -v "$v:/data" "$WEB" sh -c "echo $i >>/data/log; exec ${HTTPD[*]}"
		[ "$RC" -eq 0 ] || fail "cycle $i: run exited $RC: $ERR"
		echo "$(tail -1 <<<"$OUT")" >>"$T/.cids"
		net_track "cyc$i"
		# Every fifth cycle proves the port really works.
		if [ $((i % 5)) -eq 0 ]; then
			wait_http "http://127.0.0.1:$p/" || fail "cycle $i: 127.0.0.1:$p does not answer"
		fi
		b_out rm -f -v "cyc$i"
		[ "$RC" -eq 0 ] || fail "cycle $i: rm -f exited $RC: $ERR"
	done
	sleep 0.3
	after=$(counts)
	log "before: $before"
	log "after:  $after"
	echo "networks/leak-audit: 20 run/rm cycles with -p and a volume; before: $before; after: $after" >>"${BERTH_FIGURES:-/dev/null}"
	# The host-wide counts can move with other work on the host; what the
	# 20 containers made is checked one by one.
	# (w0 and the 20 cycles: one veth each.)
	assert_eq 21 "$(sort -u "$T/.cveths" | grep -c .)" "host veths seen for 21 containers"
	assert_eq "" "$(net_my_links)" "the 20 containers' veths after rm (counts before: $before, after: $after)"
	assert_eq "" "$(net_my_elems)" "the 20 containers' nft elements after rm (counts before: $before, after: $after)"
	assert_eq "" "$(net_netns)" "netns files after 20 cycles"
	assert_eq "$mounts0" "$(grep -F "$T/" /proc/self/mountinfo | awk '{ print $5 }' | sort)" "mounts of the test after 20 cycles"
	assert_eq "$loops0" "$(net_loops)" "loop devices after 20 cycles"
	# The volume saw every cycle.
	b_out run --rm -v "$v:/data" "$IMG" cat /data/log
	assert_eq "$(seq 20 | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$OUT")" "the volume's log of 20 cycles"
	net_finish
}
TEST_TIMEOUT=150 net_run_test networks/leak-audit test_leak_audit

test_berthd_kill9() {
	net_begin
	local p pid
	p=$(eng_free_port)
	web k1 -p "$p:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer"
	pid=$(insp k1 '{{.State.Pid}}')
	[ -n "$(net_my_links)" ] || fail "no veth for k1 on the host"
	[ -n "$(net_my_elems)" ] || fail "no nft element for k1's port"
	[ -n "$(net_netns)" ] || fail "no netns file for k1"
	eng_kill9_berthd
	# The container dies while nobody watches.
	kill -9 "$pid"
	local n
	for n in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
	eng_restart_berthd
	eng_wait_state k1 exited
	local l e
	for n in $(seq 50); do
		l=$(net_my_links)
		e=$(net_my_elems)
		[ -z "$l$e$(net_netns)" ] && break
		sleep 0.1
	done
	[ -z "$l" ] || fail "links of the dead container after the restart: $l"
	[ -z "$e" ] || fail "nft elements of the dead container after the restart: $e"
	[ -z "$(net_netns)" ] || fail "netns files of the dead container after the restart: $(net_netns)"
	# Its port is free again.
	web k2 -p "$p:80"
	wait_http "http://127.0.0.1:$p/" || fail "127.0.0.1:$p does not answer for a new container"
	# And a container that survives a berthd kill keeps its port.
	eng_kill9_berthd
	assert_eq berth-web "$(curl -s --max-time 3 "http://127.0.0.1:$p/")" "k2's port with berthd dead"
	eng_restart_berthd
	assert_eq berth-web "$(curl -s --max-time 3 "http://127.0.0.1:$p/")" "k2's port after berthd restart"
	net_finish
}
net_run_test networks/berthd-kill9 test_berthd_kill9
