#!/usr/bin/env python3
"""Issue 13's performance goals, checked against the outputs of one bench/run.sh run.

    bench/goals.py [--load summary.json] [--handshake handshake.json] [--idle idle.json] [--scale scale.json]

Each input is optional; a goal whose input is missing is reported as "not run". Prints a markdown
table (goal, bound, measured, verdict). Method: docs/benchmarks.md.
"""
import argparse
import json
import sys


def load(path):
    if not path:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        sys.exit(f"bench/goals.py: cannot read {path}: {error}. Rerun the step that writes it.")


def row(goal, bound, measured, met):
    verdict = "not run" if met is None else ("**met**" if met else "**missed**")
    measured = "–" if measured == "not run" else measured
    return f"| {goal} | {bound} | {measured} | {verdict} |"


def load_goals(summary):
    rows = {(r["server"], r["workload"]): r for r in summary["rows"]} if summary else {}
    xobench = summary.get("xobench", {}) if summary else {}
    signatures = summary.get("rsa2048_sign_per_s", {}) if summary else {}
    out = []

    def versus_dovecot(goal, workload, field, unit, bound):
        e, d = rows.get(("exomock", workload)), rows.get(("dovecot", workload))
        if not (e and d and d[field]):
            return row(goal, f"≥ {bound}×", "not run", None)
        ratio = e[field] / d[field]
        cpu = d["server_cpu_ms_per_op"] / e["server_cpu_ms_per_op"] if e["server_cpu_ms_per_op"] else 0

        def server_cpu(r):  # per message for the message workloads, per operation for logins
            if field == "messages_per_s":
                return f"{r['server_cpu_ms_per_op'] * 1000 * r['ops_per_s'] / r['messages_per_s']:.1f}"
            return f"{r['server_cpu_ms_per_op'] * 1000:.0f}"

        what = "message" if field == "messages_per_s" else "login"
        measured = (f"{ratio:.2f}× ({e[field]:,.0f} vs {d[field]:,.0f} {unit}); server CPU per {what} "
                    f"{server_cpu(e)} vs {server_cpu(d)} µs ({cpu:.1f}× less)")
        return row(goal, f"≥ {bound}×", measured, ratio >= bound)

    out.append(versus_dovecot("IMAP XOAUTH2 logins/s, exomock ÷ Dovecot, P-256 on both", "imap-login",
                              "ops_per_s", "/s", 3))
    out.append(versus_dovecot("IMAP FETCH messages/s, exomock ÷ Dovecot", "imap-fetch", "messages_per_s", "msg/s", 6))
    out.append(versus_dovecot("POP3 RETR messages/s, exomock ÷ Dovecot", "pop3-retr", "messages_per_s", "msg/s", 2.5))

    refresh = rows.get(("exomock", "refresh"))
    one, two = signatures.get("one_core"), signatures.get("two_cores")
    if refresh and two:
        share = refresh["ops_per_s"] / two
        out.append(row("refresh grants/s ÷ `openssl speed -multi 2 rsa2048`", "≥ 0.6",
                       f"{share:.2f} ({refresh['ops_per_s']:,.0f} vs {two:,.0f} signatures/s)", share >= 0.6))
    else:
        out.append(row("refresh grants/s ÷ `openssl speed -multi 2 rsa2048`", "≥ 0.6", "not run", None))
    if refresh and one:
        signature_ms = 1000 / one
        ratio = refresh["server_cpu_ms_per_op"] / signature_ms
        out.append(row("server CPU per refresh grant ÷ one RSA-2048 signature (1 core)", "≤ 1.2×",
                       f"{ratio:.2f}× ({refresh['server_cpu_ms_per_op']:.3f} vs {signature_ms:.3f} ms)", ratio <= 1.2))
    else:
        out.append(row("server CPU per refresh grant ÷ one RSA-2048 signature", "≤ 1.2×", "not run", None))

    def versus_xobench(goal, workload, mode, field, unit, scale, bound=1.5):
        """`bound` None: shown for information, no verdict."""
        e, x = rows.get(("exomock", workload)), xobench.get(mode)
        shown = f"≤ {bound}×" if bound else "(none)"
        if not (e and x and e.get(field) and x.get(field)):
            return row(goal, shown, "not run", None)
        ratio = e[field] / x[field]
        measured = f"{ratio:.2f}× ({e[field] * scale:.1f} vs {x[field] * scale:.1f} {unit})"
        if not bound:
            return f"| {goal} | {shown} | {measured} | – |"
        return row(goal, shown, measured, ratio <= bound)

    out.append(versus_xobench("`exomock load` CPU per IMAP login ÷ xobench's", "imap-login", "imap-login",
                              "client_cpu_ms_per_op", "µs", 1000))
    out.append(versus_xobench("`exomock load` CPU per fetched IMAP message ÷ xobench's", "imap-fetch", "imap-fetch",
                              "client_cpu_us_per_message", "µs", 1))
    out.append(versus_xobench("`exomock load` CPU per RETR message ÷ xobench's (not an issue goal)", "pop3-retr",
                              "pop-retr", "client_cpu_us_per_message", "µs", 1, bound=None))
    return out


