#!/bin/bash
# The peers family: real container managers drive $RUNTIME.
#   (a) podman with --runtime $RUNTIME, private --root/--runroot storage,
#       an image imported from the busybox rootfs;
#   (b) containerd started by this script (own root, state, socket, config)
#       and ctr run --runc-binary $RUNTIME on an image made with umoci and
#       skopeo from the same rootfs.
# Everything lives under the suite's temp dir and is stopped by pid/name of
# what this script created.
#   RUNTIME=runc tests/integration/peers/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

suite_begin peers
if [ ! -x "$RUNTIME" ]; then
	echo "skip peers/all: runtime '$RUNTIME' not built" | tee -a "$BERTH_RESULTS"
	suite_end
	exit $?
fi

P=$SUITE_TMP/peers
mkdir -p "$P"
IMAGE=localhost/berth-busybox:test
PODMAN_NAMES=()

# podman with private storage and the flags this machine needs.
pm() {
	podman --root "$P/podman/root" --runroot "$P/podman/runroot" --tmpdir "$P/podman/tmp" \
		--storage-driver vfs --cgroup-manager=cgroupfs --events-backend file \
		--runtime "$RUNTIME" "$@"
}
PM_RUN_FLAGS=(--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
pm_name() { # a unique container name, remembered for cleanup
	local n=berth-peer-$$-$1
	PODMAN_NAMES+=("$n")
	echo "$n" >>"$P/podman-names"
	echo "$n"
}

podman_setup() {
	command -v podman >/dev/null || return 1
	mkdir -p "$P/podman/tmp"
	tar -C "$(suite_rootfs)" -cf "$P/rootfs.tar" . || return 1
	pm import --change 'CMD ["sh"]' "$P/rootfs.tar" "$IMAGE" >"$P/podman-import.log" 2>&1
}

t_podman_echo() {
	local out
	out=$(pm run --rm "${PM_RUN_FLAGS[@]}" "$IMAGE" echo hi 2>"$T/err") || fail "podman run failed: $(cat "$T/err")"
	assert_eq hi "$out" "podman run output"
}

t_podman_exit_code() {
	local rc=0
	pm run --rm "${PM_RUN_FLAGS[@]}" "$IMAGE" sh -c 'exit 3' 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "exit code through podman (stderr: $(cat "$T/err"))"
}

t_podman_tty() {
	local out
	# stdin stays open while the container runs: an early EOF on script's
	# stdin can end the session before podman copies the output.
	out=$(script -qec "podman --root $P/podman/root --runroot $P/podman/runroot --tmpdir $P/podman/tmp --storage-driver vfs --cgroup-manager=cgroupfs --events-backend file --runtime $RUNTIME run -it --rm ${PM_RUN_FLAGS[*]} $IMAGE sh -c 'tty; test -t 0 && echo IS-A-TTY'" /dev/null < <(sleep 3) 2>&1 | tr -d '\r') ||
		fail "podman run -it failed: $out"
	[[ $out == *"/dev/pts/"* ]] || fail "tty output: $out"
	assert_contains "$out" IS-A-TTY "test -t 0 under podman -it"
}

t_podman_exec() {
	local n
	n=$(pm_name exec)
	pm run -d --name "$n" "${PM_RUN_FLAGS[@]}" "$IMAGE" sleep 100 >/dev/null 2>"$T/err" || fail "podman run -d failed: $(cat "$T/err")"
	local out rc=0
	out=$(pm exec "$n" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "') || fail "podman exec failed"
	assert_eq "in-exec
sleep 100 " "$out" "podman exec output"
	pm exec "$n" sh -c 'exit 5' || rc=$?
	assert_eq 5 "$rc" "podman exec exit code"
	pm rm -f -t 0 "$n" >/dev/null
}

t_podman_stop() {
	local n
	n=$(pm_name stop)
	pm run -d --name "$n" "${PM_RUN_FLAGS[@]}" "$IMAGE" sleep 100 >/dev/null 2>"$T/err" || fail "podman run -d failed: $(cat "$T/err")"
	assert_eq true "$(pm inspect -f '{{.State.Running}}' "$n")" "running before stop"
	local t0=$SECONDS
	pm stop -t 2 "$n" >/dev/null 2>"$T/err" || fail "podman stop failed: $(cat "$T/err")"
	[ $((SECONDS - t0)) -lt 20 ] || fail "podman stop took $((SECONDS - t0))s"
	assert_eq false "$(pm inspect -f '{{.State.Running}}' "$n")" "running after stop"
	pm rm -f -t 0 "$n" >/dev/null
}

t_podman_pause() {
	local n
	n=$(pm_name pause)
	pm run -d --name "$n" "${PM_RUN_FLAGS[@]}" "$IMAGE" sleep 100 >/dev/null 2>"$T/err" || fail "podman run -d failed: $(cat "$T/err")"
	pm pause "$n" >/dev/null 2>"$T/err" || fail "podman pause failed: $(cat "$T/err")"
	assert_eq paused "$(pm inspect -f '{{.State.Status}}' "$n")" "status after pause"
	pm unpause "$n" >/dev/null 2>"$T/err" || fail "podman unpause failed: $(cat "$T/err")"
	assert_eq running "$(pm inspect -f '{{.State.Status}}' "$n")" "status after unpause"
	local out
	out=$(pm exec "$n" echo alive) || fail "exec after unpause failed"
	assert_eq alive "$out" "exec after unpause"
	pm rm -f -t 0 "$n" >/dev/null
}

t_podman_oom() {
	local rc=0
	pm run --rm -m 16m --memory-swap 16m "${PM_RUN_FLAGS[@]}" "$IMAGE" \
		sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived ${#x}' >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 137 "$rc" "exit code of an OOM-killed podman run (out: $(cat "$T/out"); err: $(cat "$T/err"))"
}

podman_cleanup() {
	local n
	[ -f "$P/podman-names" ] || true
	for n in $(cat "$P/podman-names" 2>/dev/null); do
		pm rm -f -t 0 "$n" >/dev/null 2>&1 || true
	done
	pm rmi -f "$IMAGE" >/dev/null 2>&1 || true
	awk -v t="$P/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}

# ------------------------------------------------------------ containerd

CTRD_PID=
CTR_NS=berthtest-$$
# containerd 1.6 keeps shim sockets and the runc state of a namespace under
# /run/containerd whatever its --state says; remove what this run made.
RUN_CTRD_EXISTED=0
[ -d /run/containerd ] && RUN_CTRD_EXISTED=1
ctr_() { ctr -a "$P/ctrd/containerd.sock" -n "$CTR_NS" "$@"; }

containerd_setup() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || return 1
	mkdir -p "$P/ctrd"
	cat >"$P/ctrd/config.toml" <<CFG
version = 2
root = "$P/ctrd/root"
state = "$P/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$P/ctrd/containerd.sock"
[ttrpc]
  address = "$P/ctrd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
CFG
	containerd --config "$P/ctrd/config.toml" >"$P/ctrd/log" 2>&1 &
	CTRD_PID=$!
	local n=0
	until ctr -a "$P/ctrd/containerd.sock" version >/dev/null 2>&1; do
		sleep 0.2
		n=$((n + 1))
		[ $n -lt 100 ] && pid_alive "$CTRD_PID" || { tail -5 "$P/ctrd/log"; return 1; }
	done
	# An OCI layout from the rootfs (umoci), as a docker-archive (skopeo).
	umoci init --layout "$P/oci" &&
		umoci new --image "$P/oci:latest" &&
		umoci insert --image "$P/oci:latest" "$(suite_rootfs)" / >/dev/null &&
		umoci config --image "$P/oci:latest" --config.cmd sh &&
		skopeo copy --quiet "oci:$P/oci:latest" "docker-archive:$P/img.tar:berth/busybox:ctr" &&
		ctr_ images import --snapshotter native "$P/img.tar" >"$P/ctr-import.log" 2>&1
}

t_ctr_echo() {
	local out
	out=$(ctr_ run --rm --snapshotter native --runc-binary "$RUNTIME" docker.io/berth/busybox:ctr "berth-ctr-$$" echo hi 2>"$T/err") ||
		fail "ctr run failed: $(cat "$T/err")"
	assert_eq hi "$(tr -d '\r' <<<"$out")" "ctr run output"
}

t_ctr_exit_code() {
	local rc=0
	ctr_ run --rm --snapshotter native --runc-binary "$RUNTIME" docker.io/berth/busybox:ctr "berth-ctr-$$-rc" sh -c 'exit 3' 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "exit code through ctr (stderr: $(cat "$T/err"))"
}

containerd_cleanup() {
	if [ -n "$CTRD_PID" ]; then
		local c
		for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$c" >/dev/null 2>&1; done
		sleep 0.3
		for c in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_ tasks delete -f "$c" >/dev/null 2>&1
			ctr_ containers delete "$c" >/dev/null 2>&1
		done
		kill "$CTRD_PID" 2>/dev/null
		local n=0
		while pid_alive "$CTRD_PID" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		pid_alive "$CTRD_PID" && kill -9 "$CTRD_PID"
		wait "$CTRD_PID" 2>/dev/null
	fi
	awk -v t="$P/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	rmdir "/run/containerd/runc/$CTR_NS" 2>/dev/null
	# containerd puts its containers under the cgroup /<namespace>/<id>; the
	# runtime removes <id>, the namespace's parent is ours to remove.
	local d
	for d in /sys/fs/cgroup/*/"$CTR_NS" /sys/fs/cgroup/"$CTR_NS"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	if [ "$RUN_CTRD_EXISTED" = 0 ]; then
		rmdir /run/containerd/runc /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
	fi
}

# ------------------------------------------------------------ run

skip_all() { # PREFIX WHY TESTS...
	local pre=$1 why=$2
	shift 2
	for t in "$@"; do echo "skip $pre/$t: $why" | tee -a "$BERTH_RESULTS"; done
}

if podman_setup; then
	run_test peers/podman/run-echo t_podman_echo
	run_test peers/podman/exit-code t_podman_exit_code
	run_test peers/podman/run-it-tty t_podman_tty
	run_test peers/podman/exec t_podman_exec
	run_test peers/podman/stop t_podman_stop
	run_test peers/podman/pause-unpause t_podman_pause
	run_test peers/podman/memory-oom-137 t_podman_oom
else
	echo "fail peers/podman/setup" | tee -a "$BERTH_RESULTS"
	cat "$P/podman-import.log" 2>/dev/null
fi
podman_cleanup

if containerd_setup; then
	run_test peers/containerd/ctr-run-echo t_ctr_echo
	run_test peers/containerd/ctr-exit-code t_ctr_exit_code
else
	echo "fail peers/containerd/setup" | tee -a "$BERTH_RESULTS"
	tail -20 "$P/ctrd/log" "$P/ctr-import.log" 2>/dev/null
fi
containerd_cleanup

suite_end
