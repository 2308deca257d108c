#!/usr/bin/env python3
"""bench/net - what a published port costs: throughput (iperf3) and
request / connection rate (wrk) through a port published with `-p`,
against the same server reached at the container's own address, and
against the same server program on the host's loopback.

    bench/net/run.py [-r ROUNDS] [-t SECONDS] [--berth PATH] [--berthd PATH]
    (ROUNDS defaults to 3, SECONDS to 5)

Setup: builds a busybox OCI image with umoci (scripts/make-rootfs.sh),
with /www/index.html for busybox httpd and the merged-usr links Debian
bookworm has (/lib -> usr/lib, /lib64 -> usr/lib64). iperf3 is not in
busybox: the iperf3 container bind-mounts the host's /usr read-only at
/usr, so /usr/bin/iperf3, its libraries and the dynamic loader are the
host's own (the image's links make /lib64/ld-linux-x86-64.so.2 resolve);
nothing of the host is copied and the binary is the one the host side
runs. The image goes through Debian's docker-registry on a free port of
127.0.0.1 (as bench/run), and a private berthd (fresh --root/--run-root/-H
under a temp dir) pulls it.

Servers: a container running `iperf3 -s` (-p HOSTPORT:5201) and one
running `httpd -f -p 80 -h /www` (-p HOSTPORT:80), both on the default
bridge; on the host, `iperf3 -s` and `busybox httpd` on 127.0.0.1.

Paths measured, one after the other in each round, the order rotated
every round so drift hits them alike:
  pub-lo    127.0.0.1:HOSTPORT (DNAT in output, hairpin via berth0)
  pub-host  HOSTIP:HOSTPORT (the host's own address, DNAT in output)
  direct    CONTAINER_IP:PORT (routed into the bridge, no NAT)
  loopback  the host-side server on 127.0.0.1 (no container at all)
Metrics: iperf3 -c … -t SECONDS -J (received bits/s); wrk -t2 -c50
-dSECONDS (requests/s); wrk with -H 'Connection: close' (new connections
/s: busybox httpd closes after each answer anyway, so both wrk figures
measure connection setup more than bytes). Printed: the median over the
rounds per path and metric, and the ratios published/direct (target
>= 0.9) and published/loopback.

Every process it starts (registry, berthd, host servers) is stopped by its
pid; the containers are removed; the temp dir goes at the end. Run as
root, by hand: the test suite does not run it.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATHS = ["pub-lo", "pub-host", "direct", "loopback"]
METRICS = [("iperf3", "Gbit/s"), ("wrk", "req/s"), ("wrk-close", "conn/s")]


def quiet(argv, **kw):
    """Run argv; return (exit status, stdout+stderr text)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, **kw)
    return p.returncode, p.stdout


def must(argv, what):
    rc, out = quiet(argv)
    if rc != 0:
        raise SystemExit("bench/net: %s failed (exit %d): %s" % (what, rc, out.strip()[-800:]))
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def host_ip():
    """The source address of the default route: the host's own address."""
    out = must(["ip", "-4", "route", "get", "1.1.1.1"], "ip route get")
    m = re.search(r"\bsrc (\S+)", out)
    return m.group(1) if m else None


