#!/usr/bin/env python3
"""Hostile and careless clients against one `exomock serve`, for bench/soak.sh (issue 15's soak).

    bench/hostile.py READY.json --workers 40 --duration 600 [--seed 1] [--stats PATH]

Each worker loops over the kinds below (chosen by a seeded random stream, so two runs try the same
mix), each one holding its connection open for a while as a slow or abusive client would, then
closing it. Nothing here checks answers: the soak watches the server (RSS, file descriptors) and a
well-behaved client's latency beside these. `--stats` writes how many of each kind ran and how many
ended in a connection error (a refused or reset connection is an expected outcome for several kinds).
"""
import argparse
import base64
import json
import os
import random
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request

KINDS = [
    "tls-never-finishes",  # TCP to an implicit-TLS port, then silence: the TLS handshake timeout ends it
    "tls-half-hello",  # the first bytes of a ClientHello, then silence
    "http-partial-headers",  # TLS to the token service, half a request head, then silence
    "http-partial-body",  # a token request announcing 1 MB of form body, 10 bytes sent
    "http-huge-length",  # Content-Length: 10^15
    "http-garbage",  # random bytes where a request head belongs
    "form-malformed",  # a complete token request whose form is broken
    "imap-half-line",  # plain IMAP (STARTTLS port): half a command, no CRLF
    "imap-long-line",  # a 200 KiB line without CRLF
    "imap-garbage",  # random lines (CR/LF/NUL inside)
    "imap-huge-literal",  # a literal announcing 2^40 bytes
    "pop3-garbage",  # random lines to plain POP3
    "smtp-garbage",  # random lines to plain SMTP, then DATA without a transaction
    "pop3-pipeline-unread",  # authenticated: 500 x RETR 1 in one write, answers never read
]


def load_ready(path):
    with open(path) as f:
        ready = json.load(f)
    cloud = ready["clouds"][0]
    ports = {(l["service"], l["tls"]): (l["host"], l["port"]) for l in cloud["listeners"]}
    authority = urllib.parse.urlsplit(cloud["authority_url"])
    return ready, cloud, ports, (authority.hostname, authority.port)


def tls_context(ca_file):
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False
    return ctx


