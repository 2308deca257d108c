#!/usr/bin/env python3
"""console-socket.py SOCKET OUTFILE [INPUT]

A --console-socket receiver for OCI runtime tests: listens on SOCKET,
accepts one connection, receives the pty master fd via SCM_RIGHTS, writes
INPUT (if given) to it, then copies everything read from the pty to OUTFILE
until the slave side is closed (EIO) or 30 s pass. Writes "ready" to
OUTFILE.ready once listening so the caller can start the runtime.
"""
import os, select, socket, sys, time

sock_path, out_path = sys.argv[1], sys.argv[2]
data_in = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
open(out_path + ".ready", "w").write("ready\n")
srv.settimeout(30)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
conn.close()
srv.close()
if not fds:
    sys.exit("no fd received")
master = fds[0]
if data_in:
    os.write(master, data_in)
deadline = time.time() + 30
with open(out_path, "wb") as out:
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out.write(chunk)
        out.flush()