def wait_tcp(host, port, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class Procs:
    """Long-running helpers (registry, berthd, host servers), by pid."""

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
    """busybox + /www/index.html + the merged-usr links of the host."""
    oci = os.path.join(work, "oci")
    b = os.path.join(work, "b")
    rootfs = os.path.join(b, "rootfs")
    must(["umoci", "init", "--layout", oci], "umoci init")
    must(["umoci", "new", "--image", oci + ":1"], "umoci new")
    must(["umoci", "unpack", "--image", oci + ":1", b], "umoci unpack")
    must(["sh", os.path.join(TOP, "scripts", "make-rootfs.sh"), rootfs], "make-rootfs")
    os.makedirs(os.path.join(rootfs, "www"))
    with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
        f.write("berth bench\n")
    for link in ("lib", "lib64"):
        p = os.path.join(rootfs, link)
        if not os.path.lexists(p):
            os.symlink("usr/" + link, p)
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
    raise SystemExit("bench/net: docker-registry did not start")


class Berth:
    def __init__(self, procs, work, berth, berthd):
        self.dir = os.path.join(work, "berth")
        run_root = os.path.join(self.dir, "run")
        self.sock = os.path.join(run_root, "berth.sock")
        self.berth = berth
        self.log = os.path.join(work, "berthd.log")
        self.p = procs.start([berthd, "--root", os.path.join(self.dir, "root"), "--run-root", run_root,
                              "-H", "unix://" + self.sock], self.log)
        for _ in range(200):
            rc, out = quiet(["curl", "-s", "--unix-socket", self.sock, "http://x/_ping"])
            if out == "OK":
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("bench/net: berthd did not start; see %s" % self.log)

    def cmd(self, *args):
        return [self.berth, "-H", "unix://" + self.sock] + list(args)

    def run_d(self, *args):
        out = must(self.cmd("run", "-d", *args), "berth run -d " + " ".join(args))
        return out.strip().splitlines()[-1]

    def ip_of(self, cid):
        out = must(self.cmd("inspect", cid), "berth inspect")
        return json.loads(out)[0]["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]


# ---------------------------------------------------------------- measuring

def iperf(host, port, secs):
    """Received Gbit/s of one iperf3 run, or None. An iperf3 server takes
    one test at a time and needs a moment after one ends ("the server is
    busy"): a refused start is tried again."""
    for _ in range(5):
        rc, out = quiet(["iperf3", "-c", host, "-p", str(port), "-t", str(secs), "-J"], timeout=secs + 30)
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        if rc == 0 and "end" in j:
            return j["end"]["sum_received"]["bits_per_second"] / 1e9
        if "busy" not in j.get("error", "") and "Connection refused" not in out:
            print("  iperf3 %s:%d: %s" % (host, port, j.get("error", out.strip()[-200:])), flush=True)
            return None
        time.sleep(1)
    return None


def wrk(url, secs, close):
    """Requests/s of one wrk run, or None (also when wrk saw errors on
    most requests)."""
    argv = ["wrk", "-t2", "-c50", "-d%ds" % secs]
    if close:
        argv += ["-H", "Connection: close"]
    rc, out = quiet(argv + [url], timeout=secs + 30)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rc != 0 or not m:
        return None
    return float(m.group(1))


def measure(targets, ip_iperf, ip_http, rounds, secs):
    """targets: path -> (host, iperf3 port, http port); the direct path's
    hosts are the two containers' addresses. Returns {metric: {path:
    [values]}}."""
    res = {m: {p: [] for p in PATHS} for m, _ in METRICS}
    for r in range(rounds):
        order = PATHS[r % len(PATHS):] + PATHS[:r % len(PATHS)]
        for path in order:
            host, ip_port, http_port = targets[path]
            ih, hh = (ip_iperf, ip_http) if path == "direct" else (host, host)
            url = "http://%s:%d/" % (hh, http_port)
            for metric, fn in (("iperf3", lambda: iperf(ih, ip_port, secs)),
                               ("wrk", lambda: wrk(url, secs, False)),
                               ("wrk-close", lambda: wrk(url, secs, True))):
                val = fn()
                res[metric][path].append(val)
                print("  round %d %-8s %-9s %s" % (r + 1, path, metric,
                                                   "failed" if val is None else "%.2f" % val), flush=True)
    return res


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def report(res):
    print("\nmedians")
    print("%-10s %10s %10s %10s %10s   %s  %s" % ("metric", *PATHS, "pub-lo/direct pub-host/direct", "pub-lo/loopback"))
    for metric, unit in METRICS:
        m = {p: med(res[metric][p]) for p in PATHS}

        def ratio(a, b):
            return "%.2f" % (m[a] / m[b]) if m[a] and m[b] else "-"
        cells = ["%10s" % ("-" if m[p] is None else "%.2f" % m[p]) for p in PATHS]
        print("%-10s %s   %13s %14s  %15s   (%s)" % (metric, " ".join(cells), ratio("pub-lo", "direct"),
                                                   ratio("pub-host", "direct"), ratio("pub-lo", "loopback"), unit))
    print("target: published/direct >= 0.9")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-r", "--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    ap.add_argument("-t", "--seconds", type=int, default=5)
    ap.add_argument("--berth", default=os.path.join(TOP, "build", "src", "cmd", "berth", "berth"))
    ap.add_argument("--berthd", default=os.path.join(TOP, "build", "src", "cmd", "berthd", "berthd"))
    args = ap.parse_args()
    for tool in ("umoci", "skopeo", "docker-registry", "iperf3", "wrk", "curl", "busybox"):
        if not shutil.which(tool):
            raise SystemExit("bench/net: %s is not installed" % tool)
    hip = host_ip()
    if not hip:
        raise SystemExit("bench/net: the host has no default route")
    work = tempfile.mkdtemp(prefix="berth-bench-net.")
    os.chmod(work, 0o755)
    procs = Procs()
    b = None
    cids = []
    try:
        oci = build_image(work)
        reg = start_registry(procs, work)
        img = reg + "/bench/net:1"
        must(["skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:%s:1" % oci, "docker://" + img], "skopeo copy")
        b = Berth(procs, work, args.berth, args.berthd)
        must(b.cmd("pull", "-q", img), "berth pull")
        p_iperf, p_http = free_port(), free_port()
        cids.append(b.run_d("-p", "%d:5201" % p_iperf, "-v", "/usr:/usr:ro", img, "/usr/bin/iperf3", "-s", "-p", "5201"))
        cids.append(b.run_d("-p", "%d:80" % p_http, img, "httpd", "-f", "-p", "80", "-h", "/www"))
        ip_iperf, ip_http = b.ip_of(cids[0]), b.ip_of(cids[1])
        h_iperf, h_http = free_port(), free_port()
        www = os.path.join(work, "www")
        os.makedirs(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("berth bench\n")
        procs.start(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(h_iperf)], os.path.join(work, "iperf-host.log"))
        procs.start(["busybox", "httpd", "-f", "-p", "127.0.0.1:%d" % h_http, "-h", www],
                    os.path.join(work, "httpd-host.log"))
        for host, port in (("127.0.0.1", p_iperf), ("127.0.0.1", p_http), (ip_http, 80),
                           ("127.0.0.1", h_iperf), ("127.0.0.1", h_http)):
            if not wait_tcp(host, port):
                raise SystemExit("bench/net: %s:%d does not answer (berthd log: %s)" % (host, port, b.log))
        # The direct path's host is per server (each container has its
        # own address): measure() picks it.
        targets = {
            "pub-lo": ("127.0.0.1", p_iperf, p_http),
            "pub-host": (hip, p_iperf, p_http),
            "direct": (None, 5201, 80),
            "loopback": ("127.0.0.1", h_iperf, h_http),
        }
        print("bench/net: berth %s, %d rounds of %ds, host %s, iperf3 container %s, httpd container %s"
              % (args.berth, args.rounds, args.seconds, hip, ip_iperf, ip_http), flush=True)
        res = measure(targets, ip_iperf, ip_http, args.rounds, args.seconds)
        report(res)
    finally:
        if b is not None and b.p.poll() is None and cids:
            quiet(b.cmd("rm", "-f", *cids))
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def on_term(signum, frame):
    """SIGTERM ends the run through main's finally (containers, berthd,
    registry and host servers stopped, temp dir removed)."""
    raise SystemExit("bench/net: stopped by signal %d" % signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sys.exit(main())