def hold(sock, seconds, stop):
    """Keeps the connection open without reading (a client that stopped), up to `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop.is_set():
        time.sleep(0.2)


def app_token(ready, cloud, scenario_tenant, client_id, secret, ctx):
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": cloud["scope_resource"] + "/.default",
        }
    ).encode()
    url = f'{cloud["authority_url"]}/{scenario_tenant}/oauth2/v2.0/token'
    with urllib.request.urlopen(urllib.request.Request(url, data=body), context=ctx, timeout=10) as r:
        return json.load(r)["access_token"]


class Worker(threading.Thread):
    def __init__(self, index, args, env, stats, stop):
        super().__init__(daemon=True)
        self.random = random.Random(args.seed * 1000 + index)
        self.args, self.env, self.stats, self.stop = args, env, stats, stop

    def connect(self, service, mode):
        host, port = self.env["ports"][(service, mode)]
        return socket.create_connection((host, port), timeout=10)

    def tls_token(self):
        raw = socket.create_connection(self.env["token"], timeout=10)
        return self.env["ctx"].wrap_socket(raw, server_hostname="localhost")

    def junk(self, n):
        return bytes(self.random.randrange(256) for _ in range(n))

    def run_kind(self, kind):
        hold_for = self.random.uniform(2, self.args.max_hold)
        if kind == "tls-never-finishes":
            s = self.connect("imap", "implicit")
            hold(s, hold_for, self.stop)
        elif kind == "tls-half-hello":
            s = self.connect("pop3", "implicit")
            s.sendall(bytes.fromhex("160301020001"))  # a handshake record header announcing 512 bytes
            hold(s, hold_for, self.stop)
        elif kind == "http-partial-headers":
            s = self.tls_token()
            s.sendall(b"POST /common/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\nContent-Ty")
            hold(s, hold_for, self.stop)
        elif kind == "http-partial-body":
            s = self.tls_token()
            s.sendall(b"POST /organizations/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\ngrant_type")
            hold(s, hold_for, self.stop)
        elif kind == "http-huge-length":
            s = self.tls_token()
            s.sendall(b"POST /common/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Length: 1000000000000000\r\n\r\n" + b"a" * 4096)
            hold(s, 1, self.stop)
        elif kind == "http-garbage":
            s = self.tls_token()
            s.sendall(self.junk(2048))
            s.recv(4096)
        elif kind == "form-malformed":
            s = self.tls_token()
            body = b"grant_type=refresh_token&refresh_token=%ZZ&&=&client_id=" + self.junk(64).hex().encode()
            s.sendall(b"POST /common/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                      + str(len(body)).encode() + b"\r\n\r\n" + body)
            s.recv(65536)
        elif kind == "imap-half-line":
            s = self.connect("imap", "starttls")
            s.recv(4096)
            s.sendall(b"a1 NOO")
            hold(s, hold_for, self.stop)
        elif kind == "imap-long-line":
            s = self.connect("imap", "starttls")
            s.recv(4096)
            s.sendall(b"a1 " + b"x" * 200_000)
            hold(s, 2, self.stop)
        elif kind == "imap-garbage":
            s = self.connect("imap", "starttls")
            s.recv(4096)
            for _ in range(20):
                s.sendall(self.junk(self.random.randrange(1, 200)) + b"\r\n")
            s.recv(65536)
        elif kind == "imap-huge-literal":
            s = self.connect("imap", "starttls")
            s.recv(4096)
            s.sendall(b"a1 LOGIN {1099511627776}\r\n")
            s.recv(4096)
        elif kind == "pop3-garbage":
            s = self.connect("pop3", "starttls")
            s.recv(4096)
            for _ in range(20):
                s.sendall(self.junk(self.random.randrange(1, 200)) + b"\r\n")
            s.recv(65536)
        elif kind == "smtp-garbage":
            s = self.connect("smtp", "starttls")
            s.recv(4096)
            s.sendall(b"DATA\r\n" + b"\r\n".join(self.junk(50) for _ in range(20)) + b"\r\n")
            s.recv(65536)
        elif kind == "pop3-pipeline-unread":
            token = self.env["app_token"]
            if token is None:
                return
            raw = self.connect("pop3", "implicit")
            s = self.env["ctx"].wrap_socket(raw, server_hostname="localhost")
            s.recv(4096)
            box = self.env["mailboxes"][self.random.randrange(len(self.env["mailboxes"]))]
            sasl = base64.b64encode(f"user={box}\x01auth=Bearer {token}\x01\x01".encode())
            s.sendall(b"AUTH XOAUTH2\r\n")
            s.recv(4096)
            s.sendall(sasl + b"\r\n")
            s.recv(4096)
            s.sendall(b"RETR 1\r\n" * 500)
            hold(s, hold_for, self.stop)
        s.close()

    def run(self):
        while not self.stop.is_set():
            kind = KINDS[self.random.randrange(len(KINDS))]
            try:
                self.run_kind(kind)
                outcome = "ok"
            except (OSError, ssl.SSLError, ValueError):
                outcome = "connection_error"
            with self.env["lock"]:
                self.stats.setdefault(kind, {"ok": 0, "connection_error": 0})[outcome] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ready")
    parser.add_argument("--workers", type=int, default=40)
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--max-hold", type=float, default=30, help="longest a worker holds a stalled connection (s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tenant", default="8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a")
    parser.add_argument("--client-id", default="11111111-2222-3333-4444-555555555555")
    parser.add_argument("--secret", default="bench-secret")
    parser.add_argument("--stats")
    args = parser.parse_args()
    ready, cloud, ports, token = load_ready(args.ready)
    ctx = tls_context(ready["ca_file"])
    env = {"ports": ports, "token": token, "ctx": ctx, "lock": threading.Lock(),
           "mailboxes": [f"bench{i}@contoso.onmicrosoft.us" for i in range(1, 9)]}
    try:
        env["app_token"] = app_token(ready, cloud, args.tenant, args.client_id, args.secret, ctx)
    except OSError as error:
        print(f"hostile.py: no app token ({error}); pop3-pipeline-unread is skipped")
        env["app_token"] = None
    stats, stop = {}, threading.Event()
    workers = [Worker(i, args, env, stats, stop) for i in range(args.workers)]
    for w in workers:
        w.start()
    time.sleep(args.duration)
    stop.set()
    for w in workers:
        w.join(timeout=15)
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(stats, f, indent=2, sort_keys=True)
    print(json.dumps({k: sum(v.values()) for k, v in sorted(stats.items())}))


if __name__ == "__main__":
    os.umask(0o077)
    main()
