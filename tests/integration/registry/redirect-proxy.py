#!/usr/bin/env python3
"""redirect-proxy.py - a registry front for the registry family's redirect
test (python3 stdlib only), as registries that keep blobs in other storage.

    redirect-proxy.py --upstream HOST:PORT --port-file FILE --log FILE

Listens on 127.0.0.1 on a free port (written to --port-file once it is
listening). GET /v2/<name>/blobs/<digest> is answered with
307 Location: http://UPSTREAM/v2/<name>/blobs/<digest>; every other GET or
HEAD (/v2/, manifests, blob HEADs) is proxied to UPSTREAM as is (status,
headers, body; redirects not followed). One line per request in --log:
    redirect GET /v2/NAME/blobs/DIGEST
    proxy GET /v2/NAME/manifests/REF 200
"""
import argparse
import http.client
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOB = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    logf = open(a.log, "a", buffering=1)

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def proxy(self, method):
            path = self.path.split("?", 1)[0]
            if method == "GET" and BLOB.match(path):
                self.send_response(307)
                self.send_header("Location", "http://%s%s" % (a.upstream, self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()
                logf.write("redirect GET %s\n" % path)
                return
            c = http.client.HTTPConnection(a.upstream, timeout=30)
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower() not in HOP and k.lower() != "host"}
            c.request(method, self.path, headers=hdrs)
            r = c.getresponse()
            body = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)
            c.close()
            logf.write("proxy %s %s %d\n" % (method, path, r.status))

        def do_GET(self):
            self.proxy("GET")

        def do_HEAD(self):
            self.proxy("HEAD")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
