#!/usr/bin/env bash
# exomock's benchmarks, side by side with Dovecot in the same run, and issue 13's goals checked from
# that one run. Method and results: docs/benchmarks.md.
#
#   bench/run.sh [--duration S] [--warmup S] [--skip-dovecot] [--skip-load] [--skip-handshake]
#                [--skip-scale] [--skip-idle] [--idle-counts N,N,...] [--classic] [--runs N]
#
# What it does, in order (each step writes its own directory under bench/results/ too):
#   1. builds exomock in release mode (.build-release), with the bare TLS baseline server
#      (EXOMOCK_BENCH=1: bench/tls-baseline);
#   2. bench/load.sh: `exomock load` against exomock and the peer lab's Dovecot (P-256 certificates on
#      both): IMAP and POP3 logins, FETCH, RETR, SMTP, refresh grants; xobench (C, OpenSSL) against
#      exomock as a cross-check of the load client's own CPU; `openssl speed rsa2048` for the signature bound;
#   3. bench/handshake.sh: server CPU per IMAP XOAUTH2 login against a bare SwiftNIO TLS 1.3 handshake;
#   4. bench/scale.sh: 100,000 shared mailboxes x 200 virtual messages: ready time, RSS, FETCH virtual/kept;
#   5. bench/idle.sh: memory per authenticated idle TLS IMAP session at growing counts;
#   6. with --classic, the older comparison: the peer lab's xobench against both servers (lab's RSA
#      certificate for Dovecot) and wrk against the token endpoint, with both RS256 backends;
#   7. bench/goals.py: issue 13's goals, each a ratio or a figure from this run, met or missed.
# Results: bench/results/<stamp>/report.md. Needs: swift, cc, libssl-dev, curl, jq, python3 (with
# cryptography, for the peer lab's token minter), GNU time, wrk (--classic only) and dovecot-imapd/
# dovecot-pop3d (the peer lab's setup.sh installs them). Client and server share this machine's cores:
# run it with nothing else on the machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER_LAB=${PEER_LAB:-$ROOT/../shared/peer-lab}
RUNS=3 DURATION=10 WARMUP=2 IDLE_COUNTS=
DO_DOVECOT=1 DO_MAIL=0 DO_TOKEN=0 DO_LOAD=1 DO_HANDSHAKE=1 DO_SCALE=1 DO_IDLE=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --skip-dovecot) DO_DOVECOT=0; shift ;;
    --skip-load) DO_LOAD=0; shift ;;
    --skip-handshake) DO_HANDSHAKE=0; shift ;;
    --skip-scale) DO_SCALE=0; shift ;;
    --skip-idle) DO_IDLE=0; shift ;;
    --idle-counts) IDLE_COUNTS=$2; shift 2 ;;
    --classic) DO_MAIL=1 DO_TOKEN=1; shift ;;
    -h|--help) sed -n 2,25p "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "bench/run.sh: $*" >&2; exit 1; }
for tool in swift cc curl jq python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install it (Debian: apt-get install $tool), then rerun"
done
if [[ $DO_TOKEN == 1 ]]; then command -v wrk >/dev/null || fail "wrk is missing (--classic): apt-get install wrk"; fi
[[ -f /usr/include/openssl/evp.h ]] || fail "libssl-dev is missing (exomock's RS256 signing and xobench need it): apt-get install libssl-dev"
if [[ $DO_MAIL == 1 || $DO_DOVECOT == 1 ]]; then
  [[ -f $PEER_LAB/bench/bench.py ]] || fail "the peer lab is not at $PEER_LAB; set PEER_LAB=/path/to/shared/peer-lab or pass --skip-mail --skip-dovecot"
fi

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/$STAMP
mkdir -p "$OUT"
REPORT=$OUT/report.md
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [[ -n ${DOVECOT_STARTED:-} ]]; then "$PEER_LAB/dovecot/stop.sh" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building exomock and the TLS baseline (release)"
(cd "$ROOT" && swift build -c release --scratch-path .build-release --product exomock 2>&1 | tail -3)
if [[ $DO_HANDSHAKE == 1 ]]; then
  (cd "$ROOT" && EXOMOCK_BENCH=1 swift build -c release --scratch-path .build-release --product exomock-tls-baseline 2>&1 | tail -3)
