#!/usr/bin/env bash
# exomock next to Dovecot, both driven by `exomock load` (docs/load.md), with the same certificate
# type on both servers (ECDSA P-256). Method and results: docs/benchmarks.md.
#
#   bench/load.sh [--duration S] [--warmup S] [--clients N] [--skip-exomock] [--skip-dovecot] [--skip-xobench]
#                 [--no-pin]
#
# In order:
#   1. builds exomock in release mode (.build-release);
#   2. serves bench/scenario.yaml and runs, with `exomock load --against`, imap-login, imap (FETCH of
#      the whole 1000-message INBOX), pop3-login and pop3 (RETR of all 1000) with --clients handlers
#      spread over bench1-8, SMTP submissions (connect, STARTTLS, XOAUTH2, one 10 KiB message, QUIT;
#      exomock only: the peer lab has no submission server), then refresh grants with 64 handlers;
#   3. the peer lab's xobench (C, OpenSSL) on the IMAP login, IMAP fetch and POP3 RETR workloads, as a
#      cross-check of the client's own CPU per login and per message;
#   4. a writable copy of the peer lab with a P-256 CA and server certificate (the lab makes RSA-2048),
#      its Dovecot, 1000 x 10 KiB messages, and the same `exomock load` workloads.
# Mail workloads run with the server (every thread of its process tree) on CPU 0 and the load client on
# CPU 1 (taskset), so both servers get the same one core and their throughput is their own, not a share of
# what the client leaves; refresh grants use both CPUs (their bound is `openssl speed -multi 2`). --no-pin
# lets the kernel place everything.
# Server CPU is the server's process tree (utime+stime, reaped children included) over each load run,
# spread over the operations of the warm-up and the window. The load average (uptime) is recorded
# before and after each run: other work may share the machine. Results: bench/results/load-<stamp>/
# (report.md; summary.json, schema exomock-bench-load/1, read by bench/goals.py).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER_LAB=${PEER_LAB:-$ROOT/../shared/peer-lab}
DURATION=10 WARMUP=2 CLIENTS=8 DO_EXOMOCK=1 DO_DOVECOT=1 DO_XOBENCH=1 PIN=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --skip-exomock) DO_EXOMOCK=0; DO_XOBENCH=0; shift ;;
    --skip-dovecot) DO_DOVECOT=0; shift ;;
    --skip-xobench) DO_XOBENCH=0; shift ;;
    --no-pin) PIN=0; shift ;;
    -h|--help) sed -n 2,25p "$0"; exit 0 ;;
    *) echo "bench/load.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "bench/load.sh: $*" >&2; exit 1; }
for tool in swift jq python3 openssl; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install it (Debian: apt-get install $tool), then rerun"
done
if [[ $DO_DOVECOT == 1 ]]; then
  command -v dovecot >/dev/null || fail "dovecot is missing: run $PEER_LAB/setup.sh (as root), or pass --skip-dovecot"
  [[ -f $PEER_LAB/dovecot/start.sh ]] || fail "the peer lab is not at $PEER_LAB; set PEER_LAB=... or pass --skip-dovecot"
  python3 -c 'import cryptography' 2>/dev/null || fail "python3 cryptography is missing (the lab's token minter): pip install cryptography"
fi

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/load-$STAMP
mkdir -p "$OUT"
REPORT=$OUT/report.md
WORK=$(mktemp -d)
chmod 755 "$WORK" # Dovecot's unprivileged auth process reads the lab's key directory inside it
SERVER_PID= LAB=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [[ -n $LAB ]] && "$LAB/dovecot/stop.sh" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# EXOMOCK_BIN=path uses that binary instead of building (a smoke run of this script with a debug build).
EXOMOCK=${EXOMOCK_BIN:-$ROOT/.build-release/release/exomock}
if [[ -z ${EXOMOCK_BIN:-} ]]; then
  echo "== building exomock (release)"
  (cd "$ROOT" && swift build -c release --build-path .build-release --product exomock 2>&1 | tail -2)
fi

