#!/usr/bin/env python3
"""First read against repeated read of virtual mail (bench/scale.sh, docs/benchmarks.md).

  scale-cold.py HOST PORT CA TOKEN FIRST COUNT

For COUNT mailboxes scaleFIRST.. (six digits) (never opened before in this server), one IMAP session each
(Python imaplib, TLS, AUTHENTICATE XOAUTH2): SELECT INBOX (the first open measures the folder: one
counting pass of the generator), then FETCH 1:* BODY.PEEK[] twice: the first makes every message
from its seed, the second reads them from the cache of recent reads. Prints the medians as JSON.
"""
import imaplib
import json
import ssl
import statistics
import sys
import time

host, port, ca, token, first, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
context = ssl.create_default_context(cafile=ca)
context.check_hostname = False  # 127.0.0.1 serves the certificate of outlook.office365.us; the chain is still verified
select_ms, first_ms, again_ms, messages = [], [], [], 0
for n in range(first, first + count):
    user = f"scale{n:06d}@contoso.onmicrosoft.us"
    imap = imaplib.IMAP4_SSL(host, port, ssl_context=context)
    imap.authenticate("XOAUTH2", lambda _: f"user={user}\x01auth=Bearer {token}\x01\x01".encode())
    t0 = time.perf_counter()
    status, data = imap.select("INBOX", readonly=True)
    t1 = time.perf_counter()
    messages = int(data[0])
    imap.fetch("1:*", "(BODY.PEEK[])")
    t2 = time.perf_counter()
    imap.fetch("1:*", "(BODY.PEEK[])")
    t3 = time.perf_counter()
    imap.logout()
    select_ms.append((t1 - t0) * 1e3)
    first_ms.append((t2 - t1) * 1e3)
    again_ms.append((t3 - t2) * 1e3)
print(json.dumps({
    "mailboxes": count, "messages_each": messages,
    "select_ms": round(statistics.median(select_ms), 2),
    "first_fetch_ms": round(statistics.median(first_ms), 2),
    "second_fetch_ms": round(statistics.median(again_ms), 2),
}))
