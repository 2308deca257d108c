#!/usr/bin/env python3
"""bench/run - what a container costs: `berth run --rm IMAGE true` end to
end against `podman run --rm`, the memory an idle container keeps beyond
its own process, and 500 concurrent containers.

    bench/run/run.py [-n N] [--many M] [--berth PATH] [--berthd PATH]
                     [--podman-many] [--skip-many]
    (N defaults to 30, or $N; M to 500, or $MANY)

Setup: builds a busybox OCI image with umoci (scripts/make-rootfs.sh),
starts Debian's docker-registry on a free port of 127.0.0.1 with its own
config and storage, pushes the image with skopeo, starts a berthd with a
fresh --root/--run-root/-H under a temp dir, and gives podman its own
--root/--runroot there too. Both pull the same image from the registry.
Podman runs as this machine needs it: --runtime runc
--cgroup-manager=cgroupfs --ulimit nofile=20000:20000
--ulimit nproc=32768:32768.

1. run: N rounds, each one `berth run --rm IMG true` and one `podman run
   --rm IMG true`, the order swapped every round (drift hits both alike);
   wall time of the client command, which waits for the container to exit
   and be removed. Medians, means, the ratio berth/podman (target <= 0.1).
2. idle memory: one `run -d IMG sleep` each; what runs per container
   besides the container's own process: for berth every process whose
   command line names berthd's run root (the berth-monitor), for podman
   its conmon. RSS, PSS and USS (private pages, smaps_rollup) in KiB; the
   ratios (target <= 0.5).
3. many: M `berth run -d IMG sleep 3600` started by 4 client threads (the
   containers all run at once), then `rm -f` of all in batches of 50.
   Total times, per-container start cost, MemAvailable drop / M, monitor
   RSS and PSS per container. --podman-many does the same with podman.

Every process it starts (registry, berthd) is stopped by its pid; every
container is removed; the temp dir goes at the end. Run as root, by hand:
the test suite does not run it.
"""
import argparse
import concurrent.futures
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PODMAN_RUN_FLAGS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]


