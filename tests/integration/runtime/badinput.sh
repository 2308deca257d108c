# badinput.sh - configs and ids a runtime must refuse: exit 1, one line on
# stderr naming the field or value (berth-runtime only; runc's wording and
# multi-line logs differ, so on runc only a non-zero exit is required), and
# nothing left behind: no state entry, no cgroup, no mount, no process.
# Sourced by run.sh.

# reject_create FIELD: create must fail; then the leak check.
reject_create() {
	leak_snapshot
	expect_reject "$1" -- rt create --bundle "$B" "$ID"
	if rt state "$ID" >/dev/null 2>&1; then fail "container '$ID' exists after a rejected create"; fi
	leak_check
}

t_bad_json() {
	new_bundle "$B"
	echo '{"ociVersion": "1.0.2", "process": {' >"$B/config.json"
	reject_create config.json
}

t_bad_json_type() {
	new_bundle "$B"
	cfg '.process.args = "sh -c true"'
	reject_create args
}

t_unknown_namespace() {
	new_bundle "$B"
	cfg '.linux.namespaces += [{type: "bogusns"}]'
	reject_create bogusns
}

t_missing_rootfs() {
	new_bundle "$B"
	rm -rf "$B/rootfs"
	reject_create rootfs
}

t_missing_config() {
	new_bundle "$B"
	rm -f "$B/config.json"
	reject_create config.json
}

t_relative_mount_dest() {
	# runc 1.1 FAILS the spec here: it accepts a relative destination (with a
	# deprecation warning) and treats it as absolute; skipped on runc.
	is_runc && skip "runc 1.1 accepts relative mount destinations with a warning"
	new_bundle "$B"
	cfg '.mounts += [{destination: "relative/dir", type: "tmpfs", source: "tmpfs"}]'
	reject_create destination
}

t_escaping_mount_dest() {
	# /../../x must stay inside the rootfs (cleaned to /x) or be refused;
	# either way nothing may appear outside it.
	new_bundle "$B"
	local outside=$T/outside-rootfs
	cfg '.mounts += [{destination: "/../../outside-rootfs", type: "tmpfs", source: "tmpfs"}]'
	set_sh 'true'
	leak_snapshot
	run_out
	[ ! -e "$outside" ] || fail "mount destination escaped the rootfs: $outside exists"
	leak_check
}

t_unknown_capability() {
	# runc 1.1 FAILS this: it ignores unknown capabilities with a warning
	# (so configs written for newer kernels still run); skipped on runc.
	is_runc && skip "runc 1.1 ignores unknown capabilities with a warning"
	new_bundle "$B"
	cfg '.process.capabilities.bounding += ["CAP_BOGUS"]'
	reject_create CAP_BOGUS
}

t_unknown_syscall() {
	# runc 1.1 FAILS this: libseccomp cannot resolve the name and runc skips
	# the rule silently; skipped on runc.
	is_runc && skip "runc 1.1 silently skips seccomp rules with unknown syscall names"
	new_bundle "$B"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["no_such_syscall"], action: "SCMP_ACT_ERRNO"}]}'
	reject_create no_such_syscall
}

t_unknown_seccomp_action() {
	new_bundle "$B"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS", syscalls: []}'
	reject_create SCMP_ACT_BOGUS
}

t_id_taken() {
	new_bundle "$B"
	set_args sleep 100
	rt create --bundle "$B" "$ID" || fail "first create failed"
	local pid
	pid=$(state_field "$ID" pid)
	expect_reject "$ID" -- rt create --bundle "$B" "$ID"
	assert_eq created "$(state_field "$ID" status)" "first container after a duplicate create"
	assert_eq "$pid" "$(state_field "$ID" pid)" "pid of the first container"
}

bad_id() {
	new_bundle "$B"
	leak_snapshot
	local before
	before=$(ls -A "$ROOT" | wc -l)
	expect_reject id -- rt create --bundle "$B" "$1"
	assert_eq "$before" "$(ls -A "$ROOT" | wc -l)" "state dir entries"
	[ ! -e "$T/x" ] && [ ! -e "$ROOT/../x" ] || fail "something named x appeared outside the state dir"
	leak_check
}
t_id_dotdot() { bad_id ../x; }
t_id_empty() { bad_id ""; }
t_id_slash() { bad_id a/b; }

t_state_unknown_id() {
	expect_reject no-such -- rt state no-such-container
}

t_kill_bad_signal() {
	new_bundle "$B"
	set_args sleep 100
	start_bg
	expect_reject NOSUCHSIG -- rt kill "$ID" NOSUCHSIG
	assert_eq running "$(state_field "$ID" status)" "status after a bad kill"
}

t_bad_rlimit() {
	new_bundle "$B"
	cfg '.process.rlimits = [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
	reject_create RLIMIT_BOGUS
}

t_rlimit_above_hard() {
	# No CAP_SYS_RESOURCE here: raising nofile above the hard limit fails.
	local hard
	hard=$(ulimit -Hn)
	[ "$(grep CapEff /proc/self/status | awk '{print $2}')" != 000001ffffffffff ] || skip "runner has CAP_SYS_RESOURCE"
	new_bundle "$B"
	cfg --argjson h "$((hard + 1000))" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: $h, hard: $h}]'
	set_sh 'true'
	leak_snapshot
	run_out
	[ "$RC" -ne 0 ] || fail "nofile above the hard limit accepted without CAP_SYS_RESOURCE"
	leak_check
}

t_bad_oci_version() {
	new_bundle "$B"
	cfg '.ociVersion = "not-a-version"'
	# runc does not check ociVersion; berth-runtime must name it.
	is_runc && skip "runc 1.1 does not validate ociVersion"
	reject_create ociVersion
}

run_test runtime/badinput/invalid-json t_bad_json
run_test runtime/badinput/wrong-json-type t_bad_json_type
run_test runtime/badinput/unknown-namespace t_unknown_namespace
run_test runtime/badinput/missing-rootfs t_missing_rootfs
run_test runtime/badinput/missing-config t_missing_config
run_test runtime/badinput/relative-mount-destination t_relative_mount_dest
run_test runtime/badinput/escaping-mount-destination t_escaping_mount_dest
run_test runtime/badinput/unknown-capability t_unknown_capability
run_test runtime/badinput/unknown-syscall t_unknown_syscall
run_test runtime/badinput/unknown-seccomp-action t_unknown_seccomp_action
run_test runtime/badinput/id-taken t_id_taken
run_test runtime/badinput/id-dotdot t_id_dotdot
run_test runtime/badinput/id-empty t_id_empty
run_test runtime/badinput/id-slash t_id_slash
run_test runtime/badinput/state-unknown-id t_state_unknown_id
run_test runtime/badinput/kill-bad-signal t_kill_bad_signal
run_test runtime/badinput/unknown-rlimit t_bad_rlimit
run_test runtime/badinput/rlimit-above-hard t_rlimit_above_hard
run_test runtime/badinput/bad-ociVersion t_bad_oci_version
