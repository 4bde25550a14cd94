#!/usr/bin/env python3
"""Idle authenticated TLS IMAP sessions held open on a running `exomock serve`, and the server's memory per
session (bench/idle.sh runs it; docs/benchmarks.md).

    bench/idle.py --ready READY.json --pid SERVER_PID --token TOKEN --counts 2500,5000,10000,19000
                  [--mailbox-format idle{n:04d}@contoso.onmicrosoft.us] [--mailboxes 1000] [--per-mailbox 20]
                  [--workers 4] [--window 64] [--sample 50] [--json PATH]

Session i (0-based) logs in to mailbox i // per-mailbox + 1 (Exchange allows 20 IMAP sessions per mailbox):
TLS, greeting, `AUTHENTICATE XOAUTH2` with SASL-IR and an app-only token, `OK AUTHENTICATE completed.`, then
nothing. Sessions are spread over --workers client processes (each far under the open-file limit). At each
count the sessions are opened up to that total, the server's VmRSS is read after a settling second, and a
sample of --sample sessions must answer NOOP. Prints a JSON line per count and a markdown table.
"""
import argparse, asyncio, base64, json, multiprocessing, os, resource, ssl, sys, time


def vm_rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise SystemExit(f"bench/idle.py: no VmRSS in /proc/{pid}/status: is the server still running?")


class Session:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer


async def command(session, tag, line, timeout=30):
    session.writer.write(f"{tag} {line}\r\n".encode())
    await session.writer.drain()
    lines = []
    while True:
        got = await asyncio.wait_for(session.reader.readline(), timeout)
        if not got:
            raise ConnectionError(f"closed after {lines}")
        got = got.decode(errors="replace").rstrip("\r\n")
        lines.append(got)
        if got.startswith(f"{tag} "):
            return lines


