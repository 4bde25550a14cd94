#!/usr/bin/env python3
"""Writes exomock's malformed-input corpus (Tests/Corpus/<parser>/), deterministically.

    python3 Tests/Corpus/generate.py      # rewrites every generated case; hand-written files are kept

Each case is one file holding the raw bytes a client or an author would send (the form the libFuzzer
targets read as seeds too). Generated cases are mutations of valid inputs, named
`gen-<seed>-<mutation>-<n>`: truncation, CR/LF/NUL/8-bit injection, huge and negative numbers,
over-long lines and literals, deep nesting, invalid UTF-8. Hand-written cases for known defect classes
are named `hand-<what>` and written here too, so the corpus has one source. CorpusTests runs every
file; `accepted.txt` in a parser's directory lists the few cases its parser accepts (reviewed: valid
after the mutation, or data the session refuses later), everything else must get the protocol's error.

Scalar parsers (durations, sizes, dates) and admin JSON bodies hold one case per line in cases.jsonl.
"""
import base64
import json
import os
import random
import shutil

ROOT = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(15)


def reset(parser):
    path = os.path.join(ROOT, parser)
    if os.path.isdir(path):
        for name in os.listdir(path):
            if name.startswith("gen-") or name.startswith("hand-"):
                os.remove(os.path.join(path, name))
    os.makedirs(path, exist_ok=True)
    return path


def write(parser, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(ROOT, parser, name), "wb") as f:
        f.write(data)


INJECTED = {"cr": b"\r", "lf": b"\n", "nul": b"\x00", "ff": b"\xff", "c3": b"\xc3", "del": b"\x7f", "esc": b"\x1b",
            "crlf": b"\r\n", "tab": b"\t", "overlong": b"\xc0\xaf", "surrogate": b"\xed\xa0\x80"}
HUGE = [b"0", b"-1", b"4294967295", b"4294967296", b"99999999999", b"18446744073709551616",
        b"9" * 40, b"1e9", b"0x10", b"+1"]


def mutations(seed, body, terminator, positions=3):
    """(mutation, bytes) pairs: truncations, injections at random positions, number swaps."""
    out = []
    cuts = sorted(set(rng.randrange(1, len(body)) for _ in range(positions)))
    for i, cut in enumerate(cuts):
        out.append((f"trunc{i}", body[:cut] + terminator))
        out.append((f"truncnoeol{i}", body[:cut]))
    for label, byte in INJECTED.items():
        for i in range(2):
            at = rng.randrange(0, len(body) + 1)
            out.append((f"{label}{i}", body[:at] + byte + body[at:] + terminator))
    digits = [i for i, b in enumerate(body) if 48 <= b <= 57 and (i == 0 or not 48 <= body[i - 1] <= 57)]
    # Skip the tag's digits (IMAP tags like a12): only numbers after a space or punctuation.
    digits = [i for i in digits if i > 0 and body[i - 1] in b" :,.<[{("]
    for n, i in enumerate(digits[:2]):
        end = i
        while end < len(body) and 48 <= body[end] <= 57:
            end += 1
        for k, huge in enumerate(HUGE):
            out.append((f"num{n}-{k}", body[:i] + huge + body[end:] + terminator))
    out.append(("doubled", body + b" " + body + terminator))
    out.append(("spaces", body.replace(b" ", b"  ") + terminator))
    out.append(("lowered", body.lower() + terminator))
    return out


def b64(text):
    return base64.b64encode(text.encode()).decode()


XOAUTH = b64("user=helpdesk@contoso.onmicrosoft.us\x01auth=Bearer eyJ0eXAiOiJKV1QifQ.e30.c2ln\x01\x01")

# MARK: IMAP


