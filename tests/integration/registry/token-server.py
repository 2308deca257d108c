#!/usr/bin/env python3
"""token-server.py - a tiny Docker registry token server for the registry
family's bearer-auth tests (python3 stdlib only; signing by openssl).

    token-server.py --key KEY --cert CERT --issuer ISS --port-file FILE
                    [--user berth --password t0ken-pw] [--log FILE]

Listens on 127.0.0.1 on a free port (written to --port-file once it is
listening). GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
with HTTP basic credentials answers {"token", "access_token", "expires_in",
"issued_at"}: a JWT signed RS256 with KEY (openssl dgst -sha256 -sign), the
header carrying CERT as x5c so that docker-registry verifies it against its
rootcertbundle. Claims: iss, sub, aud (= service), exp/nbf/iat, jti and
access granting every requested scope. No or wrong credentials: 401.

Every request leaves one line in --log (never a password or a token):
    issued sub=berth aud=S scope=repository:NAME:pull,push
    refused user=NAME reason=...
"""
import argparse
import base64
import datetime
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def cert_der_b64(cert_path):
    """The certificate as base64 (standard alphabet, padded) DER, for x5c."""
    with open(cert_path, "rb") as f:
        pem = f.read().decode("ascii")
    body = pem.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    der = base64.b64decode("".join(body.split()))
    return base64.b64encode(der).decode("ascii")


def parse_scope(scope):
    """'repository:NAME:pull,push' -> access entry; NAME may hold ':' (a port)."""
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1]
    return {"type": typ, "name": name,
            "actions": [a for a in actions.split(",") if a]}


class Server(ThreadingHTTPServer):
    daemon_threads = True


def make_handler(opts, x5c):
    def log_line(line):
        with open(opts.log, "a") as f:
            f.write(line + "\n")

    def sign(signing_input):
        p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", opts.key],
                           input=signing_input, capture_output=True, check=True)
        return p.stdout

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def reply(self, status, doc, extra=None):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def refuse(self, user, reason):
            log_line("refused user=%s reason=%s" % (user or "-", reason))
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                         "message": "authentication required"}]},
                       {"WWW-Authenticate": 'Basic realm="berth-test-token"'})

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/token":
                self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
                return
            q = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            if not auth.lower().startswith("basic "):
                self.refuse(None, "no-credentials")
                return
            try:
                user, _, pw = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except Exception:
                self.refuse(None, "unreadable-credentials")
                return
            if not (secrets.compare_digest(user, opts.user)
                    and secrets.compare_digest(pw, opts.password)):
                self.refuse(user, "wrong-credentials")
                return
            service = q.get("service", [""])[0]
            scopes = []
            for s in q.get("scope", []):
                scopes.extend(s.split(" "))
            access = [a for a in (parse_scope(s) for s in scopes if s) if a]
            now = int(time.time())
            header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
            claims = {"iss": opts.issuer, "sub": user, "aud": service,
                      "exp": now + opts.ttl, "nbf": now - 1, "iat": now,
                      "jti": secrets.token_hex(16), "access": access}
            signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                             b64url(json.dumps(claims, separators=(",", ":")).encode()))
            try:
                sig = sign(signing_input.encode())
            except subprocess.CalledProcessError as e:
                log_line("error openssl: %s" % e.stderr.decode(errors="replace").strip())
                self.reply(500, {"errors": [{"code": "SIGNING_FAILED"}]})
                return
            token = signing_input + "." + b64url(sig)
            log_line("issued sub=%s aud=%s scope=%s" % (user, service, " ".join(scopes) or "-"))
            issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            self.reply(200, {"token": token, "access_token": token, "expires_in": opts.ttl,
                             "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ")})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--user", default="berth")
    ap.add_argument("--password", default="t0ken-pw")
    ap.add_argument("--ttl", type=int, default=300)
    opts = ap.parse_args()
    srv = Server(("127.0.0.1", 0), make_handler(opts, cert_der_b64(opts.cert)))
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