async def open_session(args, context, index):
    mailbox = args.mailbox_format.format(n=index // args.per_mailbox + 1)
    reader, writer = await asyncio.open_connection(
        args.host, args.port, ssl=context, server_hostname=args.sni, limit=4096)
    session = Session(reader, writer)
    greeting = (await asyncio.wait_for(reader.readline(), 30)).decode(errors="replace")
    if not greeting.startswith("* OK"):
        raise ConnectionError(f"greeting {greeting!r}")
    sasl = base64.b64encode(f"user={mailbox}\x01auth=Bearer {args.token}\x01\x01".encode()).decode()
    reply = await command(session, "a", f"AUTHENTICATE XOAUTH2 {sasl}")
    if reply[-1] != "a OK AUTHENTICATE completed.":
        raise ConnectionError(f"{mailbox}: {reply}")
    return session


def worker(args, connection):
    """One client process: opens the session indices it is sent, answers NOOP samples, holds the rest."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    context = ssl.create_default_context(cafile=args.ca)

    async def main():
        loop = asyncio.get_running_loop()
        sessions = []
        while True:
            message = await loop.run_in_executor(None, connection.recv)
            if message[0] == "open":
                window = asyncio.Semaphore(args.window)
                failures = []

                async def one(index):
                    async with window:
                        try:
                            sessions.append(await open_session(args, context, index))
                        except Exception as error:  # reported, counted: the run fails on any
                            failures.append(f"session {index}: {type(error).__name__}: {error}")

                await asyncio.gather(*(one(i) for i in message[1]))
                connection.send((len(sessions), failures[:5], len(failures)))
            elif message[0] == "noop":
                step = max(1, len(sessions) // max(1, message[1]))
                bad = []
                for session in sessions[::step][: message[1]]:
                    try:
                        reply = await command(session, "n", "NOOP")
                        if reply[-1] != "n OK NOOP completed.":
                            bad.append(str(reply))
                    except Exception as error:
                        bad.append(f"{type(error).__name__}: {error}")
                connection.send((len(sessions[::step][: message[1]]), bad[:5], len(bad)))
            else:
                for session in sessions:
                    session.writer.close()
                connection.send(("closed",))
                return

    asyncio.run(main())



def gather(pipes, what):
    """Sums the workers' answers (done, first failure, failed); says the first failure on stderr."""
    done, failed = 0, 0
    for pipe in pipes:
        n, first, bad = pipe.recv()
        done += n
        failed += bad
        if first:
            print(f"bench/idle.py: {what}, first: {first}", file=sys.stderr)
    return done, failed

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--counts", default="2500,5000,10000,19000")
    parser.add_argument("--mailbox-format", default="idle{n:04d}@contoso.onmicrosoft.us")
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--per-mailbox", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--sni", default="outlook.office365.us")
    parser.add_argument("--json")
    args = parser.parse_args()
    counts = sorted(int(c) for c in args.counts.split(","))
    if counts[-1] > args.mailboxes * args.per_mailbox:
        sys.exit(f"bench/idle.py: {counts[-1]} sessions need {-(-counts[-1] // args.per_mailbox)} mailboxes at "
                 f"{args.per_mailbox} each; the scenario has {args.mailboxes}. Lower --counts or add mailboxes.")
    ready = json.load(open(args.ready))
    args.ca = ready["ca_file"]
    imap = next(l for c in ready["clouds"] for l in c["listeners"] if l["service"] == "imap" and l["tls"] == "implicit")
    args.host, args.port = imap.get("host", "127.0.0.1"), imap["port"]

    # Warm-up, as IMAPIdleConnectionsTests does: first handshakes and lazily built tables, then closed.
    async def warm():
        context = ssl.create_default_context(cafile=args.ca)
        for i in range(10):
            session = await open_session(args, context, i % args.per_mailbox)
            await command(session, "z", "LOGOUT")
            session.writer.close()
    asyncio.run(warm())
    time.sleep(1)
    base = vm_rss(args.pid)

    pipes, processes = [], []
    for _ in range(args.workers):
        here, there = multiprocessing.Pipe()
        process = multiprocessing.Process(target=worker, args=(args, there), daemon=True)
        process.start()
        pipes.append(here)
        processes.append(process)

    results, opened, previous = [], 0, (0, base)
    print(f"server VmRSS before: {base // 1024} kB", file=sys.stderr)
    for count in counts:
        started = time.monotonic()
        for w, pipe in enumerate(pipes):
            pipe.send(("open", list(range(opened + w, count, args.workers))))
        held, failures = gather(pipes, "failures")
        seconds = time.monotonic() - started
        opened = count
        time.sleep(1)
        rss = vm_rss(args.pid)
        for pipe in pipes:
            pipe.send(("noop", -(-args.sample // args.workers)))
        sampled, bad = gather(pipes, "NOOP failures")
        row = {
            "sessions": held, "target": count, "open_failures": failures, "open_s": round(seconds, 1),
            "rss_before_kb": base // 1024, "rss_kb": rss // 1024, "bytes_per_session": (rss - base) // max(1, held),
            "bytes_per_session_since_previous": (rss - previous[1]) // max(1, held - previous[0]),
            "noop_sampled": sampled, "noop_failures": bad,
        }
        previous = (held, rss)
        results.append(row)
        print(json.dumps(row), flush=True)
        if failures or bad:
            break
    for pipe in pipes:
        pipe.send(("close",))
        pipe.recv()
    for process in processes:
        process.join(10)
    if args.json:
        json.dump({"mailboxes": args.mailboxes, "per_mailbox": args.per_mailbox, "workers": args.workers,
                   "results": results}, open(args.json, "w"))
    print()
    print("| sessions | open s | server VmRSS kB | bytes/session (from start) | bytes/session (since previous row) | NOOP sample |")
    print("|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(f"| {r['sessions']:,} | {r['open_s']} | {r['rss_kb']:,} | {r['bytes_per_session']:,} "
              f"| {r['bytes_per_session_since_previous']:,} | {r['noop_sampled'] - r['noop_failures']}/{r['noop_sampled']} OK |")
    if any(r["open_failures"] or r["noop_failures"] for r in results):
        sys.exit("bench/idle.py: some sessions failed (see above)")


if __name__ == "__main__":
    main()
