# containers/limits: resource flags of `run` and `update` as the cgroup
# files of the container on the host show them (cgroup v1 here, under
# /berth/<id>), plus ulimits and restart policies.

test_limits_memory() {
	begin update
	crun -m 64m "$IMG" sleep 100
	assert_eq 67108864 "$(cg "$CID" memory memory.limit_in_bytes)" "-m 64m"
	# docker: swap defaults to as much again as the memory limit
	assert_eq 134217728 "$(cg "$CID" memory memory.memsw.limit_in_bytes)" "default memory+swap"
	assert_eq 67108864 "$(insp "$CID" '{{.HostConfig.Memory}}')" "HostConfig.Memory"
	crun -m 32m --memory-swap 100m "$IMG" sleep 100
	assert_eq 33554432 "$(cg "$CID" memory memory.limit_in_bytes)" "-m 32m"
	assert_eq 104857600 "$(cg "$CID" memory memory.memsw.limit_in_bytes)" "--memory-swap 100m"
	b_out update -m 48m "$CID"
	assert_eq 0 "$RC" "update -m ($ERR)"
	assert_eq 50331648 "$(cg "$CID" memory memory.limit_in_bytes)" "update -m 48m"
	assert_eq 50331648 "$(insp "$CID" '{{.HostConfig.Memory}}')" "HostConfig.Memory after update"
	b_out run --rm -m 1m "$IMG" true
	assert_eq 125 "$RC" "-m 1m exit"
	assert_contains "$ERR" "Minimum memory limit allowed is 6MB" "-m 1m"
	b_out run --rm -m 64m --memory-swap 32m "$IMG" true
	assert_eq 125 "$RC" "--memory-swap below -m exit"
	assert_contains "$ERR" "Minimum memoryswap limit should be larger than memory limit" "--memory-swap below -m"
	# an init that goes past its limit is OOM-killed and inspect says so
	b_out run --name oom -m 8m --memory-swap 8m "$IMG" sh -c 'a=$(dd if=/dev/zero bs=1M count=64 2>/dev/null | tr "\0" x); echo ${#a}'
	assert_eq 137 "$RC" "exit code of an OOM kill ($ERR)"
	assert_eq true "$(insp oom '{{.State.OOMKilled}}')" "State.OOMKilled"
	finish
}

test_limits_cpu_pids() {
	begin
	crun --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 "$IMG" sleep 100
	assert_eq 50000 "$(cg "$CID" cpu cpu.cfs_quota_us)" "--cpus 0.5 quota"
	assert_eq 100000 "$(cg "$CID" cpu cpu.cfs_period_us)" "--cpus 0.5 period"
	assert_eq 512 "$(cg "$CID" cpu cpu.shares)" "--cpu-shares"
	assert_eq 0 "$(cg "$CID" cpuset cpuset.cpus)" "--cpuset-cpus"
	assert_eq 500000000 "$(insp "$CID" '{{.HostConfig.NanoCpus}}')" "HostConfig.NanoCpus"
	crun --pids-limit 20 "$IMG" sleep 100
	assert_eq 20 "$(cg "$CID" pids pids.max)" "--pids-limit 20"
	local n
	for n in 0 -1; do
		crun --pids-limit "$n" "$IMG" sleep 100
		assert_eq max "$(cg "$CID" pids pids.max)" "--pids-limit $n means unlimited"
	done
	finish
}

test_limits_ulimit() {
	begin
	b_out run --rm --ulimit nofile=1000:2000 --ulimit nproc=300 "$IMG" sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
	assert_eq $'1000\n2000\n300' "$OUT" "--ulimit ($ERR)"
	finish
}

# --restart: always brings a container back after it exits, a manual stop
# does not; unless-stopped likewise; no never.
test_restart_policies() {
	begin stop kill
	crun --restart always --name al "$IMG" sh -c 'sleep 0.3; exit 1'
	eng_wait_for 15 sh -c "[ \$($BERTH -H unix://$SOCK inspect -f '{{.RestartCount}}' al) -ge 2 ]" ||
		fail "restart always: RestartCount $(insp al '{{.RestartCount}}')"
	assert_eq always "$(insp al '{{.HostConfig.RestartPolicy.Name}}')" "RestartPolicy.Name"
	b_out stop -t 1 al
	assert_eq 0 "$RC" "stop of a restarting container ($ERR)"
	local rc1
	rc1=$(insp al '{{.RestartCount}}')
	sleep 1
	assert_eq exited "$(insp al '{{.State.Status}}')" "no restart after a manual stop"
	assert_eq "$rc1" "$(insp al '{{.RestartCount}}')" "RestartCount after stop"
	crun --restart unless-stopped --name us "$IMG" sleep 100
	b kill us >/dev/null || fail "kill us"
	eng_wait_for 10 sh -c "[ \$($BERTH -H unix://$SOCK inspect -f '{{.RestartCount}}' us) -ge 1 ]" ||
		fail "unless-stopped did not restart after kill"
	eng_wait_state us running
	crun --restart no --name never "$IMG" sh -c 'exit 1'
	sleep 1
	assert_eq "exited 0" "$(insp never '{{.State.Status}} {{.RestartCount}}')" "--restart no"
	# on-failure does not restart a success
	crun --restart on-failure:3 --name okay "$IMG" true
	sleep 1
	assert_eq "exited 0" "$(insp okay '{{.State.Status}} {{.RestartCount}}')" "on-failure after exit 0"
	finish
}

run_test containers/limits-memory test_limits_memory
run_test containers/limits-cpu-pids test_limits_cpu_pids
run_test containers/limits-ulimit test_limits_ulimit
run_test containers/restart-policies test_restart_policies