def handshake_goal(h):
    goal = "server CPU per IMAP XOAUTH2 login ÷ a bare SwiftNIO TLS 1.3 handshake, same certificate"
    if not h:
        return [row(goal, "≤ 1.5×", "not run", None)]
    low, high = h["ratio_range"]
    measured = (f"{h['ratio']:.2f}× ({h['exomock_us_per_login']:.0f} vs {h['baseline_us_per_handshake']:.0f} µs; "
                f"median of {len(h['runs'])} runs, {low:.2f}–{high:.2f})")
    return [row(goal, "≤ 1.5×", measured, h["ratio"] <= 1.5)]


def idle_goal(i):
    goal = "memory per authenticated idle TLS IMAP session"
    if not i or not i.get("results"):
        return [row(goal, "≤ 32 KiB at 50,000", "not run", None)]
    top = max(i["results"], key=lambda r: r["sessions"])
    measured = (f"{top['bytes_per_session'] / 1024:.1f} KiB at {top['sessions']:,} sessions "
                f"({top['bytes_per_session_since_previous'] / 1024:.1f} KiB each since the previous count)")
    if top["sessions"] < 50000:
        measured += "; 50,000 do not fit this machine's open-file hard limit (docs/benchmarks.md)"
    return [row(goal, "≤ 32 KiB at 50,000", measured, top["bytes_per_session"] <= 32 * 1024)]


def scale_goals(s):
    if not s:
        return [row("100,000 × 200 tenant: ready, RSS, virtual FETCH ÷ kept", "< 2 s, < 1 GiB, ≥ 0.9", "not run", None)]
    out = [row("100,000 × 200 tenant: start to ready file", "< 2 s", f"{s['ready_s']:.2f} s", s["ready_s"] < 2),
           row("100,000 × 200 tenant: peak RSS when ready", "< 1 GiB",
               f"{s['ready_rss_mib']} MiB ({s['peak_rss_mib']} MiB at exit, after the FETCH runs)",
               s["ready_rss_mib"] < 1024)]
    for conns, ratio in sorted(s.get("virtual_over_kept", {}).items()):
        out.append(row(f"FETCH from virtual ÷ from kept mail, {conns} connection(s)", "≥ 0.9", f"{ratio:.3f}", ratio >= 0.9))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("load", "handshake", "idle", "scale"):
        parser.add_argument(f"--{name}")
    args = parser.parse_args()
    lines = ["| goal (issue 13) | bound | measured in this run | verdict |", "|---|---|---|---|"]
    lines += load_goals(load(args.load))
    lines += handshake_goal(load(args.handshake))
    lines += idle_goal(load(args.idle))
    lines += scale_goals(load(args.scale))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