def imap():
    reset("imap")
    seeds = {
        "capability": b"a1 CAPABILITY",
        "login": b'a2 LOGIN helpdesk@contoso.onmicrosoft.us "Passw0rd!"',
        "authenticate": b"a3 AUTHENTICATE XOAUTH2 " + XOAUTH.encode(),
        "select": b"a4 SELECT INBOX",
        "examine": b'a5 EXAMINE "Sent Items"',
        "list": b'a6 LIST "" "*"',
        "status": b"a7 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)",
        "fetch": b"a8 FETCH 1:* (FLAGS UID RFC822.SIZE)",
        "uidfetch": b"a9 UID FETCH 1:5 (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.100>)",
        "search": b"a10 SEARCH UNSEEN SINCE 1-Feb-2026",
        "uidsearch": b"a11 UID SEARCH OR FROM alice NOT SEEN",
        "store": b"a12 STORE 1 +FLAGS.SILENT (\\Seen)",
        "copy": b"a13 COPY 1:3 Archive",
        "move": b'a14 UID MOVE 4 "Deleted Items"',
        "append": b'a15 APPEND INBOX (\\Seen) "01-Feb-2026 10:00:00 +0000" {12}\r\nHello world!',
        "create": b"a16 CREATE {6}\r\nFolder",
        "id": b'a17 ID ("name" "imaplib" "version" "3")',
        "rename": b"a18 RENAME Old New",
        "uidexpunge": b"a19 UID EXPUNGE 1:2",
        "section": b"a20 FETCH 2 (BODY[1.2.MIME] BODY[TEXT]<10.20>)",
    }
    for seed, body in seeds.items():
        for n, (mutation, data) in enumerate(mutations(seed, body, b"\r\n")):
            write("imap", f"gen-{seed}-{mutation}", data)
    hand = {
        # Literal announcements: sizes past Int, past the limit, malformed headers, short literals.
        "literal-int-overflow": b"b1 CREATE {99999999999999999999}\r\n",
        "literal-int-overflow-nonsync": b"b1 CREATE {99999999999999999999+}\r\nabc\r\n",
        "literal-uint32-plus-one": b"b2 APPEND INBOX {4294967296}\r\n",
        "literal-over-limit": b"b3 APPEND INBOX {36700161}\r\n",
        "literal-over-limit-nonsync": b"b3 APPEND INBOX {36700161+}\r\nFrom: x\r\n\r\n",
        "literal-negative": b"b4 CREATE {-1}\r\n",
        "literal-empty-braces": b"b5 CREATE {}\r\n",
        "literal-plus-only": b"b5 CREATE {+}\r\n",
        "literal-short": b"b6 CREATE {10}\r\nabc",
        "literal-zero": b"b7 CREATE {0}\r\n\r\n",
        "literal-not-at-end": b"b8 CREATE {5} x\r\n",
        "literal-hex": b"b9 CREATE {0x10}\r\n",
        "literal-spaces": b"b9 CREATE { 5 }\r\n",
        "literal-65-literals": b"c1 ID (" + b" ".join(b'{1}\r\nk {1}\r\nv' for _ in range(33)) + b")\r\n",
        "literal-crlf-inside": b"c2 SELECT {7}\r\nIN\r\nBOX\r\n",
        "literal-bare-lf-header": b"c3 SELECT {5}\nINBOX\r\n",
        "literal-nul-name": b"c4 CREATE {5}\r\na\x00b\r\n\r\n",
        "literal-in-tag": b"{5}\r\nhello NOOP\r\n",
        # Over-long lines, with and without an end.
        "line-8193": b"d1 NOOP " + b"x" * 8193 + b"\r\n",
        "line-70000-then-noop": b"d2 SELECT " + b"y" * 70000 + b"\r\nd3 NOOP\r\n",
        "line-no-eol": b"d4 NOOP " + b"z" * 9000,
        "authenticate-33k": b"d5 AUTHENTICATE XOAUTH2 " + b"QUFB" * 8400 + b"\r\n",
        "authenticate-lowercase-33k": b"d6 authenticate xoauth2 " + b"QUFB" * 8400 + b"\r\n",
        "notag-long": b" " + b"w" * 9000 + b"\r\n",
        # Nesting.
        "search-parens-65": b"e1 SEARCH " + b"(" * 65 + b"ALL" + b")" * 65 + b"\r\n",
        "search-parens-5000": b"e2 SEARCH " + b"(" * 5000 + b"\r\n",
        "search-not-200": b"e3 SEARCH " + b"NOT " * 200 + b"ALL\r\n",
        "search-or-100": b"e4 SEARCH " + b"OR ALL " * 100 + b"ALL\r\n",
        "fetch-parens-100": b"e5 FETCH 1 " + b"(" * 100 + b"FLAGS" + b")" * 100 + b"\r\n",
        "section-depth-100": b"e6 FETCH 1 BODY[" + b".".join([b"1"] * 100) + b"]\r\n",
        "id-31-fields": b"e7 ID (" + b" ".join(b'"k%d" "v"' % i for i in range(31)) + b")\r\n",
        "header-fields-300": b"e8 FETCH 1 BODY[HEADER.FIELDS (" + b" ".join([b"X"] * 300) + b")]\r\n",
        "unbalanced-close": b"e9 SEARCH ALL)\r\n",
        "unbalanced-open": b"e9 FETCH 1 (FLAGS\r\n",
        # Tags and verbs.
        "empty-line": b"\r\n",
        "bare-lf": b"\n",
        "only-spaces": b"     \r\n",
        "tag-only": b"f1\r\n",
        "tag-space": b"f1 \r\n",
        "star-tag": b"* NOOP\r\n",
        "plus-tag": b"+ NOOP\r\n",
        "tag-with-brace": b"f{2 NOOP\r\n",
        "tag-100": b"t" * 100 + b" NOOP\r\n",
        "tag-utf8": "é1 NOOP\r\n".encode(),
        "verb-utf8": "f2 NÖOP\r\n".encode(),
        "verb-unknown": b"f3 XYZZY\r\n",
        "verb-uid-unknown": b"f4 UID XYZZY 1\r\n",
        "bom-prefix": b"\xef\xbb\xbff5 NOOP\r\n",
        "nul-line": b"\x00\x00\x00\r\n",
        "http-request": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "tls-client-hello": bytes.fromhex("16030100a5010000a10303") + b"\x00" * 32 + b"\r\n",
        "crlf-flood": b"\r\n" * 500,
        # Dates and numbers.
        "date-day-32": b"g1 SEARCH SINCE 32-Feb-2026\r\n",
        "date-month": b"g2 SEARCH SINCE 1-Foo-2026\r\n",
        "date-year-5": b"g3 SEARCH SINCE 1-Feb-99999\r\n",
        "date-unquoted-close": b'g4 SEARCH SINCE "1-Feb-2026\r\n',
        "datetime-zone-9999": b'g5 APPEND INBOX "01-Feb-2026 10:00:00 +9999" {1}\r\nx\r\n',
        "datetime-hour-25": b'g6 APPEND INBOX "01-Feb-2026 25:00:00 +0000" {1}\r\nx\r\n',
        "datetime-short": b'g7 APPEND INBOX "01-Feb-2026" {1}\r\nx\r\n',
        "partial-zero-count": b"g8 FETCH 1 BODY[]<0.0>\r\n",
        "partial-huge": b"g9 FETCH 1 BODY[]<4294967296.1>\r\n",
        "partial-unclosed": b"g9 FETCH 1 BODY[]<1.2\r\n",
        "seq-zero": b"h1 FETCH 0 FLAGS\r\n",
        "seq-zero-range": b"h2 FETCH 0:* FLAGS\r\n",
        "seq-huge": b"h3 FETCH 1:4294967296 FLAGS\r\n",
        "seq-commas": b"h4 FETCH 1,,2 FLAGS\r\n",
        "seq-trailing-colon": b"h5 FETCH 1: FLAGS\r\n",
        "seq-negative": b"h6 FETCH -1 FLAGS\r\n",
        "larger-huge": b"h7 SEARCH LARGER 99999999999\r\n",
        "status-unknown-item": b"h8 STATUS INBOX (FOO)\r\n",
        # Found by FuzzIMAPFramer: the unknown item was quoted whole (8 KiB) in the BAD line.
        "status-item-8000": b"a7 STATUS INBOX (MESS" + b"w" * 8000 + b")\r\n",
        "search-key-8000": b"h8 SEARCH " + b"K" * 8000 + b"\r\n",
        "status-empty": b"h9 STATUS INBOX ()\r\n",
        "quoted-bad-escape": b'i1 SELECT "a\\b"\r\n',
        "quoted-unterminated": b'i2 SELECT "abc\r\n',
        "quoted-cr": b'i3 SELECT "a\rb"\r\n',
        "store-bad-op": b"i4 STORE 1 *FLAGS (\\Seen)\r\n",
        "store-empty-flag": b"i5 STORE 1 FLAGS \\\r\n",
        "append-no-literal": b'i6 APPEND INBOX "message"\r\n',
        "mime-without-part": b"i7 FETCH 1 BODY[MIME]\r\n",
        "body-peek-no-section": b"i8 FETCH 1 BODY.PEEK\r\n",
        "search-charset-only": b"i9 SEARCH CHARSET\r\n",
    }
    for name, data in hand.items():
        write("imap", f"hand-{name}", data)