def quiet(argv, **kw):
    """Run argv; return (exit status, stdout+stderr text)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, **kw)
    return p.returncode, p.stdout


def must(argv, what):
    rc, out = quiet(argv)
    if rc != 0:
        raise SystemExit("bench/run: %s failed (exit %d): %s" % (what, rc, out.strip()[-800:]))
    return out


def timed(argv):
    """Wall seconds of argv with its output discarded; (seconds, status)."""
    t0 = time.perf_counter()
    rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - t0, rc


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Procs:
    """Long-running helpers (registry, berthd), stopped by pid."""

    def __init__(self):
        self.procs = []

    def start(self, argv, log):
        f = open(log, "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        f.close()
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []


# ---------------------------------------------------------------- setup

def build_image(work):
    oci = os.path.join(work, "oci")
    b = os.path.join(work, "b")
    must(["umoci", "init", "--layout", oci], "umoci init")
    must(["umoci", "new", "--image", oci + ":1"], "umoci new")
    must(["umoci", "unpack", "--image", oci + ":1", b], "umoci unpack")
    must(["sh", os.path.join(TOP, "scripts", "make-rootfs.sh"), os.path.join(b, "rootfs")], "make-rootfs")
    must(["umoci", "repack", "--image", oci + ":1", b], "umoci repack")
    must(["umoci", "config", "--image", oci + ":1", "--config.cmd", "sh"], "umoci config")
    shutil.rmtree(b)
    return oci


def start_registry(procs, work):
    d = os.path.join(work, "registry")
    os.makedirs(os.path.join(d, "data"))
    port = free_port()
    with open(os.path.join(d, "config.yml"), "w") as f:
        f.write("version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n"
                "http: {addr: 127.0.0.1:%d}\n" % (os.path.join(d, "data"), port))
    procs.start(["docker-registry", "serve", os.path.join(d, "config.yml")], os.path.join(d, "log"))
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=1)
            return "127.0.0.1:%d" % port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("bench/run: docker-registry did not start")


class Berth:
    def __init__(self, procs, work, berth, berthd):
        self.dir = os.path.join(work, "berth")
        self.run_root = os.path.join(self.dir, "run")
        self.sock = os.path.join(self.run_root, "berth.sock")
        self.berth = berth
        self.p = procs.start([berthd, "--root", os.path.join(self.dir, "root"), "--run-root", self.run_root,
                              "-H", "unix://" + self.sock], os.path.join(work, "berthd.log"))
        for _ in range(200):
            rc, out = quiet(["curl", "-s", "--unix-socket", self.sock, "http://x/_ping"])
            if out == "OK":
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("bench/run: berthd did not start; see %s" % os.path.join(work, "berthd.log"))

    def cmd(self, *args):
        return [self.berth, "-H", "unix://" + self.sock] + list(args)

    def run_argv(self, img, opts, cmd):
        return self.cmd("run", *opts, img, *cmd)

    def per_container_pids(self, cid):
        """Processes berth keeps for containers: anything naming berthd's
        root or run root on its command line (the monitor names its
        <root>/containers/<id>/monitor.json), berthd itself aside (all containers' when
        cid is None: with one container running that is its own)."""
        return [p for p in cmdline_pids(self.dir + "/") if p != self.p.pid]


class Podman:
    def __init__(self, work):
        self.dir = os.path.join(work, "podman")
        self.base = ["podman", "--root", os.path.join(self.dir, "root"), "--runroot",
                     os.path.join(self.dir, "runroot"), "--runtime", "runc", "--cgroup-manager=cgroupfs",
                     "--events-backend", "file"]

    def cmd(self, *args):
        return self.base + list(args)

    def run_argv(self, img, opts, cmd):
        return self.cmd("run", *(PODMAN_RUN_FLAGS + list(opts)), img, *cmd)

    def per_container_pids(self, cid):
        """The conmon of cid; of every container of this storage when cid
        is None."""
        return [p for p in cmdline_pids(cid or self.dir) if proc_comm(p) == "conmon"]


def cmdline_pids(needle):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmd:
            out.append(int(d))
    return [p for p in out if p != os.getpid()]


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def mem_of(pid):
    """(RSS KiB, PSS KiB, USS KiB) of pid; zeros when it is gone. USS
    (Private_Clean + Private_Dirty) is what would be freed if it ended."""
    rss = pss = uss = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    uss += int(line.split()[1])
    except OSError:
        pass
    return rss, pss, uss


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- phases

def bench_run(tools, img, n):
    times = {name: [] for name, _ in tools}
    fails = {name: 0 for name, _ in tools}
    for i in range(n):
        order = tools if i % 2 == 0 else list(reversed(tools))
        for name, t in order:
            dt, rc = timed(t.run_argv(img[name], ["--rm"], ["true"]))
            if rc != 0:
                fails[name] += 1
            else:
                times[name].append(dt)
    return times, fails


def idle_memory(name, t, img):
    rc, out = quiet(t.run_argv(img, ["-d"], ["sleep", "3600"]))
    if rc != 0:
        return None, "run -d failed: %s" % out.strip()[-300:]
    cid = out.strip().splitlines()[-1]
    time.sleep(1.0)  # let it settle: the monitor's lazy allocations done
    pids = t.per_container_pids(cid)
    rss = pss = uss = 0
    for p in pids:
        r, s, u = mem_of(p)
        rss += r
        pss += s
        uss += u
    procs = ", ".join("%s(%d)" % (proc_comm(p), p) for p in pids)
    quiet(t.cmd("rm", "-f", cid))
    return (rss, pss, procs, uss), None


def many(name, t, img, m):
    subprocess.run(["sync"])
    time.sleep(0.5)
    avail0 = mem_available()
    ids = []
    failures = []

    def start(_):
        rc, out = quiet(t.run_argv(img, ["-d"], ["sleep", "3600"]))
        return rc, out.strip()

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        for rc, out in ex.map(start, range(m)):
            if rc == 0:
                ids.append(out.splitlines()[-1])
            else:
                failures.append(out.replace("\n", " "))
    t_start = time.perf_counter() - t0
    time.sleep(1.0)
    avail1 = mem_available()
    running = len([l for l in quiet(t.cmd("ps", "-q"))[1].splitlines() if l.strip()])
    rss = pss = 0
    pids = set(t.per_container_pids(None))
    for p in pids:
        r, s, _ = mem_of(p)
        rss += r
        pss += s
    t0 = time.perf_counter()
    for i in range(0, len(ids), 50):
        quiet(t.cmd("rm", "-f", *ids[i:i + 50]))
    t_rm = time.perf_counter() - t0
    left = len([l for l in quiet(t.cmd("ps", "-a", "-q"))[1].splitlines() if l.strip()])
    return {
        "started": len(ids), "failed": len(failures), "first_failure": failures[0] if failures else "",
        "running": running, "t_start": t_start, "t_rm": t_rm,
        "avail_drop_kib": avail0 - avail1, "helpers": len(pids), "rss": rss, "pss": pss, "left": left,
    }


# ---------------------------------------------------------------- main

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=int(os.environ.get("N", "30")))
    ap.add_argument("--many", type=int, default=int(os.environ.get("MANY", "500")))
    build = os.environ.get("BERTH_BUILD", os.path.join(TOP, "build"))
    ap.add_argument("--berth", default=os.environ.get("BERTH", os.path.join(build, "src", "cmd", "berth", "berth")))
    ap.add_argument("--berthd", default=os.environ.get("BERTHD", os.path.join(build, "src", "cmd", "berthd", "berthd")))
    ap.add_argument("--podman-many", action="store_true", help="also start --many podman containers (slow)")
    ap.add_argument("--skip-many", action="store_true")
    ap.add_argument("--no-berth", action="store_true", help="podman only (its baseline)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/run: run as root")
    for tool in ("docker-registry", "skopeo", "umoci", "podman", "curl"):
        if not shutil.which(tool):
            sys.exit("bench/run: %s not installed" % tool)

    work = tempfile.mkdtemp(prefix="berth-bench-run.")
    procs = Procs()
    tools = []
    try:
        print("setup: image, registry, berthd, podman storage in %s" % work)
        oci = build_image(work)
        reg = start_registry(procs, work)
        ref = "%s/bench/busybox:1" % reg
        must(["skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:%s:1" % oci, "docker://" + ref], "skopeo push")
        berth = None
        if args.no_berth:
            print("note: --no-berth: podman only")
        elif not (os.access(args.berth, os.X_OK) and os.access(args.berthd, os.X_OK)):
            print("note: %s or %s not built: berth skipped" % (args.berth, args.berthd))
        else:
            berth = Berth(procs, work, os.path.abspath(args.berth), os.path.abspath(args.berthd))
            rc, out = quiet(berth.cmd("pull", "-q", ref))
            if rc != 0:
                print("note: berth pull failed: %s" % out.strip()[-300:])
                berth = None
            else:
                tools.append(("berth", berth))
        podman = Podman(work)
        must(podman.cmd("pull", "-q", "--tls-verify=false", ref), "podman pull")
        tools.append(("podman", podman))
        img = {name: ref for name, _ in tools}

        # warm-up, and a check each works at all
        usable = []
        for name, t in tools:
            rc, out = quiet(t.run_argv(ref, ["--rm"], ["true"]))
            if rc != 0:
                print("note: %s run --rm failed (exit %d): %s: skipped" % (name, rc, out.strip()[-300:]))
                continue
            usable.append((name, t))
        tools = usable

        print("\n1. run --rm IMAGE true, %d paired rounds" % args.n)
        times, fails = bench_run(tools, img, args.n)
        for name, _ in tools:
            xs = times[name]
            if xs:
                print("  %-7s median %7.1f ms  mean %7.1f ms  min %7.1f ms  (%d failed)" %
                      (name, med(xs) * 1e3, statistics.mean(xs) * 1e3, min(xs) * 1e3, fails[name]))
            else:
                print("  %-7s every run failed" % name)

        print("\n2. idle container: memory kept beyond its own process")
        mem = {}
        for name, t in tools:
            r, why = idle_memory(name, t, ref)
            if r is None:
                print("  %-7s %s" % (name, why))
                continue
            mem[name] = r
            print("  %-7s RSS %6d KiB  PSS %6d KiB  USS %6d KiB  [%s]" %
                  (name, r[0], r[1], r[3], r[2] or "no process"))

        many_r = {}
        if not args.skip_many:
            for name, t in tools:
                if name == "podman" and not args.podman_many:
                    continue
                print("\n3. %d concurrent `%s run -d IMAGE sleep 3600`, then rm -f" % (args.many, name))
                r = many(name, t, ref, args.many)
                many_r[name] = r
                print("  started %d (failed %d%s), running at once %d" %
                      (r["started"], r["failed"], (": " + r["first_failure"][:300]) if r["failed"] else "",
                       r["running"]))
                print("  start all: %.1f s (%.1f ms per container, 4 clients)" %
                      (r["t_start"], r["t_start"] * 1e3 / max(r["started"], 1)))
                print("  rm -f all: %.1f s (%.1f ms per container)" % (r["t_rm"], r["t_rm"] * 1e3 / max(r["started"], 1)))
                print("  MemAvailable drop: %d KiB in all, %.0f KiB per container" %
                      (r["avail_drop_kib"], r["avail_drop_kib"] / max(r["started"], 1)))
                print("  helpers (%s): %d, RSS %.0f KiB / PSS %.0f KiB per container; left after rm: %d" %
                      ("monitors" if name == "berth" else "conmon", r["helpers"], r["rss"] / max(r["started"], 1),
                       r["pss"] / max(r["started"], 1), r["left"]))

        print("\nsummary")
        if "berth" in times and "podman" in times and times["berth"] and times["podman"]:
            ratio = med(times["berth"]) / med(times["podman"])
            print("  run --rm true: berth %.1f ms, podman %.1f ms: %.3fx podman (target <= 0.1x) %s" %
                  (med(times["berth"]) * 1e3, med(times["podman"]) * 1e3, ratio, "ok" if ratio <= 0.1 else "MISSED"))
        elif times.get("podman"):
            print("  run --rm true: podman %.1f ms (berth not measured)" % (med(times["podman"]) * 1e3))
        if "berth" in mem and "podman" in mem:
            for i, what in ((0, "RSS"), (1, "PSS"), (3, "USS")):
                ratio = mem["berth"][i] / mem["podman"][i] if mem["podman"][i] else float("nan")
                print("  idle memory %s: berth %d KiB, podman conmon %d KiB: %.2fx (target <= 0.5x) %s" %
                      (what, mem["berth"][i], mem["podman"][i], ratio, "ok" if ratio <= 0.5 else "MISSED"))
        elif "podman" in mem:
            print("  idle memory: podman conmon RSS %d KiB, PSS %d KiB (berth not measured)" % mem["podman"][:2])
        for name, r in many_r.items():
            print("  %s x%d: start %.1f s, rm %.1f s, %.0f KiB host memory per container (MemAvailable), "
                  "helper RSS %.0f KiB per container" %
                  (name, args.many, r["t_start"], r["t_rm"], r["avail_drop_kib"] / max(r["started"], 1),
                   r["rss"] / max(r["started"], 1)))
    finally:
        cleanup(tools, procs, work)


def cleanup(tools, procs, work):
    for name, t in tools:
        if name == "podman":
            quiet(t.cmd("rm", "-a", "-f", "-t", "0"))
            quiet(t.cmd("rmi", "-a", "-f"))
        else:
            rc, out = quiet(t.cmd("ps", "-a", "-q"))
            ids = out.split()
            for i in range(0, len(ids), 50):
                quiet(t.cmd("rm", "-f", *ids[i:i + 50]))
    procs.stop_all()
    # podman's overlay and berth's leftovers: unmount under work, deepest first
    with open("/proc/self/mountinfo") as f:
        mnts = [l.split()[4] for l in f if l.split()[4].startswith(work + "/")]
    for m in sorted(mnts, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