# CPU seconds of a process and its descendants (reaped children included); with "pids", their process ids.
tree_cpu() {
  python3 - "$1" "${2:-cpu}" <<'EOF'
import os, sys
root, hz, what = int(sys.argv[1]), os.sysconf("SC_CLK_TCK"), sys.argv[2]
children, ticks = {}, {}
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        s = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    children.setdefault(int(f[1]), []).append(int(p))
    ticks[int(p)] = sum(int(x) for x in f[11:15])
total, todo, tree = 0, [root], []
while todo:
    p = todo.pop()
    total += ticks.get(p, 0)
    tree.append(p)
    todo += children.get(p, [])
print(" ".join(map(str, tree)) if what == "pids" else total / hz)
EOF
}
# pin PID CPUS: every thread of the process tree under PID onto CPUS (new children inherit it).
pin() {
  [[ $PIN == 1 ]] || return 0
  local p
  for p in $(tree_cpu "$1" pids); do taskset -a -p -c "$2" "$p" >/dev/null 2>&1 || true; done
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

{
  echo "# exomock load benchmark $STAMP"
  echo
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $([[ $PIN == 1 ]] && echo "mail workloads: server on CPU 0, client on CPU 1; refresh: both CPUs" || echo "client and servers share them (--no-pin)")"
  echo "- exomock $(git -C "$ROOT" rev-parse --short HEAD), release; $(openssl version); $WARMUP s warm-up + $DURATION s per run"
  echo "- load average at start: $(loadavg)"
  echo
  echo "| server | workload | handlers | ops/s | msgs/s | MB/s | p50 ms | p99 ms | errors | server CPU ms/op | client CPU ms/op | load avg before → after |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} >"$REPORT"

# run_load SERVER_LABEL WORKLOAD SERVER_PID CLIENTS ARGS... : one `exomock load` run, a report row.
run_load() {
  local label=$1 workload=$2 pid=$3 clients=$4
  shift 4
  local json=$OUT/$label-$workload-c$clients.json before cpu0 cpu1
  local client=()
  if [[ $PIN == 1 && $workload != refresh ]]; then
    pin "$pid" 0
    client=(taskset -c 1)
  else
    pin "$pid" 0-1
  fi
  before=$(loadavg)
  cpu0=$(tree_cpu "$pid")
  "${client[@]}" "$EXOMOCK" load "$@" --clients "$clients" --duration "${DURATION}s" --warmup "${WARMUP}s" --progress-interval 0 \
    --json "$json" >"$OUT/$label-$workload-c$clients.txt" 2>&1 || fail "$label $workload failed: see $OUT/$label-$workload-c$clients.txt"
  cpu1=$(tree_cpu "$pid")
  python3 - "$json" "$label" "$workload" "$clients" "$cpu0" "$cpu1" "$DURATION" "$WARMUP" "$before" "$(loadavg)" >>"$REPORT" <<'EOF'
import json, sys
path, label, workload, clients, cpu0, cpu1, duration, warmup, before, after = sys.argv[1:]
r = json.load(open(path))
(kind, k), = r["kinds"].items()
ops = k["ops"]
# the server worked through the warm-up too: spread its CPU over the operations of both
spread = ops * (1 + float(warmup) / float(duration))
server = (float(cpu1) - float(cpu0)) * 1000 / spread if ops else 0
client = r["cpu_s"] * 1000 / ops if ops else 0
l = k["latency_ms"]
with open(path.rsplit("/", 1)[0] + "/rows.jsonl", "a") as rows:
    rows.write(json.dumps({"server": label, "workload": workload, "handlers": int(clients), "ops": ops,
                           "ops_per_s": k["ops_per_s"], "messages_per_s": k["messages_per_s"],
                           "bytes_per_s": k["bytes_per_s"], "errors": k["errors"], "latency_ms": l,
                           "server_cpu_ms_per_op": server, "client_cpu_ms_per_op": client,
                           "client_cpu_us_per_message": r["cpu_s"] * 1e6 / k["messages"] if k.get("messages") else None}) + "\n")
print(f'| {label} | {workload} | {clients} | {k["ops_per_s"]:.1f} | {k["messages_per_s"]:.0f} | {k["bytes_per_s"] / 1e6:.1f} '
      f'| {l["p50"]:.2f} | {l["p99"]:.2f} | {k["errors"]} | {server:.3f} | {client:.3f} | {before} → {after} |')
EOF
  tail -1 "$REPORT"
}

# --- exomock ---------------------------------------------------------------------------------------
RSA1= RSA2=
if [[ $DO_EXOMOCK == 1 ]]; then
echo "== exomock"
READY=$WORK/ready.json
"$EXOMOCK" serve --scenario "$ROOT/bench/scenario.yaml" --certs "$WORK/certs" --ready-file "$READY" >"$OUT/exomock.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do [[ -s $READY ]] && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
[[ -s $READY ]] || fail "exomock serve did not become ready; see $OUT/exomock.log"
BOXES=$(seq -f 'bench%g@contoso.onmicrosoft.us' 1 8 | paste -sd,)
exo=(--scenario "$ROOT/bench/scenario.yaml" --against "$READY" --mailboxes "$BOXES")
run_load exomock imap-login "$SERVER_PID" "$CLIENTS" "${exo[@]}" --mix imap-login
run_load exomock imap-fetch "$SERVER_PID" "$CLIENTS" "${exo[@]}" --mix imap --fetch all
run_load exomock pop3-login "$SERVER_PID" "$CLIENTS" "${exo[@]}" --mix pop3-login
run_load exomock pop3-retr "$SERVER_PID" "$CLIENTS" "${exo[@]}" --mix pop3 --fetch all
run_load exomock smtp-submit "$SERVER_PID" "$CLIENTS" "${exo[@]}" --mix smtp --message-size 10KiB
run_load exomock refresh "$SERVER_PID" 64 "${exo[@]}" --mix refresh
RSA1=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')
RSA2=$(openssl speed -seconds 3 -multi 2 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')

if [[ $DO_XOBENCH == 1 ]]; then
  echo "== xobench against exomock (the client's CPU, cross-check)"
  cc -O2 -pthread -o "$WORK/xobench" "$PEER_LAB/bench/xobench.c" -lssl -lcrypto
  AUTHORITY=$(jq -r '.clouds[0].authority_url' "$READY")
  CA=$(jq -r '.ca_file' "$READY")
  port() { jq -r --arg s "$1" '.clouds[0].listeners[] | select(.service==$s and .tls=="implicit") | .port' "$READY"; }
  TOKEN=$(curl -sS --fail-with-body --cacert "$CA" "$AUTHORITY/8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a/oauth2/v2.0/token" \
    -d grant_type=client_credentials -d client_id=11111111-2222-3333-4444-555555555555 -d client_secret=bench-secret \
    --data-urlencode scope=https://outlook.office365.us/.default | jq -r .access_token)
  for i in $(seq 8); do echo "bench$i@contoso.onmicrosoft.us $TOKEN"; done >"$WORK/users8.txt"
  {
    echo
    echo "xobench (C, OpenSSL) against exomock, same machine, for the client's own CPU:"
    echo
    echo "| workload | conns | ops/s | msgs/s | client CPU ms/op | client CPU µs/msg |"
    echo "|---|---:|---:|---:|---:|---:|"
  } >>"$WORK/xobench.md"
  pin "$SERVER_PID" 0
  xo=()
  [[ $PIN == 1 ]] && xo=(taskset -c 1)
  for mode in imap-login imap-fetch pop-retr; do
    service=imap extra=()
    # exomock answers POP3's one-line `AUTH XOAUTH2 <initial response>` with -ERR, as Exchange reportedly does
    # (docs/fidelity.md): the two-line form, as Microsoft documents it.
    [[ $mode == pop-* ]] && service=pop3 extra=(--no-ir)
    "${xo[@]}" "$WORK/xobench" --mode "$mode" --host 127.0.0.1 --port "$(port $service)" --ca "$CA" --sni outlook.office365.us \
      --users-file "$WORK/users8.txt" "${extra[@]}" --conns "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" >"$OUT/xobench-$mode.out" \
      2>&1 || echo "xobench $mode exited $?: see $OUT/xobench-$mode.out" >&2
    grep '^{' "$OUT/xobench-$mode.out" | tail -1 >"$OUT/xobench-$mode.json" || fail "xobench $mode wrote no result: see $OUT/xobench-$mode.out"
    jq -r --arg m "$mode" '"| \($m) | \(.conns) | \(.ops_per_s) | \(.msgs_per_s) | \(if .ops > 0 then (.client_cpu_s * 1000 / .ops * 1000 | round / 1000) else 0 end) | \(if .msgs > 0 then (.client_cpu_s * 1e6 / .msgs * 10 | round / 10) else 0 end) |"' \
      "$OUT/xobench-$mode.json" >>"$WORK/xobench.md"
  done
fi
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
fi

# --- Dovecot -----------------------------------------------------------------------------------------
if [[ $DO_DOVECOT == 1 ]]; then
  echo "== Dovecot (P-256 certificate)"
  LAB=$WORK/peer-lab
  cp -r "$PEER_LAB" "$LAB"
  chmod -R u+w "$LAB"
  rm -rf "$LAB/dovecot/inst" "$LAB/dovecot/mail" "$LAB/certs"/*.crt "$LAB/certs"/*.key
  (
    cd "$LAB/certs"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 -keyout ca.key -out ca.crt \
      -subj "/O=exomock lab/CN=exomock lab test CA (P-256)" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -keyout server.key -out server.csr \
      -subj "/O=exomock lab/CN=outlook.office365.us" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
      "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:outlook.office365.us" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile server.ext \
      -out server.crt 2>/dev/null
    cat server.crt ca.crt >server-chain.crt
    chmod 644 ca.crt server.crt server-chain.crt
  )
  python3 "$LAB/tokens/mint.py" keygen >/dev/null
  "$LAB/dovecot/fill-mailbox.py" 1000 10KiB >/dev/null
  "$LAB/dovecot/start.sh" exo >/dev/null
  MASTER=$(cat "$LAB/dovecot/inst/exo/run/master.pid")
  echo "helpdesk@contoso.onmicrosoft.us $(python3 "$LAB/tokens/mint.py" --lifetime 7200)" >"$WORK/dovecot-users.txt"
  dov=(--imap 127.0.0.1:19993 --pop3 127.0.0.1:19995 --ca "$LAB/certs/ca.crt" --server-name localhost
    --users-file "$WORK/dovecot-users.txt")
  run_load dovecot imap-login "$MASTER" "$CLIENTS" "${dov[@]}" --mix imap-login
  run_load dovecot imap-fetch "$MASTER" "$CLIENTS" "${dov[@]}" --mix imap --fetch all
  run_load dovecot pop3-login "$MASTER" "$CLIENTS" "${dov[@]}" --mix pop3-login
  run_load dovecot pop3-retr "$MASTER" "$CLIENTS" "${dov[@]}" --mix pop3 --fetch all
  "$LAB/dovecot/stop.sh" >/dev/null 2>&1 || true
  LAB=
fi

# One machine-readable summary of this run for bench/goals.py: the rows, the xobench cross-check, the signatures.
python3 - "$OUT" "${RSA1:-0}" "${RSA2:-0}" <<'EOF'
import glob, json, os, sys
out, rsa1, rsa2 = sys.argv[1], float(sys.argv[2] or 0), float(sys.argv[3] or 0)
rows = [json.loads(l) for l in open(f"{out}/rows.jsonl")] if os.path.exists(f"{out}/rows.jsonl") else []
xobench = {}
for path in glob.glob(f"{out}/xobench-*.json"):
    x = json.load(open(path))
    xobench[x["mode"]] = {"ops": x["ops"], "msgs": x["msgs"], "client_cpu_s": x["client_cpu_s"],
                          "client_cpu_ms_per_op": x["client_cpu_s"] * 1e3 / x["ops"] if x["ops"] else None,
                          "client_cpu_us_per_message": x["client_cpu_s"] * 1e6 / x["msgs"] if x["msgs"] else None}
json.dump({"schema": "exomock-bench-load/1", "rows": rows, "xobench": xobench,
           "rsa2048_sign_per_s": {"one_core": rsa1, "two_cores": rsa2}}, open(f"{out}/summary.json", "w"), indent=1)
EOF

{
  echo
  [[ -n $RSA1 ]] && echo "RSA-2048 signatures/s in this run (openssl speed): $RSA1 on 1 core, $RSA2 on 2."
  echo "Load average at the end: $(loadavg)."
  [[ -f $WORK/xobench.md ]] && cat "$WORK/xobench.md"
} >>"$REPORT"

# Ratios (exomock ÷ Dovecot), from the rows above.
python3 - "$REPORT" "${RSA1:-0}" "${RSA2:-0}" <<'EOF' | tee -a "$REPORT"
import sys
path, rsa1, rsa2 = sys.argv[1], float(sys.argv[2] or 0), float(sys.argv[3] or 0)
rows = {}
for line in open(path):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 12 and cells[0] in ("exomock", "dovecot"):
        rows[(cells[0], cells[1])] = cells
print("\nRatios, exomock ÷ Dovecot (same client, same certificate type):\n")
for workload, column, unit in [("imap-login", 3, "logins/s"), ("imap-fetch", 4, "messages/s"),
                               ("pop3-login", 3, "logins/s"), ("pop3-retr", 4, "messages/s")]:
    e, d = rows.get(("exomock", workload)), rows.get(("dovecot", workload))
    if e and d and float(d[column]) > 0:
        print(f"- {workload} {unit}: {float(e[column]) / float(d[column]):.2f}x; server CPU per op {e[9]} ms vs {d[9]} ms")
r = rows.get(("exomock", "refresh"))
if r and rsa1 and rsa2:
    print(f"- refresh grants/s ÷ `openssl speed -multi 2 rsa2048`: {float(r[3]) / rsa2:.2f}; server CPU per grant {r[9]} ms, one RSA-2048 signature {1000 / rsa1:.3f} ms")
EOF
echo
echo "== report: $REPORT"