# MARK: POP3


def pop3():
    reset("pop3")
    seeds = {
        "user": b"USER helpdesk@contoso.onmicrosoft.us",
        "pass": b"PASS Passw0rd!",
        "auth": b"AUTH XOAUTH2 " + XOAUTH.encode(),
        "authplain": b"AUTH PLAIN",
        "capa": b"CAPA",
        "stat": b"STAT",
        "list": b"LIST 1",
        "uidl": b"UIDL 2",
        "retr": b"RETR 1",
        "top": b"TOP 1 10",
        "dele": b"DELE 2",
        "rset": b"RSET",
        "noop": b"NOOP",
        "quit": b"QUIT",
    }
    for seed, body in seeds.items():
        for mutation, data in mutations(seed, body, b"\r\n"):
            write("pop3", f"gen-{seed}-{mutation}", data)
    hand = {
        "line-16385": b"NOOP " + b"x" * 16385 + b"\r\n",
        "line-no-eol": b"NOOP " + b"y" * 17000,
        "auth-33k": b"AUTH XOAUTH2 " + b"QUFB" * 8400 + b"\r\n",
        "auth-response-33k": b"AUTH XOAUTH2\r\n" + b"QUFB" * 8400 + b"\r\n",
        "empty-line": b"\r\n",
        "bare-lf": b"\n",
        "only-spaces": b"   \r\n",
        "only-tabs": b"\t\t\r\n",
        "nul-line": b"\x00\r\n",
        "retr-ten-digits": b"RETR 1234567890\r\n",
        "retr-two-args": b"RETR 1 2\r\n",
        "top-one-arg": b"TOP 1\r\n",
        "top-three-args": b"TOP 1 2 3\r\n",
        "top-negative-lines": b"TOP 1 -5\r\n",
        "dele-none": b"DELE\r\n",
        "list-word": b"LIST all\r\n",
        "capa-arg": b"CAPA x\r\n",
        "quit-arg": b"QUIT now\r\n",
        "unknown": b"XYZZY\r\n",
        "unknown-long": b"X" * 200 + b"\r\n",
        "utf8-verb": "RÉTR 1\r\n".encode(),
        "fullwidth-digit": "RETR １\r\n".encode(),
        "arabic-digit": "RETR ١\r\n".encode(),
        "http-request": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "auth-three-words": b"AUTH XOAUTH2 a b\r\n",
        "crlf-flood": b"\r\n" * 300,
        "pipelined-garbage": b"FOO\r\nBAR 1\r\nRETR x\r\nDELE -1\r\n",
    }
    for name, data in hand.items():
        write("pop3", f"hand-{name}", data)


