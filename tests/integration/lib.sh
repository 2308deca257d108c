# lib.sh - the harness every integration family sources.
#
# What it gives a test:
#   RUNTIME        the OCI runtime under test ($BERTH_TOP/bin/berth-runtime by
#                  default; RUNTIME=runc or RUNTIME=/path overrides).
#   run_test NAME FUNC
#                  runs FUNC in a subshell with a timeout, in its own temp dir,
#                  records "pass NAME" / "fail NAME" / "skip NAME: why" into
#                  $BERTH_RESULTS, prints it, and cleans up by id afterwards
#                  (delete -f of every container of the test, kill of what is
#                  left in its cgroups, umount of anything under its dir,
#                  rmdir of its cgroups, ip netns del of its namespaces) even
#                  when the test fails or times out.
#   Inside FUNC:   T (test dir), B (bundle dir), ROOT (--root state dir),
#                  ID (unique container id), CGPATH (its cgroupsPath),
#                  rt ARGS (= $RUNTIME --root $ROOT ARGS), new_bundle, cfg,
#                  new_id, fail, skip, assert_* helpers and leak checks.
#
# Tests run as root against real containers. Nothing is killed by name:
# processes are found through the test's own cgroups or through its temp dir
# in their command line, and stopped by pid.
#
# Sourced, not executed. Uses bash (arrays, wait -n).

set -u