fi
EXOMOCK=$ROOT/.build-release/release/exomock
export EXOMOCK_BIN=$EXOMOCK # the step scripts use these binaries instead of building again
[[ $DO_HANDSHAKE == 1 ]] && export BASELINE_BIN=$ROOT/.build-release/release/exomock-tls-baseline

{
  echo "# Benchmark run $STAMP"
  echo
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB; client and server share the CPUs"
  echo "- exomock: $(git -C "$ROOT" rev-parse --short HEAD), release build; $(openssl version)"
  echo "- each measured run: ${WARMUP}s warm-up, then ${DURATION}s counted (--classic: medians of $RUNS runs)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} >"$REPORT"

# Serves the bench scenario with the RS256 backend given; sets READY, SERVER_PID.
start_exomock() {
  local backend=$1
  READY=$WORK/ready-$backend.json
  rm -f "$READY"
  EXOMOCK_RS256_BACKEND=$backend "$EXOMOCK" serve --scenario "$ROOT/bench/scenario.yaml" --certs "$WORK/certs" \
    --ready-file "$READY" >"$OUT/exomock-$backend.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do [[ -s $READY ]] && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  [[ -s $READY ]] || fail "exomock serve did not become ready; see $OUT/exomock-$backend.log"
}
stop_exomock() { kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=; }

TENANT=8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
CLIENT_ID=11111111-2222-3333-4444-555555555555
SECRET=bench-secret

if [[ $DO_MAIL == 1 ]]; then
  echo "== exomock: IMAP and POP3"
  start_exomock openssl
  AUTHORITY=$(jq -r '.clouds[0].authority_url' "$READY")
  CA=$(jq -r '.ca_file' "$READY")
  port() { jq -r --arg s "$1" '.clouds[0].listeners[] | select(.service==$s and .tls=="implicit") | .port' "$READY"; }
  TOKEN=$(curl -sS --fail-with-body --cacert "$CA" "$AUTHORITY/$TENANT/oauth2/v2.0/token" \
    -d grant_type=client_credentials -d client_id=$CLIENT_ID --data-urlencode client_secret=$SECRET \
    --data-urlencode scope=https://outlook.office365.us/.default | jq -r .access_token)
  [[ $TOKEN == ey* ]] || fail "no app-only token from exomock's token endpoint"
  USERS=$WORK/users8.txt WIDE=$WORK/users64.txt
  for i in $(seq 8); do echo "bench$i@contoso.onmicrosoft.us $TOKEN"; done >"$USERS"
  for i in $(seq 64); do echo "bench$i@contoso.onmicrosoft.us $TOKEN"; done >"$WIDE"
  common=(--host 127.0.0.1 --imap-port "$(port imap)" --pop-port "$(port pop3)" --ca "$CA" --sni outlook.office365.us
    --runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" --out "$OUT")
  python3 "$PEER_LAB/bench/bench.py" --label exomock "${common[@]}" --users-file "$USERS" \
    --workloads "imap-login:1,32 imap-fetch:1,32 pop-retr:1,8" | tee "$OUT/exomock-mail.txt"
  python3 "$PEER_LAB/bench/bench.py" --label exomock-pop-login "${common[@]}" --users-file "$WIDE" \
    --workloads "pop-login:8" | tee "$OUT/exomock-pop-login.txt"
  {
    echo "## exomock, IMAP and POP3 (connections spread round robin over the mailboxes: docs/benchmarks.md)"
    echo
    sed -n '/^| workload/,/^$/p' "$OUT/exomock-mail.txt" | sed '/^$/d'
    grep '^| pop-login' "$OUT/exomock-pop-login.txt"
    echo
    echo "exomock server RSS after the mail runs: $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
    echo
  } >>"$REPORT"
  stop_exomock
fi

if [[ $DO_MAIL == 1 && $DO_DOVECOT == 1 ]]; then
  command -v dovecot >/dev/null || fail "dovecot is missing: run $PEER_LAB/setup.sh (as root), or pass --skip-dovecot"
  echo "== Dovecot: IMAP and POP3 (--classic)"
  "$PEER_LAB/dovecot/stop.sh" >/dev/null 2>&1 || true
  "$PEER_LAB/dovecot/fill-mailbox.py" 1000 10KiB
  "$PEER_LAB/dovecot/start.sh" exo
  DOVECOT_STARTED=1
  python3 "$PEER_LAB/bench/bench.py" --label dovecot --runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" \
    --workloads "imap-login:1,32 imap-fetch:1,32 pop-login:8 pop-retr:1,8" --out "$OUT" | tee "$OUT/dovecot-mail.txt"
  {
    echo "## Dovecot $(dovecot --version | cut -d' ' -f1), same client and workloads (1 mailbox of 1000 x 10 KiB)"
    echo
    sed -n '/^| workload/,/^$/p' "$OUT/dovecot-mail.txt"
    echo
  } >>"$REPORT"
  "$PEER_LAB/dovecot/stop.sh" >/dev/null 2>&1 || true
  DOVECOT_STARTED=
fi

if [[ $DO_TOKEN == 1 ]]; then
  echo "== token service: refresh-token grants over HTTPS"
  {
    echo "## Token service: refresh-token grants, HTTPS keep-alive, wrk -t2 -c64 (and -t1 -c1 for unloaded latency)"
    echo
    echo "The bound: RSA-2048 signatures per second on this CPU (\`openssl speed -seconds 3 rsa2048\`, 1 core and \`-multi 2\`):"
    echo "$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')/s on 1 core, $(openssl speed -seconds 3 -multi 2 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')/s on 2."
    echo
    echo "| RS256 backend | connections | grants/s (runs) | p50 ms | p90 ms | p99 ms | server CPU µs/grant | failed |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  } >>"$REPORT"
  for backend in openssl boringssl; do
    start_exomock "$backend"
    AUTHORITY=$(jq -r '.clouds[0].authority_url' "$READY")
    CA=$(jq -r '.ca_file' "$READY")
    SCOPE="https://outlook.office365.us/IMAP.AccessAsUser.All offline_access"
    RT=$(curl -sS --fail-with-body --cacert "$CA" "$AUTHORITY/$TENANT/oauth2/v2.0/token" \
      -d grant_type=password -d client_id=$CLIENT_ID --data-urlencode client_secret=$SECRET \
      -d username=loader@contoso.onmicrosoft.us -d password=Bench-Pa55 --data-urlencode "scope=$SCOPE" | jq -r .refresh_token)
    [[ -n $RT && $RT != null ]] || fail "no refresh token from the password grant"
    for shape in "2 64" "1 1"; do
      set -- $shape
      line=
      for run in $(seq "$RUNS"); do
        # warm-up, not counted
        EXOMOCK_RT=$RT EXOMOCK_CLIENT_ID=$CLIENT_ID EXOMOCK_SECRET=$SECRET EXOMOCK_SCOPE=$SCOPE \
          wrk -t"$1" -c"$2" -d"${WARMUP}s" -s "$ROOT/bench/refresh.lua" "$AUTHORITY/$TENANT/oauth2/v2.0/token" >/dev/null
        cpu0=$(awk '{print $14 + $15}' /proc/$SERVER_PID/stat)
        line=$(EXOMOCK_RT=$RT EXOMOCK_CLIENT_ID=$CLIENT_ID EXOMOCK_SECRET=$SECRET EXOMOCK_SCOPE=$SCOPE \
          wrk -t"$1" -c"$2" -d"${DURATION}s" --latency -s "$ROOT/bench/refresh.lua" "$AUTHORITY/$TENANT/oauth2/v2.0/token" \
          | tee -a "$OUT/wrk-$backend.txt" | grep '^BENCH')
        echo "$backend c$2 run $run: $line"
        cpu1=$(awk '{print $14 + $15}' /proc/$SERVER_PID/stat)
        line="$line server_ticks=$((cpu1 - cpu0)) hz=$(getconf CLK_TCK)"
        echo "$backend c$2 $line" >>"$OUT/wrk-runs.txt"
      done
      # Median run by grants/s; its latency percentiles are reported.
      python3 - "$OUT/wrk-runs.txt" "$backend" "$2" >>"$REPORT" <<'EOF'
import sys, statistics
path, backend, conns = sys.argv[1], sys.argv[2], sys.argv[3]
runs = []
for line in open(path):
    parts = line.split()
    if parts[0] != backend or parts[1] != "c" + conns:
        continue
    runs.append(dict(kv.split("=") for kv in parts[3:]))
runs.sort(key=lambda r: float(r["rps"]))
mid = runs[len(runs) // 2]
failed = sum(int(r["non2xx"]) + int(r["errors"]) for r in runs)
rates = ", ".join(f'{float(r["rps"]):.0f}' for r in runs)
cpu_us = int(mid["server_ticks"]) / int(mid["hz"]) * 1e6 / int(mid["requests"])
print(f'| {backend} | {conns} | **{float(mid["rps"]):.0f}** ({rates}) | {mid["p50_ms"]} | {mid["p90_ms"]} | {mid["p99_ms"]} | {cpu_us:.0f} | {failed} |')
if failed:
    sys.exit(f"{failed} refresh grants failed: see wrk-{backend}.txt")
EOF
    done
    echo "exomock ($backend) server RSS after the token runs: $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)" >>"$WORK/rss.txt"
    stop_exomock
  done
  { echo; cat "$WORK/rss.txt"; echo; } >>"$REPORT"
fi

if [[ $DO_LOAD == 1 ]]; then
  echo "== exomock load against exomock and Dovecot (bench/load.sh)"
  load_args=(--duration "$DURATION" --warmup "$WARMUP")
  [[ $DO_DOVECOT == 1 ]] || load_args+=(--skip-dovecot)
  "$ROOT/bench/load.sh" "${load_args[@]}" | tee "$OUT/load.txt"
  LOAD_REPORT=$(sed -n 's/^== report: //p' "$OUT/load.txt")
  cp "$(dirname "$LOAD_REPORT")/summary.json" "$OUT/load-summary.json"
  { echo "## exomock load (bench/load.sh)"; echo; cat "$LOAD_REPORT"; echo; } >>"$REPORT"
fi

if [[ $DO_HANDSHAKE == 1 ]]; then
  echo "== IMAP login against a bare TLS handshake (bench/handshake.sh)"
  "$ROOT/bench/handshake.sh" --duration "$DURATION" --warmup "$WARMUP" --json "$OUT/handshake.json" | tee "$OUT/handshake.txt"
  { echo "## IMAP login against a bare SwiftNIO TLS 1.3 handshake (bench/handshake.sh)"; echo
    grep '^|' "$OUT/handshake.txt"; echo; } >>"$REPORT"
fi

if [[ $DO_SCALE == 1 ]]; then
  echo "== 100,000 mailboxes of virtual mail (bench/scale.sh)"
  "$ROOT/bench/scale.sh" --no-build --runs 3 --duration "$DURATION" --json "$OUT/scale.json" | tee "$OUT/scale.txt"
  { echo "## Scale (bench/scale.sh, medians of 3 alternating runs)"; echo; grep '^|' "$OUT/scale.txt"; echo; } >>"$REPORT"
fi

if [[ $DO_IDLE == 1 ]]; then
  echo "== idle authenticated TLS IMAP sessions (bench/idle.sh)"
  idle_args=(--json "$OUT/idle.json")
  [[ -n $IDLE_COUNTS ]] && idle_args+=(--counts "$IDLE_COUNTS")
  "$ROOT/bench/idle.sh" "${idle_args[@]}" | tee "$OUT/idle.txt"
  { echo "## Idle sessions (bench/idle.sh)"; echo; grep '^|' "$OUT/idle.txt"; echo; } >>"$REPORT"
fi

goal_args=()
[[ -f $OUT/load-summary.json ]] && goal_args+=(--load "$OUT/load-summary.json")
[[ -f $OUT/handshake.json ]] && goal_args+=(--handshake "$OUT/handshake.json")
[[ -f $OUT/scale.json ]] && goal_args+=(--scale "$OUT/scale.json")
[[ -f $OUT/idle.json ]] && goal_args+=(--idle "$OUT/idle.json")
{
  echo "## Issue 13's goals, from this run"
  echo
  python3 "$ROOT/bench/goals.py" "${goal_args[@]}"
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$OUT/goals.md"
cat "$OUT/goals.md" >>"$REPORT"

echo
echo "== report: $REPORT"
cat "$OUT/goals.md"