# MARK: SMTP


def smtp():
    reset("smtp")
    seeds = {
        "ehlo": b"EHLO client.example",
        "helo": b"HELO client.example",
        "auth": b"AUTH XOAUTH2 " + XOAUTH.encode(),
        "mail": b"MAIL FROM:<helpdesk@contoso.onmicrosoft.us> SIZE=1024",
        "rcpt": b"RCPT TO:<customer@example.com>",
        "vrfy": b"VRFY helpdesk",
        "noop": b"NOOP",
        "rset": b"RSET",
        "quit": b"QUIT",
        "starttls": b"STARTTLS",
        "data": b"DATA",
        "help": b"HELP",
    }
    for seed, body in seeds.items():
        for mutation, data in mutations(seed, body, b"\r\n"):
            write("smtp", f"gen-{seed}-{mutation}", data)
    message = b"DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"
    hand = {
        "line-2049": b"NOOP " + b"x" * 2049 + b"\r\n",
        "line-no-eol": b"EHLO " + b"y" * 5000,
        "auth-33k": b"AUTH XOAUTH2 " + b"QUFB" * 8400 + b"\r\n",
        "bare-lf-command": b"EHLO client.example\n",
        "bare-cr-command": b"EHLO client\rexample\r\n",
        "empty-line": b"\r\n",
        "only-spaces": b"   \r\n",
        "mail-no-brackets": b"MAIL FROM:helpdesk@contoso.onmicrosoft.us\r\n",
        "mail-no-colon": b"MAIL FROM <a@b>\r\n",
        "mail-unclosed": b"MAIL FROM:<a@b\r\n",
        "rcpt-empty": b"RCPT TO:<>\r\n",
        "rcpt-no-at": b"RCPT TO:<postmaster>\r\n",
        "rcpt-spaces": b"RCPT TO:<a b@c>\r\n",
        "rcpt-source-route": b"RCPT TO:<@relay:@x>\r\n",
        "ehlo-two-words": b"EHLO a b\r\n",
        "ehlo-empty": b"EHLO\r\n",
        "data-arg": b"DATA now\r\n",
        "auth-empty": b"AUTH\r\n",
        "auth-three": b"AUTH XOAUTH2 a b\r\n",
        "vrfy-empty": b"VRFY\r\n",
        "unknown": b"XYZZY\r\n",
        "http-request": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "data-bare-lf": b"DATA\r\nSubject: x\n\nsmuggled\n.\nMAIL FROM:<a@b>\r\n.\r\n",
        "data-dot-cr-x": b"DATA\r\nline\r\n.\rX\r\n.\r\n",
        "data-unterminated": b"DATA\r\nSubject: x\r\n\r\nno end",
        "data-over-tiny-limit": b"DATA\r\n" + b"z" * 5000 + b"\r\n.\r\n",
        "data-nul": b"DATA\r\nSubject: \x00\r\n\r\n\x00\x00\r\n.\r\n",
        "data-then-commands": message + b"QUIT\r\n",
        "crlf-flood": b"\r\n" * 300,
    }
    for name, data in hand.items():
        write("smtp", f"hand-{name}", data)


# MARK: token form bodies


def form():
    reset("form")
    seeds = {
        "client-credentials": "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555"
        "&client_secret=wrong-secret&scope=https%3A%2F%2Foutlook.office365.us%2F.default",
        "refresh": "grant_type=refresh_token&client_id=11111111-2222-3333-4444-555555555555"
        "&refresh_token=0.AAAA-not-a-token&scope=offline_access+https%3A%2F%2Foutlook.office365.us%2FIMAP.AccessAsUser.All",
        "code": "grant_type=authorization_code&client_id=11111111-2222-3333-4444-555555555555&code=bogus"
        "&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F&code_verifier=abc",
        "password": "grant_type=password&client_id=11111111-2222-3333-4444-555555555555"
        "&username=nobody%40contoso.onmicrosoft.us&password=wrong&scope=openid",
    }
    for seed, text in seeds.items():
        body = text.encode()
        for mutation, data in mutations(seed, body, b""):
            write("form", f"gen-{seed}-{mutation}", data)
        for k, escape in enumerate([b"%", b"%z", b"%zz", b"%C3%28", b"%FF%FE", b"%00", b"%0D%0A", b"%ED%A0%80",
                                    b"%E2%82", b"%%%%", b"+%2B+", b"%u0041"]):
            at = rng.randrange(0, len(body))
            write("form", f"gen-{seed}-escape{k}", body[:at] + escape + body[at:])
    limit = 16 * 1024
    hand = {
        "toolong-value": "grant_type=client_credentials&client_id=" + "a" * (limit + 1),
        "toolong-name": "x" * (limit + 1) + "=1",
        "toolong-escaped-value": "client_secret=" + "%41" * (limit + 1),
        "many-pairs": "&".join(f"p{i}=v" for i in range(5000)),
        "many-ampersands": "&" * 20000,
        "toolong-many-equals": "=" * 20000,
        "repeated-name": "grant_type=password&" * 1000 + "client_id=x",
        "empty": "",
        "only-equals": "=",
        "no-values": "grant_type&client_id&scope",
        "json-body": '{"grant_type": "client_credentials"}',
        "nul-bytes": "grant_type=client_credentials\x00&client_id=\x00",
        "newline-in-value": "grant_type=client_credentials&scope=a\r\nSet-Cookie: x",
        "semicolons": "grant_type=client_credentials;client_id=x",
        "unicode-names": "grant_tÿpe=client_credentials&clïent_id=x",
    }
    for name, text in hand.items():
        write("form", f"hand-{name}", text)