BERTH_TOP=${BERTH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RUNTIME=${RUNTIME:-$BERTH_TOP/bin/berth-runtime}
if [[ $RUNTIME != */* ]]; then
	RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME")
fi
RUNTIME_NAME=$(basename "$RUNTIME")
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
# BERTH_TEST_FILTER: an extended regex; only matching test names run.
BERTH_TEST_FILTER=${BERTH_TEST_FILTER:-}
CGROUP_MNT=/sys/fs/cgroup

# is_runc: true when the runtime under test is runc. runc's error wording
# differs from ours, so bad-input tests assert only exit code and cleanliness
# there, and a few spec features runc 1.1 lacks are skipped with a reason.
is_runc() { [[ $RUNTIME_NAME == runc* ]]; }

# Results: standalone runs of one family get their own results file.
if [ -z "${BERTH_RESULTS:-}" ]; then
	BERTH_RESULTS=$(mktemp /tmp/berth-results.XXXXXX)
	BERTH_OWN_RESULTS=1
else
	BERTH_OWN_RESULTS=0
fi
export BERTH_RESULTS BERTH_TOP

SUITE_TMP=$(mktemp -d /tmp/berth-it.XXXXXX)
chmod 755 "$SUITE_TMP"
# Every cgroup a test makes lives under this parent, in every hierarchy, so
# leak checks and cleanup know exactly where to look.
CG_PARENT=berth-it-$$
SUITE_COUNTER=0

# ---------------------------------------------------------------- basics

log() { echo "# $*" >&2; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "$*" >"$T/.skip"
	exit 77
}
# rt ARGS: the runtime with this test's state dir.
rt() { "$RUNTIME" --root "$ROOT" "$@"; }

# The rootfs is built once per run and copied per test.
suite_rootfs() {
	if [ ! -d "$SUITE_TMP/rootfs" ]; then
		sh "$BERTH_TOP/scripts/make-rootfs.sh" "$SUITE_TMP/rootfs.tmp" >/dev/null &&
			mv "$SUITE_TMP/rootfs.tmp" "$SUITE_TMP/rootfs"
	fi
	echo "$SUITE_TMP/rootfs"
}

# cgroup_dirs: one line per hierarchy mount: "<mountpoint>"; v1 controllers
# and the cgroup2 mount alike.
cgroup_mounts() {
	awk '$9 == "cgroup" || $9 == "cgroup2" { print $5 }' /proc/self/mountinfo | sort -u
}

# The template config: what `runc spec` gives, with terminal off, a
# writable root, and a cgroupsPath under the suite's parent.
template_config() {
	local id=$1 cg=$2
	jq -n --arg id "$id" --arg cg "$cg" '{
	ociVersion: "1.0.2",
	process: {
		terminal: false,
		user: {uid: 0, gid: 0},
		args: ["sh", "-c", "true"],
		env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
		cwd: "/",
		capabilities: {
			bounding: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			effective: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			permitted: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		rlimits: [{type: "RLIMIT_NOFILE", hard: 1024, soft: 1024}],
		noNewPrivileges: true
	},
	root: {path: "rootfs", readonly: false},
	hostname: "berth",
	mounts: [
		{destination: "/proc", type: "proc", source: "proc"},
		{destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]},
		{destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]},
		{destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	linux: {
		cgroupsPath: $cg,
		resources: {devices: [{allow: false, access: "rwm"}]},
		namespaces: [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}],
		maskedPaths: ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
		readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}'
}

# new_id [SUFFIX]: a unique container id for this test, remembered for
# cleanup. Prints it.
new_id() {
	local id="$TEST_ID_BASE${1:+-$1}"
	echo "$id" >>"$T/.ids"
	echo "$id"
}

# new_bundle DIR [ID]: a bundle at DIR with a fresh rootfs copy and the
# template config (cgroupsPath for ID, default $ID).
new_bundle() {
	local dir=$1 id=${2:-$ID}
	mkdir -p "$dir"
	cp -a "$(suite_rootfs)" "$dir/rootfs"
	template_config "$id" "/$CG_PARENT/$id" >"$dir/config.json"
}

# cfg [JQ-ARGS...] FILTER: edit $B/config.json in place with jq.
# CFG=path overrides the file.
cfg() {
	local f=${CFG:-$B/config.json}
	jq "$@" "$f" >"$f.new" && mv "$f.new" "$f" || fail "jq edit failed: $*"
}
# set_args ARG...: the container process's argv.
set_args() {
	local a i=0 jargs=()
	for a in "$@"; do
		jargs+=(--arg "$i" "$a")
		i=$((i + 1))
	done
	a=$(jq -cn "${jargs[@]}" '[$ARGS.named | to_entries | sort_by(.key | tonumber) | .[].value]')
	cfg --argjson a "$a" '.process.args = $a'
}
# set_sh 'SCRIPT': process is sh -c SCRIPT.
set_sh() { set_args sh -c "$1"; }

# pid_alive PID: exists and is not a zombie (PID 1 here reaps lazily).
pid_alive() {
	local st
	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# state_field ID FIELD: one field of `state`.
state_field() { rt state "$1" | jq -r ".$2"; }

# wait_status ID STATUS [SECONDS]: poll state until it says STATUS.
wait_status() {
	local id=$1 want=$2 n=$((${3:-10} * 20)) s=
	while [ "$n" -gt 0 ]; do
		s=$(rt state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
		[ "$s" = "$want" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	fail "container '$id' status is '$s', wanted '$want'"
}

# cg_dir CONTROLLER [ID]: host path of a container's cgroup in a v1
# hierarchy.
cg_dir() { echo "$CGROUP_MNT/$1/$CG_PARENT/${2:-$ID}"; }

# ---------------------------------------------------------------- asserts

assert_eq() { # WANT GOT WHAT
	[ "$1" = "$2" ] || fail "${3:-value}: wanted '$1', got '$2'"
}
assert_contains() { # HAYSTACK NEEDLE WHAT
	[[ $1 == *"$2"* ]] || fail "${3:-output}: '$2' not found in: $1"
}
assert_not_contains() {
	[[ $1 != *"$2"* ]] || fail "${3:-output}: '$2' unexpectedly in: $1"
}
# run_out: runs the container in the foreground; stdout in OUT, stderr in
# ERR, exit code in RC. Never fails by itself.
run_out() {
	local id=${1:-$ID}
	RC=0
	rt run --bundle "$B" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
# run_ok [ID]: run_out and require exit 0.
run_ok() {
	run_out "$@"
	[ "$RC" -eq 0 ] || fail "run exited $RC; stderr: $ERR; stdout: $OUT"
}
# run_sh 'SCRIPT': set the process to sh -c SCRIPT and run_ok.
run_sh() {
	set_sh "$1"
	run_ok
}
# start_bg [ID] [BUNDLE]: create+start a container whose process stays up.
start_bg() {
	local id=${1:-$ID} b=${2:-$B}
	rt create --bundle "$b" "$id" </dev/null >"$T/create.out" 2>"$T/create.err" ||
		fail "create '$id' failed: $(cat "$T/create.err")"
	rt start "$id" 2>"$T/start.err" || fail "start '$id' failed: $(cat "$T/start.err")"
}

# expect_reject FIELD -- CMD...: a bad-input command must exit 1, print one
# line on stderr naming FIELD (berth-runtime only: runc's wording differs).
expect_reject() {
	local field=$1
	shift 2
	local rc=0
	"$@" >"$T/rej.out" 2>"$T/rej.err" </dev/null || rc=$?
	local err
	err=$(cat "$T/rej.err")
	if is_runc; then
		[ "$rc" -ne 0 ] || fail "runtime accepted bad input (exit 0); stderr: $err"
	else
		assert_eq 1 "$rc" "exit code of rejected input (stderr: $err)"
		local lines
		lines=$(grep -c . "$T/rej.err")
		assert_eq 1 "$lines" "stderr line count (stderr: $err)"
		[[ ${err,,} == *"${field,,}"* ]] || fail "stderr does not name '$field': $err"
	fi
}

# ---------------------------------------------------------------- leaks

# scope_pids: processes that belong to this test: members of its cgroups,
# or anything with the test dir in its command line (a stuck runtime or
# hook). Excludes this shell and its ancestors.
scope_pids() {
	local mnt f p cmd
	declare -A seen=()
	for mnt in $(cgroup_mounts); do
		[ -d "$mnt/$CG_PARENT" ] || continue
		while IFS= read -r f; do
			while read -r p; do
				[ -n "$p" ] && seen[$p]=1
			done <"$f"
		done < <(find "$mnt/$CG_PARENT" -path "*/$TEST_ID_BASE*" -name cgroup.procs 2>/dev/null)
	done
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		{ mapfile -d '' cmd <"/proc/$p/cmdline"; } 2>/dev/null || continue
		[[ "${cmd[*]:-}" == *"$T/"* ]] && seen[$p]=1
	done
	for p in "${!seen[@]}"; do
		pid_alive "$p" && ! is_ancestor "$p" && echo "$p"
	done | sort -n
}
is_ancestor() { # PID: is PID this shell or one of its ancestors?
	local cur=$BASHPID ppid
	while [ "$cur" -gt 1 ]; do
		[ "$cur" = "$1" ] && return 0
		ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$cur/status" 2>/dev/null) || return 1
		[ -n "$ppid" ] || return 1
		cur=$ppid
	done
	return 1
}
# scope_cgroups: cgroup dirs of this test, in every hierarchy.
scope_cgroups() {
	local mnt
	for mnt in $(cgroup_mounts); do
		[ -d "$mnt/$CG_PARENT" ] || continue
		find "$mnt/$CG_PARENT" -mindepth 1 -type d -name "$TEST_ID_BASE*" 2>/dev/null
	done | sort
}
# scope_mounts: host mounts of the test: mount points under its dir.
scope_mounts() { awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo; }
# scope_mount_lines: any host mountinfo line naming the test dir (mount
# point, root or options such as an overlay lowerdir).
scope_mount_lines() { grep -F "$T/" /proc/self/mountinfo || true; }
mount_count() { wc -l </proc/self/mountinfo; }

# leak_snapshot / leak_check: take stock before, compare after. Checks the
# total mount count, mounts under the test dir, cgroups of the test, the
# test's processes, and (optionally) the runtime's state dir entries.
leak_snapshot() {
	mount_count >"$T/.leak.mounts"
	cp /proc/self/mountinfo "$T/.leak.mountinfo"
	scope_cgroups >"$T/.leak.cgroups"
	scope_pids >"$T/.leak.pids"
	ls -A "$ROOT" 2>/dev/null | sort >"$T/.leak.state"
}
leak_check() {
	local n
	# Allow a moment for asynchronous teardown (runtime children exiting).
	for n in 1 2 3 4 5 6 7 8 9 10; do
		[ -z "$(scope_pids)" ] && break
		sleep 0.1
	done
	local pids p now
	declare -A before=()
	while read -r p; do [ -n "$p" ] && before[$p]=1; done <"$T/.leak.pids"
	now=$(scope_pids)
	pids=
	for p in $now; do [ -z "${before[$p]:-}" ] && pids="$pids $p"; done
	[ -z "$pids" ] || fail "processes left behind: $(for p in $pids; do echo -n "$p:$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null); "; done)"
	local cgs
	cgs=$(scope_cgroups | grep -vxF -f "$T/.leak.cgroups" || true)
	[ -z "$cgs" ] || fail "cgroups left behind: $cgs"
	[ -z "$(scope_mounts)" ] || fail "mounts left under test dir: $(scope_mounts)"
	[ -z "$(scope_mount_lines)" ] || fail "host mounts naming the test dir: $(scope_mount_lines)"
	# The whole host's mount count is only compared on request: other
	# work on a shared machine mounts and unmounts too.
	if [ "${BERTH_STRICT_MOUNTS:-0}" = 1 ] && [ "$(cat "$T/.leak.mounts")" != "$(mount_count)" ]; then
		fail "host mount count changed: $(diff "$T/.leak.mountinfo" /proc/self/mountinfo | grep '^[<>]')"
	fi
	local st
	st=$(ls -A "$ROOT" 2>/dev/null | sort | grep -vxF -f "$T/.leak.state" || true)
	[ -z "$st" ] || fail "state dir entries left behind: $st"
}

# ---------------------------------------------------------------- cleanup

cleanup_test() {
	local id ids=() p mnt d n
	[ -f "$T/.ids" ] && mapfile -t ids <"$T/.ids"
	if [ -d "$ROOT" ]; then
		for d in "$ROOT"/*; do
			[ -d "$d" ] && ids+=("$(basename "$d")")
		done
	fi
	for id in $(printf '%s\n' "${ids[@]}" | sort -u); do
		[ -n "$id" ] || continue
		timeout 10 "$RUNTIME" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
	# Whatever still runs in the test's cgroups or from its dir: by pid.
	for n in 1 2 3; do
		p=$(scope_pids)
		[ -z "$p" ] && break
		# A frozen cgroup would keep SIGKILL pending forever: thaw first.
		for d in $(find "$CGROUP_MNT/freezer/$CG_PARENT" -mindepth 1 -type d -name "$TEST_ID_BASE*" 2>/dev/null); do
			echo THAWED >"$d/freezer.state" 2>/dev/null || true
		done
		kill -9 $p 2>/dev/null || true
		sleep 0.2
	done
	# Mounts under the test dir, deepest first.
	for mnt in $(scope_mounts | sort -r); do
		umount -l "$mnt" 2>/dev/null || true
	done
	# Cgroups of the test, deepest first.
	for d in $(scope_cgroups | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-); do
		rmdir "$d" 2>/dev/null || true
	done
	if [ -f "$T/.netns" ]; then
		while read -r n; do ip netns del "$n" 2>/dev/null || true; done <"$T/.netns"
	fi
	rm -rf "$T" 2>/dev/null || true
}

# ---------------------------------------------------------------- runner

# run_test NAME FUNC: see the top of this file.
run_test() {
	local name=$1 fn=$2
	if [ -n "$BERTH_TEST_FILTER" ] && ! [[ $name =~ $BERTH_TEST_FILTER ]]; then
		return 0
	fi
	SUITE_COUNTER=$((SUITE_COUNTER + 1))
	TEST_ID_BASE=bt$$-$SUITE_COUNTER
	ID=$TEST_ID_BASE
	T=$SUITE_TMP/t$SUITE_COUNTER
	B=$T/bundle
	ROOT=$T/state
	CGPATH=/$CG_PARENT/$ID
	mkdir -p "$T" "$ROOT"
	echo "$ID" >"$T/.ids"
	export T B ROOT ID CGPATH
	local rc=0 pid wd done_pid started=$SECONDS
	# Own process group (set -m) so a timeout can stop the whole test.
	set -m
	(
		set -u
		cd "$T" || exit 1
		"$fn"
	) >"$T/.log" 2>&1 </dev/null &
	pid=$!
	sleep "$TEST_TIMEOUT" &
	wd=$!
	set +m
	wait -n -p done_pid "$pid" "$wd"
	rc=$?
	if [ "${done_pid:-}" = "$wd" ]; then
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 0.5
		kill -KILL -- "-$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "FAIL: timed out after ${TEST_TIMEOUT}s" >>"$T/.log"
		rc=124
	else
		kill "$wd" 2>/dev/null
		wait "$wd" 2>/dev/null
		# Stray children of the test left in its process group.
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	local secs=$((SECONDS - started))
	case $rc in
	0)
		echo "pass $name" >>"$BERTH_RESULTS"
		echo "pass $name (${secs}s)"
		;;
	77)
		local why="no reason given"
		[ -s "$T/.skip" ] && why=$(cat "$T/.skip")
		echo "skip $name: $why" >>"$BERTH_RESULTS"
		echo "skip $name: $why"
		;;
	*)
		echo "fail $name" >>"$BERTH_RESULTS"
		echo "FAIL $name (exit $rc, ${secs}s)"
		tail -25 "$T/.log" | sed 's/^/    | /'
		;;
	esac
	cleanup_test
}

# suite_begin FAMILY / suite_end: a family's run.sh calls these around its
# tests. suite_end prints a summary when the family runs standalone and
# returns non-zero when a test failed.
suite_begin() {
	echo "== $1 (runtime: $RUNTIME)"
	SUITE_RESULTS_START=$(wc -l <"$BERTH_RESULTS")
}
suite_end() {
	local mnt
	for mnt in $(cgroup_mounts); do
		[ -d "$mnt/$CG_PARENT" ] && find "$mnt/$CG_PARENT" -depth -mindepth 0 -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$SUITE_TMP"
	local mine p f s
	mine=$(tail -n +"$((SUITE_RESULTS_START + 1))" "$BERTH_RESULTS")
	p=$(grep -c '^pass ' <<<"$mine")
	f=$(grep -c '^fail ' <<<"$mine")
	s=$(grep -c '^skip ' <<<"$mine")
	echo "-- $p passed, $f failed, $s skipped"
	[ "$BERTH_OWN_RESULTS" = 1 ] && rm -f "$BERTH_RESULTS"
	[ "$f" -eq 0 ]
}

# ---------------------------------------------------------------- engine
#
# Helpers for the families that drive berthd (containers, docker-cli,
# restore): a real docker-registry on 127.0.0.1 serving a busybox image
# pushed with skopeo, one berthd per test with its own --root/--run-root and
# socket under $T, and leak checks for containers: their cgroups under
# /berth/<id>, mounts naming $T, and monitors (processes whose command line
# names $T). Nothing is stopped by name: berthd by its pid, containers'
# leftovers through their own cgroups.
#
#   eng_setup            once per family, before its tests: sets ENG_REG,
#                        ENG_IMG (the pushed image) or ENG_SETUP_ERR.
#   eng_need VERB...     skip the test unless set up and berth has the verbs.
#   eng_start_berthd [ARGS]  berthd for this test (DPID, SOCK); ARGS go to
#                        berthd. Installs eng_cleanup as the EXIT trap.
#   b / b_out / d / d_out    berth / the docker CLI at $SOCK; the _out forms
#                        leave RC, OUT, ERR.
#   eng_ids              the ids of every container this test's berthd knows.
#   eng_leak_check       nothing of this test's containers is left.
#   eng_teardown         stop registry and sweep leftovers (family end).

ENG_BUILD=${BERTH_BUILD:-$BERTH_TOP/build}
BERTHD=${BERTHD:-$ENG_BUILD/src/cmd/berthd/berthd}
BERTH=${BERTH:-$ENG_BUILD/src/cmd/berth/berth}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/bin/docker)}
ENG_CG_PARENT=${ENG_CG_PARENT:-berth}
ENG_SETUP_ERR=
ENG_REG_PID=
# A berth or docker command of a test (b_out, d_out, b_tty, d_tty) that
# hangs is killed after this many seconds (exit 137): the docker CLI
# forwards TERM to the container, so only KILL ends it.
ENG_CMD_TIMEOUT=${ENG_CMD_TIMEOUT:-30}

eng_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

eng_start_registry() {
	local dir=$SUITE_TMP/registry port n
	port=$(eng_free_port)
	mkdir -p "$dir/data"
	printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n  cache: {}\nhttp: {addr: 127.0.0.1:%s}\n' \
		"$dir/data" "$port" >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
	ENG_REG_PID=$!
	for n in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	ENG_REG=127.0.0.1:$port
}

# eng_make_image OCI: busybox rootfs in one layer, /etc/motd in a second;
# cmd sh, env FOO=bar, a user "app" (uid 1000) to test -u by name.
eng_make_image() {
	local oci=$1 w=$SUITE_TMP/mkimg
	umoci init --layout "$oci" && umoci new --image "$oci:1" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		sh "$BERTH_TOP/scripts/make-rootfs.sh" "$w/b/rootfs" >/dev/null &&
		umoci repack --image "$oci:1" "$w/b" && rm -rf "$w/b" &&
		umoci unpack --image "$oci:1" "$w/b" >/dev/null &&
		echo "berth containers test" >"$w/b/rootfs/etc/motd" &&
		echo "app:x:1000:1000:app:/home/app:/bin/sh" >>"$w/b/rootfs/etc/passwd" &&
		echo "app:x:1000:" >>"$w/b/rootfs/etc/group" &&
		mkdir -p "$w/b/rootfs/home/app" && chown 1000:1000 "$w/b/rootfs/home/app" &&
		umoci repack --image "$oci:1" "$w/b" &&
		umoci config --image "$oci:1" --config.cmd sh --config.env FOO=bar
	local rc=$?
	rm -rf "$w"
	return $rc
}

# eng_setup: the registry and the image, once per family.
eng_setup() {
	local c
	for c in docker-registry skopeo umoci curl jq python3 script; do
		command -v $c >/dev/null || { ENG_SETUP_ERR="$c not installed"; return; }
	done
	[ -x "$BERTHD" ] && [ -x "$BERTH" ] || { ENG_SETUP_ERR="berthd/berth not built in $ENG_BUILD"; return; }
	eng_start_registry
	trap eng_stop_registry EXIT
	eng_make_image "$SUITE_TMP/oci" >/dev/null || { ENG_SETUP_ERR="umoci could not build the image"; return; }
	skopeo copy -q --dest-tls-verify=false "oci:$SUITE_TMP/oci:1" "docker://$ENG_REG/test/busybox:1" >/dev/null ||
		{ ENG_SETUP_ERR="skopeo could not push the test image"; return; }
	ENG_IMG=$ENG_REG/test/busybox:1
	: >"$SUITE_TMP/cids"
}
eng_stop_registry() {
	[ -n "$ENG_REG_PID" ] && kill "$ENG_REG_PID" 2>/dev/null && wait "$ENG_REG_PID" 2>/dev/null
	ENG_REG_PID=
}

# eng_has_verb VERB: berth lists VERB among its commands.
eng_has_verb() {
	"$BERTH" --help 2>/dev/null | sed -n '/^Commands:/,$p' | awk '{ print $1 }' | grep -qxF -- "$1"
}
eng_need() {
	[ -z "$ENG_SETUP_ERR" ] || skip "$ENG_SETUP_ERR"
	local v
	for v in "$@"; do
		eng_has_verb "$v" || skip "berth has no '$v' verb yet"
	done
}
eng_need_docker() {
	[ -x "$DOCKER" ] || skip "no docker CLI"
}

eng_wait_ping() {
	local i
	for i in $(seq 200); do
		[ "$(curl -s --unix-socket "$SOCK" http://x/_ping 2>/dev/null)" = OK ] && return 0
		pid_alive "$DPID" || break
		sleep 0.05
	done
	fail "berthd did not start: $(tail -20 "$T/berthd.log")"
}
# eng_start_berthd [ARGS]: berthd for this test, then pulls the image.
eng_start_berthd() {
	SOCK=$T/run/berth.sock
	ENG_BERTHD_ARGS=("$@")
	"$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" "$@" >>"$T/berthd.log" 2>&1 </dev/null &
	DPID=$!
	trap eng_cleanup EXIT
	eng_wait_ping
}
# eng_restart_berthd: start berthd again on the same roots (after a stop
# or a kill -9).
eng_restart_berthd() {
	"$BERTHD" --root "$T/root" --run-root "$T/run" -H "unix://$SOCK" "${ENG_BERTHD_ARGS[@]}" \
		>>"$T/berthd.log" 2>&1 </dev/null &
	DPID=$!
	eng_wait_ping
}
eng_stop_berthd() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	return 0
}
eng_kill9_berthd() {
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	return 0
}
eng_pull() {
	b pull -q "$ENG_IMG" >"$T/pull.out" 2>&1 || fail "pull $ENG_IMG: $(cat "$T/pull.out")"
}

b() { "$BERTH" -H "unix://$SOCK" "$@"; }
d() { DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG=$T/docker "$DOCKER" "$@"; }
# b_out ARGS: berth with stdin from /dev/null; RC, OUT, ERR. stdin from a
# file: B_IN=FILE b_out ARGS.
b_out() {
	RC=0
	timeout -s KILL "$ENG_CMD_TIMEOUT" "$BERTH" -H "unix://$SOCK" "$@" >"$T/o" 2>"$T/e" <"${B_IN:-/dev/null}" || RC=$?
	OUT=$(cat "$T/o")
	ERR=$(cat "$T/e")
}
d_out() {
	RC=0
	DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG=$T/docker timeout -s KILL "$ENG_CMD_TIMEOUT" "$DOCKER" "$@" \
		>"$T/o" 2>"$T/e" <"${B_IN:-/dev/null}" || RC=$?
	OUT=$(cat "$T/o")
	ERR=$(cat "$T/e")
}
# b_ok ARGS: b_out and require exit 0; OUT holds stdout.
b_ok() {
	b_out "$@"
	[ "$RC" -eq 0 ] || fail "berth $* exited $RC; stderr: $ERR; stdout: $OUT"
}
# b_tty 'ARGS': berth under a pty (script); output in OUT (CR stripped), RC.
b_tty() {
	RC=0
	timeout -s KILL "$ENG_CMD_TIMEOUT" script -qec "$BERTH -H unix://$SOCK $1" /dev/null \
		<"${B_IN:-/dev/null}" >"$T/tty.out" 2>&1 || RC=$?
	OUT=$(tr -d '\r' <"$T/tty.out")
}
d_tty() {
	RC=0
	DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG=$T/docker \
		timeout -s KILL "$ENG_CMD_TIMEOUT" script -qec "$DOCKER $1" /dev/null \
		<"${B_IN:-/dev/null}" >"$T/tty.out" 2>&1 || RC=$?
	OUT=$(tr -d '\r' <"$T/tty.out")
}

# insp ID TEMPLATE: one field through inspect -f.
insp() { b inspect -f "$2" "$1"; }
# eng_wait_state ID STATUS [SECONDS]: poll .State.Status.
eng_wait_state() {
	local id=$1 want=$2 n=$((${3:-10} * 20)) s=
	while [ "$n" -gt 0 ]; do
		s=$(insp "$id" '{{.State.Status}}' 2>/dev/null)
		[ "$s" = "$want" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	fail "container '$id' status is '$s', wanted '$want'"
}
# eng_wait_for SECONDS CMD...: poll CMD until it succeeds.
eng_wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# eng_ids: the full ids this test's berthd knows (its API, then the run
# and state dirs), remembered for the family's final sweep.
eng_ids() {
	{
		[ -S "${SOCK:-/nonexistent}" ] && timeout 10 "$BERTH" -H "unix://$SOCK" ps -a -q --no-trunc 2>/dev/null
		ls "$T/run/containers" 2>/dev/null
		ls "$T/root/containers" 2>/dev/null
		cat "$T/.cids" 2>/dev/null
	} | grep -E '^[0-9a-f]{64}$' | sort -u | tee -a "$T/.cids" "$SUITE_TMP/cids" | sort -u
}
# eng_track ID...: remember ids (short or full) for leak checks.
eng_track() {
	local id full
	for id in "$@"; do
		full=$(insp "$id" '{{.Id}}' 2>/dev/null) || continue
		echo "$full" >>"$T/.cids"
		echo "$full" >>"$SUITE_TMP/cids"
	done
}
# eng_cgroups ID: cgroup dirs of one container, in every hierarchy.
eng_cgroups() {
	local mnt
	[ -n "${ENG_CG_MOUNTS:-}" ] || ENG_CG_MOUNTS=$(cgroup_mounts)
	for mnt in $ENG_CG_MOUNTS; do
		[ -d "$mnt/$ENG_CG_PARENT/$1" ] && echo "$mnt/$ENG_CG_PARENT/$1"
	done
	return 0
}
# eng_monitors: monitor processes (and anything else but berthd) whose
# command line names this test's dir.
eng_monitors() {
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "${DPID:-}" ] || [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		{ mapfile -d '' cmd <"/proc/$p/cmdline"; } 2>/dev/null || continue
		[[ "${cmd[*]:-}" == *"$T/"* ]] || continue
		[[ "${cmd[0]:-}" == *berthd ]] && continue
		pid_alive "$p" && ! is_ancestor "$p" && echo "$p"
	done
	return 0
}
# berthd keeps <run-root>/netns a mount point of its own (shared
# propagation, so namespace files bound inside it are seen by monitors) for
# as long as it runs, as `ip netns` does with /run/netns: not a leak of a
# container, so eng_mounts leaves it out and eng_cleanup unmounts it after
# berthd stops.
eng_mounts() { grep -F "$T/" /proc/self/mountinfo | awk -v ns="$T/run/netns" '$5 != ns { print $5 }' || true; }
# eng_leak_check: after every container is removed: no cgroup of any
# container id the test saw, no mount naming $T, no monitor.
eng_leak_check() {
	local id cgs= n
	for n in $(seq 30); do
		[ -z "$(eng_monitors)" ] && break
		sleep 0.1
	done
	for id in $(eng_ids) $(sort -u "$T/.cids" 2>/dev/null); do
		cgs="$cgs$(eng_cgroups "$id")"
	done
	[ -z "$cgs" ] || fail "cgroups left behind: $cgs"
	[ -z "$(eng_mounts)" ] || fail "mounts left behind: $(eng_mounts)"
	local m
	m=$(eng_monitors)
	[ -z "$m" ] || fail "processes left behind: $(for p in $m; do echo -n "$p:$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null); "; done)"
	[ -z "$(ls -A "$T/run/containers" 2>/dev/null)" ] || fail "run dirs left: $(ls "$T/run/containers")"
}
# eng_kill_cgroup_procs ID: SIGKILL whatever is in a container's cgroups
# (thawing first), then remove them.
eng_kill_cgroup_procs() {
	local d p n
	for n in 1 2 3; do
		for d in $(eng_cgroups "$1"); do
			[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		done
		[ -z "$(for d in $(eng_cgroups "$1"); do cat "$d/cgroup.procs"; done 2>/dev/null)" ] && break
		sleep 0.2
	done
	for d in $(eng_cgroups "$1"); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}
# eng_cleanup: the EXIT trap of a test with a berthd: remove every
# container through berthd, stop it, then sweep what is left by pid,
# cgroup and mount point.
eng_cleanup() {
	local ids id p mnt
	ids=$(eng_ids)
	if [ -n "${DPID:-}" ] && pid_alive "$DPID" && [ -n "$ids" ]; then
		timeout 20 "$BERTH" -H "unix://$SOCK" rm -f -v $ids >/dev/null 2>&1
	fi
	[ -n "${DPID:-}" ] && eng_stop_berthd
	for p in $(eng_monitors); do kill -9 "$p" 2>/dev/null; done
	for id in $ids; do eng_kill_cgroup_procs "$id"; done
	for mnt in $(eng_mounts | sort -r); do umount -l "$mnt" 2>/dev/null; done
	umount -l "$T/run/netns" 2>/dev/null
	return 0
}
# eng_teardown: end of a family: the registry, then any container cgroup
# a test left (by the ids the tests recorded).
eng_teardown() {
	local id
	eng_stop_registry
	trap - EXIT
	[ -f "$SUITE_TMP/cids" ] || return 0
	for id in $(sort -u "$SUITE_TMP/cids"); do eng_kill_cgroup_procs "$id"; done
	return 0
}
