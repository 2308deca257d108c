# namespaces.sh - linux.namespaces: new ones, joined ones, user ns maps,
# time ns offsets. Sourced by run.sh.

t_ns_pid() {
	new_bundle "$B"
	run_sh 'echo $$; ps -o pid | tail -n +2 | wc -l'
	assert_eq "1" "$(head -1 <<<"$OUT")" "pid of the container process"
	# sh, ps, tail, wc (a pipeline): nothing of the host.
	[ "$(tail -1 <<<"$OUT")" -le 4 ] || fail "container sees host processes: $OUT"
}

t_ns_pid_shared_host() {
	new_bundle "$B"
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	run_sh 'echo $$; readlink /proc/self/ns/pid'
	[ "$(head -1 <<<"$OUT")" -gt 1 ] || fail "pid 1 without a pid namespace: $OUT"
	assert_eq "$(readlink /proc/self/ns/pid)" "$(tail -1 <<<"$OUT")" "pid ns without a new one"
}

t_ns_uts() {
	new_bundle "$B"
	cfg '.hostname = "box-one" | .domainname = "example.test"'
	local host_hn
	host_hn=$(hostname)
	run_sh 'hostname; cat /proc/sys/kernel/domainname'
	is_runc && [ "$(tail -1 <<<"$OUT")" != example.test ] && {
		assert_eq box-one "$(head -1 <<<"$OUT")" "hostname"
		skip "runc 1.1 ignores domainname (spec 1.1 field; runc 1.2 sets it); hostname ok"
	}
	assert_eq "box-one
example.test" "$OUT" "hostname and domainname"
	assert_eq "$host_hn" "$(hostname)" "host hostname after container set its own"
}

t_ns_ipc() {
	new_bundle "$B"
	run_sh 'readlink /proc/self/ns/ipc; cat /proc/sysvipc/shm | wc -l'
	[ "$(head -1 <<<"$OUT")" != "$(readlink /proc/self/ns/ipc)" ] || fail "ipc namespace shared with host"
}

t_ns_net_only_lo() {
	new_bundle "$B"
	run_sh 'ls /sys/class/net; ip -o link | wc -l'
	assert_eq "lo
1" "$OUT" "interfaces in a new network namespace"
}

t_ns_mount() {
	new_bundle "$B"
	cfg '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	run_sh 'mkdir -p /m && mount -t tmpfs tmpfs /m && readlink /proc/self/ns/mnt'
	[ "$OUT" != "$(readlink /proc/self/ns/mnt)" ] || fail "mount namespace shared with host"
	[ -z "$(scope_mounts)" ] || fail "container's mount visible on the host: $(scope_mounts)"
}

t_ns_cgroup() {
	new_bundle "$B"
	cfg '.linux.namespaces += [{type: "cgroup"}]'
	run_sh 'grep -E ":(memory|pids):" /proc/self/cgroup; readlink /proc/self/ns/cgroup'
	assert_contains "$OUT" ":memory:/
" "memory cgroup inside a cgroup ns"
	assert_contains "$OUT" ":pids:/
" "pids cgroup inside a cgroup ns"
	[ "$(tail -1 <<<"$OUT")" != "$(readlink /proc/self/ns/cgroup)" ] || fail "cgroup ns shared with host"
}

t_ns_user() {
	new_bundle "$B"
	# Let the mapped ids traverse the bundle.
	chmod 755 "$T" "$B"
	cfg '.linux.namespaces += [{type: "user"}] |
		.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	run_sh 'id -u; cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/owned'
	local lines
	mapfile -t lines <<<"$OUT"
	assert_eq 0 "${lines[0]}" "uid inside the user ns"
	[[ ${lines[1]} =~ ^[[:space:]]*0[[:space:]]+200000[[:space:]]+65536$ ]] || fail "uid_map: ${lines[1]}"
	[[ ${lines[2]} =~ ^[[:space:]]*0[[:space:]]+200000[[:space:]]+65536$ ]] || fail "gid_map: ${lines[2]}"
	assert_eq "200000:200000" "$(stat -c %u:%g "$B/rootfs/tmp/owned")" "host owner of a file made by container root"
}