# MARK: XOAUTH2


def xoauth2():
    reset("xoauth2")
    decoded = "user=helpdesk@contoso.onmicrosoft.us\x01auth=Bearer eyJ0eXAiOiJKV1QifQ.e30.c2ln\x01\x01"
    raw = decoded.encode()
    for mutation, data in mutations("decoded", raw, b""):
        write("xoauth2", f"gen-b64-{mutation}", base64.b64encode(data))
    encoded = base64.b64encode(raw)
    for mutation, data in mutations("encoded", encoded, b""):
        write("xoauth2", f"gen-text-{mutation}", data)
    hand = {
        "empty": b"",
        "equals-only": b"=",
        "padding-only": b"====",
        "one-char": b"Q",
        "bad-alphabet": b"!!!!",
        "urlsafe-alphabet": base64.urlsafe_b64encode(b"user=a\x01auth=Bearer t?>\x01\x01"),
        "whitespace-inside": base64.b64encode(raw)[:20] + b" " + base64.b64encode(raw)[20:],
        "no-user": base64.b64encode(b"auth=Bearer token\x01\x01"),
        "empty-user": base64.b64encode(b"user=\x01auth=Bearer token\x01\x01"),
        "no-auth": base64.b64encode(b"user=a@b\x01\x01"),
        "auth-basic": base64.b64encode(b"user=a@b\x01auth=Basic dXNlcjpwYXNz\x01\x01"),
        "bearer-empty": base64.b64encode(b"user=a@b\x01auth=Bearer \x01\x01"),
        "bearer-no-space": base64.b64encode(b"user=a@b\x01auth=Bearertoken\x01\x01"),
        "plain-instead": base64.b64encode(b"\x00user@x\x00password"),
        "invalid-utf8": base64.b64encode(b"user=\xff\xfe\x01auth=Bearer \xc3\x28\x01\x01"),
        "nul-separators": base64.b64encode(b"user=a@b\x00auth=Bearer t\x00\x00"),
        "huge-token": base64.b64encode(b"user=a@b\x01auth=Bearer " + b"A" * 40000 + b"\x01\x01"),
        "many-fields": base64.b64encode(b"\x01".join(b"x%d=y" % i for i in range(5000))),
        "double-base64": base64.b64encode(base64.b64encode(raw)),
        "json-error-challenge": base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"x"}'),
        "star-cancel": b"*",
    }
    for name, data in hand.items():
        write("xoauth2", f"hand-{name}", data)


# MARK: JWTs (forged or broken; CorpusTests also signs the *.claims files with the verifier's key)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    reset("jwt")
    header = {"typ": "JWT", "alg": "RS256", "x5t": "kid1", "kid": "kid1"}
    claims = {"aud": "https://outlook.office365.us", "iss": "https://login.microsoftonline.us/tid/v2.0", "iat": 1767225600,
              "nbf": 1767225600, "exp": 1767229200, "tid": "tid", "oid": "o", "roles": ["IMAP.AccessAsApp"],
              "appid": "11111111-2222-3333-4444-555555555555", "sub": "s", "uti": "u", "ver": "1.0"}
    good = b64url(json.dumps(header)) + "." + b64url(json.dumps(claims)) + "." + b64url(b"\x01" * 256)
    for mutation, data in mutations("token", good.encode(), b""):
        write("jwt", f"gen-token-{mutation}", data)
    forged = {
        "alg-none": b64url('{"alg":"none","typ":"JWT"}') + "." + b64url(json.dumps(claims)) + ".",
        "alg-none-upper": b64url('{"alg":"NONE"}') + "." + b64url(json.dumps(claims)) + ".",
        "alg-hs256": b64url('{"alg":"HS256","typ":"JWT"}') + "." + b64url(json.dumps(claims)) + "." + b64url(b"x" * 32),
        "alg-missing": b64url('{"typ":"JWT"}') + "." + b64url(json.dumps(claims)) + "." + b64url(b"s"),
        "alg-number": b64url('{"alg":256}') + "." + b64url(json.dumps(claims)) + "." + b64url(b"s"),
        "kid-other": b64url('{"alg":"RS256","kid":"someone-else"}') + "." + b64url(json.dumps(claims)) + ".c2ln",
        "two-parts": b64url(json.dumps(header)) + "." + b64url(json.dumps(claims)),
        "four-parts": good + ".extra",
        "empty-parts": "..",
        "empty": "",
        "dots-only": "." * 1000,
        "header-not-json": b64url("not json") + "." + b64url(json.dumps(claims)) + ".c2ln",
        "header-array": b64url("[1,2,3]") + "." + b64url(json.dumps(claims)) + ".c2ln",
        "header-deep": b64url("[" * 10000 + "]" * 10000) + "." + b64url("{}") + ".c2ln",
        "header-deep-object": b64url('{"a":' * 5000 + "1" + "}" * 5000) + ".e30.c2ln",
        "header-huge-number": b64url('{"alg":"RS256","x":1' + "0" * 5000 + "}") + ".e30.c2ln",
        "header-invalid-utf8": base64.urlsafe_b64encode(b'{"alg":"\xff\xfe"}').rstrip(b"=").decode() + ".e30.c2ln",
        "padding-inside": good.replace(".", "==.", 1),
        "standard-alphabet": good.replace("-", "+").replace("_", "/") + "+/",
        "spaces": " " + good + " ",
        "bearer-prefix": "Bearer " + good,
        "over-limit": "a" * 70000,
        "signature-empty": good.rsplit(".", 1)[0] + ".",
        "signature-short": good.rsplit(".", 1)[0] + "." + b64url(b"\x00"),
        "signature-huge": good.rsplit(".", 1)[0] + "." + b64url(b"\xff" * 4096),
        "nul-in-token": good[:30] + "\x00" + good[30:],
    }
    for name, text in forged.items():
        write("jwt", f"hand-{name}", text)
    # Payloads signed at test time with the verifier's own key: valid signatures, hostile claims.
    hostile = {
        "exp-huge": dict(claims, exp=1e300),
        "exp-float-overflow": '{"aud":"https://outlook.office365.us","exp":1e400,"nbf":0,"iat":0,"tid":"t","iss":"x"}',
        "exp-string": dict(claims, exp="tomorrow"),
        "exp-negative-huge": dict(claims, exp=-9223372036854775809),
        "nbf-int-max": dict(claims, nbf=9223372036854775807),
        "iat-nan": '{"aud":"a","exp":NaN,"nbf":0,"iat":0,"tid":"t","iss":"x"}',
        "aud-array": dict(claims, aud=["https://outlook.office365.us"]),
        "aud-null": dict(claims, aud=None),
        "iss-other-cloud": dict(claims, iss="https://sts.chinacloudapi.cn/tid/"),
        "tid-huge": dict(claims, tid="t" * 20000),
        "roles-object": dict(claims, roles={"a": 1}),
        "payload-array": [claims],
        "payload-not-json": "not json at all",
        "payload-deep": "[" * 10000 + "]" * 10000,
        "payload-duplicate-aud": '{"aud":"https://outlook.office365.us","aud":"evil","exp":1,"nbf":0,"iat":0}',
        "payload-empty": "",
        "payload-invalid-utf8": b'{"aud":"\xff"}',
    }
    for name, value in hostile.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        write("jwt", f"hand-{name}.claims", value)


# MARK: YAML scenarios

SCENARIO = """version: 1
name: corpus
seed: 7
clock:
  start: 2026-03-11T07:45:00Z
clouds: [worldwide]
tenants:
  - id: 5e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c
    name: Fabrikam
    cloud: worldwide
    domains: [fabrikam.example]
apps:
  - name: connector
    client_id: 4b8e2f6a-0c1d-4e3f-9a5b-7d6c8e0f2a1b
    tenant: 5e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c
    secrets: [{value: connector-secret}]
    application_permissions: [IMAP.AccessAsApp]
    admin_consent: true
    mailbox_access: [helpdesk@fabrikam.example]
lifetimes:
  access_token: 1h
mailboxes:
  - address: helpdesk@fabrikam.example
    type: shared
    folders:
      - name: Inbox
        messages:
          - generate: {count: 3, size: 2KiB, seed: 32}
"""

BAD_DURATIONS = ["1e400", "1e9999d", "9" * 64 + "d", "9" * 65, "-1h", "0", "0s", "nan", "inf", "infinity", "1.5.5h",
                 "1h-30m", "1hour", "1 hour", "h", "1y", "1M", "٣h", "１h", "1h\x00", "1h\r\n30m", "", " ", "0x10s",
                 "1_000s", "+5m", "1e3s", "99999999999999999999w", "1" + "0" * 40 + "ms", "1ms" * 30, ".s", "5.m",
                 "1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h", "\u202e1h", "1ｈ", "365000d", "36500000d"]
BAD_SIZES = ["1e400", "9" * 40 + "GiB", "-1KiB", "1.5B", "0.1KiB", "nan", "inf", "1TiB", "1 KB KB", "KiB", "1kib",
             "10XB", "١KiB", "１KiB", "1KiB\x00", "9223372036854775807GiB", "9223372036854775808", "1e3KiB", "0x10B",
             "", " ", "1_000B", "+1KiB", "99999999999999999999", "36MiB", "1GiB", "35.000001MiB", "1" + "0" * 400]