t_ns_user_not_host_root() {
	# Root in a user ns can't do what host root can: e.g. write a host-owned
	# root-only file bind-mounted in.
	new_bundle "$B"
	chmod 755 "$T" "$B"
	echo secret >"$T/rootonly"
	chmod 600 "$T/rootonly"
	cfg --arg s "$T/rootonly" '.linux.namespaces += [{type: "user"}] |
		.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}] |
		.mounts += [{destination: "/rootonly", type: "bind", source: $s, options: ["bind"]}]'
	set_sh 'cat /rootonly'
	run_out
	[ "$RC" -ne 0 ] || fail "container root in a user ns read a host root-only file: $OUT"
}

t_ns_time() {
	[ -e /proc/self/ns/time ] || skip "kernel has no time namespaces"
	is_runc && skip "runc 1.1 does not support the time namespace (runc 1.2 does)"
	new_bundle "$B"
	cfg '.linux.namespaces += [{type: "time"}] |
		.linux.timeOffsets = {monotonic: {secs: 86400, nanosecs: 0}, boottime: {secs: 172800, nanosecs: 0}}'
	local host_up
	host_up=$(cut -d. -f1 /proc/uptime)
	run_sh 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets'
	local up
	up=$(head -1 <<<"$OUT")
	# /proc/uptime follows CLOCK_BOOTTIME.
	[ "$((up - host_up))" -ge 172790 ] && [ "$((up - host_up))" -le 172810 ] || fail "uptime $up vs host $host_up: boottime offset not applied"
	[[ $OUT =~ monotonic[[:space:]]+86400[[:space:]]+0 ]] || fail "timens_offsets: $OUT"
}

t_ns_join_netns_path() {
	new_bundle "$B"
	local ns=berth-$ID
	echo "$ns" >>"$T/.netns"
	ip netns add "$ns" || fail "ip netns add failed"
	cfg --arg p "/var/run/netns/$ns" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run_sh 'readlink /proc/self/ns/net'
	assert_eq "net:[$(stat -L -c %i "/var/run/netns/$ns")]" "$OUT" "network namespace joined by path"
}

t_ns_join_other_container() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	local pid id2
	pid=$(state_field "$ID" pid)
	id2=$(new_id two)
	new_bundle "$T/b2" "$id2"
	CFG=$T/b2/config.json cfg --arg pid "/proc/$pid/ns/pid" --arg net "/proc/$pid/ns/net" --arg ipc "/proc/$pid/ns/ipc" \
		'.linux.namespaces |= map(if .type == "pid" then .path = $pid elif .type == "network" then .path = $net
			elif .type == "ipc" then .path = $ipc else . end) |
		 .process.args = ["sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; cat /proc/1/cmdline | tr \"\\\\0\" \" \""]'
	local out
	out=$(rt run --bundle "$T/b2" "$id2" </dev/null) || fail "second container failed"
	assert_eq "$(readlink "/proc/$pid/ns/pid")
$(readlink "/proc/$pid/ns/net")
$(readlink "/proc/$pid/ns/ipc")
sleep 100 " "$out" "namespaces joined from the first container"
}

t_ns_path_bad_type() {
	# Joining a path of the wrong namespace type must fail cleanly.
	new_bundle "$B"
	leak_snapshot
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
	set_sh 'true'
	run_out
	[ "$RC" -ne 0 ] || fail "a uts namespace path was accepted as a network namespace"
	leak_check
}

run_test runtime/namespaces/pid t_ns_pid
run_test runtime/namespaces/pid-shared-with-host t_ns_pid_shared_host
run_test runtime/namespaces/uts-hostname-domainname t_ns_uts
run_test runtime/namespaces/ipc t_ns_ipc
run_test runtime/namespaces/net-only-lo t_ns_net_only_lo
run_test runtime/namespaces/mount t_ns_mount
run_test runtime/namespaces/cgroup t_ns_cgroup
run_test runtime/namespaces/user-maps t_ns_user
run_test runtime/namespaces/user-not-host-root t_ns_user_not_host_root
run_test runtime/namespaces/time-offsets t_ns_time
run_test runtime/namespaces/join-netns-by-path t_ns_join_netns_path
run_test runtime/namespaces/join-other-container t_ns_join_other_container
run_test runtime/namespaces/path-of-wrong-type t_ns_path_bad_type