BAD_DATES = ["2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-01-01T24:00:00Z",
             "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z", "10000-01-01T00:00:00Z", "-2026-01-01T00:00:00Z",
             "0000-00-00T00:00:00Z", "2026-01-01T00:00:00+99:99", "2026-01-01T00:00:00+24:00",
             "2026-01-01T00:00:00." + "1" * 5000 + "Z", "2026-01-01T00:00:00.Z", "2026-01-01", "2026-01-01T00:00:00",
             "2026-01-01 00:00:00Z", "2026-1-1T0:0:0Z", "２０２６-01-01T00:00:00Z", "2026-01-01T00:00:00Z\x00",
             "2026-01-01T00:00:00Zjunk", "9999-12-31T23:59:60Z", "99999999999-01-01T00:00:00Z", "nan", "",
             "2026-01-01T00:00:00\u2212" + "05:00", "2026-W01-1T00:00:00Z", "2026-001T00:00:00Z", "1e400",
             "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]


def yaml_cases():
    reset("yaml")
    # The valid scenario every mutation starts from; CorpusScenarioTests loads it first (it must pass).
    write("yaml", "valid-scenario.yaml", SCENARIO)
    base = SCENARIO.encode()
    for mutation, data in mutations("scenario", base, b"", positions=8):
        write("yaml", f"gen-scenario-{mutation}", data)
    # Durations, sizes and dates have their own directories (cases.jsonl); CorpusScenarioTests puts each
    # into this scenario's `lifetimes.access_token`, `generate.size` and `clock.start`.
    for k, seed in enumerate(["-1", "18446744073709551616", "1e400", "0x10", "'7'", "[7]", "99999999999999999999999"]):
        write("yaml", f"gen-seed-{k}", SCENARIO.replace("seed: 7", "seed: " + seed))
    for k, count in enumerate(["-1", "1e9", "99999999999", "1000000000000000000000", "'3'", "3.5", "nan", ".inf"]):
        write("yaml", f"gen-count-{k}", SCENARIO.replace("count: 3", "count: " + count))
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]\n"
        for i in range(1, 9))
    hand = {
        "empty": "",
        "only-comment": "# nothing\n",
        "null-document": "~\n",
        "scalar-document": "42\n",
        "list-document": "- 1\n- 2\n",
        "tabs-indent": SCENARIO.replace("  ", "\t"),
        "deep-flow-seq": "version: 1\nname: " + "[" * 5000 + "]" * 5000 + "\n",
        "deep-flow-map": "version: 1\nname: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "deep-block": "version: 1\nname:\n" + "".join(" " * i + "- \n" for i in range(1, 400)),
        "billion-laughs": "version: 1\nname: laughs\n" + laughs + "tenants: *a8\n",
        "alias-undefined": "version: 1\nname: *nowhere\n",
        "anchor-merge-loop": "version: 1\nname: x\nclock: &c\n  <<: *c\n",
        "duplicate-keys": SCENARIO + "name: again\n",
        "unknown-top-key": SCENARIO + "frobnicate: true\n",
        "version-2": SCENARIO.replace("version: 1", "version: 2"),
        "version-huge": SCENARIO.replace("version: 1", "version: 99999999999999999999"),
        "two-documents": SCENARIO + "---\n" + SCENARIO,
        "binary-tag": "version: 1\nname: !!binary AAAA\n",
        "python-tag": "version: 1\nname: !!python/object:os.system ls\n",
        "nul-byte": SCENARIO.replace("name: corpus", "name: cor\x00pus"),
        "bom-twice": "\ufeff\ufeff" + SCENARIO,
        "invalid-utf8": SCENARIO.encode().replace(b"Fabrikam", b"Fab\xffrikam"),
        "utf16": SCENARIO.encode("utf-16"),
        "eml-dev-zero": SCENARIO.replace("- generate: {count: 3, size: 2KiB, seed: 32}", "- file: /dev/zero"),
        "eml-directory": SCENARIO.replace("- generate: {count: 3, size: 2KiB, seed: 32}", "- file: /"),
        "eml-relative-escape": SCENARIO.replace("- generate: {count: 3, size: 2KiB, seed: 32}",
                                                "- file: ../../../../etc/passwd"),
        "long-line": "version: 1\nname: " + "x" * 70000 + "\n",
        "many-users": SCENARIO + "users:\n" + "".join(f"  - upn: u{i}@fabrikam.example\n" for i in range(3000)),
        "generate-35mib-1000": SCENARIO.replace("count: 3, size: 2KiB", "count: 1000, size: 35MiB"),
        "cloud-unknown": SCENARIO.replace("clouds: [worldwide]", "clouds: [mars]"),
        "clouds-scalar": SCENARIO.replace("clouds: [worldwide]", "clouds: worldwide"),
        "tenant-id-not-uuid": SCENARIO.replace("id: 5e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c", "id: not-a-uuid"),
    }
    for name, text in hand.items():
        write("yaml", f"hand-{name}", text)


# MARK: scalars and admin JSON (one case per line)


def jsonl(parser, cases):
    reset(parser)
    path = os.path.join(ROOT, parser, "cases.jsonl")
    with open(path, "w") as f:
        for case in cases:
            f.write(json.dumps(case) + "\n")


def admin():
    long_string = "x" * 100000
    bodies = [
        ("changes", ""), ("changes", "{"), ("changes", "}"), ("changes", "null"), ("changes", "[]"), ("changes", "42"),
        ("changes", '"reset_password"'), ("changes", "{}"), ("changes", '{"kind": 1}'),
        ("changes", '{"kind": null}'), ("changes", '{"kind": ["sign_out"]}'), ("changes", '{"kind": "explode"}'),
        ("changes", '{"kind": "reset_password"}'), ("changes", '{"kind": "reset_password", "user": 5}'),
        ("changes", '{"kind": "reset_password", "user": "nobody@nowhere.example", "password": "x"}'),
        ("changes", '{"kind": "sign_out", "extra": "x"}'), ("changes", '{"kind": "sign_out",}'),
        ("changes", "{'kind': 'sign_out'}"), ("changes", '{"kind": "sign_out"} trailing'),
        ("changes", '{"kind": "sign_out"}{"kind": "sign_out"}'), ("changes", '{"kind": "change_password", "by": "root"}'),
        ("changes", '{"kind": "reset_password", "user": "' + long_string + '"}'),
        ("changes", "[" * 20000 + "]" * 20000), ("changes", '{"a":' * 20000 + "1" + "}" * 20000),
        ("changes", '{"kind": 1e400}'), ("changes", '{"kind": -0}'), ("changes", '{"kind": "sign_out\\u0000"}'),
        ("changes", '{"kind": "\\ud800"}'), ("changes", '{"kind": "sign_out", "kind": "explode"}'),
        ("changes", '\xef\xbb\xbf{"kind": "sign_out"}'), ("changes", '{"kind": "withdraw_consent", "app": "nope"}'),
        ("changes", '{"kind": "disable_mailbox", "mailbox": 12345678901234567890123}'),
        ("changes", '{"kind": "\xff"}'), ("changes", '{"kind": NaN}'), ("changes", '{"kind": Infinity}'),
        ("clock", ""), ("clock", "{"), ("clock", "{}"), ("clock", "null"), ("clock", '{"by": -91}'),
        ("clock", '{"by": "-1d"}'), ("clock", '{"by": "0s"}'), ("clock", '{"by": "1e400"}'),
        ("clock", '{"by": "nan"}'), ("clock", '{"by": "inf"}'), ("clock", '{"by": "9' + "9" * 60 + 'd"}'),
        ("clock", '{"by": "99999999999999999999w"}'), ("clock", '{"by": "1' + "0" * 400 + 's"}'),
        ("clock", '{"by": "' + "1h" * 40 + '"}'), ("clock", '{"by": null}'), ("clock", '{"by": ["1d"]}'),
        ("clock", '{"by": {"d": 1}}'), ("clock", '{"by": "1d", "by": "2d"}'), ("clock", '{"by": "1d", "x": 1}'),
        ("clock", '{"by": 1e400}'), ("clock", '{"by": "1 hour"}'), 
        ("clock", '{"by": "1d\\u0000"}'), ("clock", "[" * 20000 + "]" * 20000),
        ("clock", '{"by": "' + long_string + '"}'), ("clock", '{"by": "10000000w"}'), ("clock", '{"by": "400000w"}'),
        ("message", ""), ("message", "{"), ("message", "null"), ("message", '{"raw": 5}'),
        ("message", '{"subject": ["x"]}'), ("message", '{"from": {}}'), ("message", "[" * 20000 + "]" * 20000),
        ("message", '{"subject": "x", "subject": "y"}'), ("message", '{"unknown_field": "x"}'),
        ("message", '{"size": 1e400}'), ("message", '{"size": -1}'), ("message", '{"size": "35MiB"}'),
        ("message", '{"date": "2026-13-01T00:00:00Z"}'), ("message", '{"date": "10000-01-01T00:00:00Z"}'),
        ("faults", ""), ("faults", "{"), ("faults", "[]"), ("faults", '{"kind": "explode"}'),
        ("faults", '{"kind": "latency", "delay": "1e400"}'), ("faults", '{"kind": "latency", "delay": "-1s"}'),
        ("faults", '{"kind": "status", "status": 99999999999999999999}'), ("faults", '{"count": -1}'),
        ("faults", "[" * 20000 + "]" * 20000), ("faults", '{"kind": "latency", "kind": "disconnect"}'),
    ]
    jsonl("admin", [{"route": route, "body": body} for route, body in bodies])


def scalars():
    jsonl("duration", [{"text": t} for t in BAD_DURATIONS + [t + "\r\n" for t in ["1h", "90d"]] + ["1h" + " " * 100]])
    jsonl("size", [{"text": t} for t in BAD_SIZES + ["2KiB\r\n", "1 K iB"]])
    jsonl("date", [{"text": t} for t in BAD_DATES + ["2026-01-01T00:00:00Z\r\n"]])


if __name__ == "__main__":
    imap()
    pop3()
    smtp()
    form()
    xoauth2()
    jwt()
    yaml_cases()
    admin()
    scalars()
    total = 0
    for parser in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, parser)
        if not os.path.isdir(path):
            continue
        files = [n for n in os.listdir(path) if n.startswith(("gen-", "hand-"))]
        lines = 0
        if os.path.exists(os.path.join(path, "cases.jsonl")):
            lines = sum(1 for _ in open(os.path.join(path, "cases.jsonl")))
        total += len(files) + lines
        print(f"{parser:10} {len(files) + lines:5}")
    print(f"{'total':10} {total:5}")
