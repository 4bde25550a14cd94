#!/usr/bin/env bash
# exomock's benchmarks, side by side with Dovecot in the same run. Method: docs/benchmarks.md.
#
#   bench/run.sh [--runs N] [--duration S] [--skip-dovecot] [--skip-mail] [--skip-token] [--skip-load]
#
# What it does, in order:
#   1. builds exomock in release mode (scratch path .build-release);
#   2. serves bench/scenario.yaml (GCC High, 8 shared mailboxes of 1000 generated 10 KiB messages),
#      gets one app-only token from exomock's own token endpoint (client credentials);
#   3. runs the peer lab's load client (../shared/peer-lab/bench/bench.py, which builds xobench, a C
#      OpenSSL client) against exomock's IMAPS and POP3S listeners: XOAUTH2 logins/s and FETCH / RETR
#      throughput, 1 and 32 IMAP sessions, 1 and 8 POP3 sessions;
#   4. starts the peer lab's Dovecot (XOAUTH2, same client, same workloads, 1000 x 10 KiB messages);
#   5. refresh-token grants per second over HTTPS with keep-alive (wrk, 2 threads, 64 connections,
#      --latency), once with RS256 signed by the system's OpenSSL and once by BoringSSL.
#   6. bench/load.sh: the same servers driven by exomock's own load generator (`exomock load`), Dovecot
#      with a P-256 certificate like exomock's; its report is appended (--skip-load leaves it out).
# Results: bench/results/<stamp>/ (report.md, raw outputs). Needs: swift, cc, libssl-dev, wrk, curl,
# jq, python3 (cryptography for the peer lab's token minter) and, for step 4, dovecot-imapd and
# dovecot-pop3d (the peer lab's setup.sh installs them). Client and server share this machine's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER_LAB=${PEER_LAB:-$ROOT/../shared/peer-lab}
RUNS=3 DURATION=10 WARMUP=2
DO_DOVECOT=1 DO_MAIL=1 DO_TOKEN=1 DO_LOAD=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --skip-dovecot) DO_DOVECOT=0; shift ;;
    --skip-mail) DO_MAIL=0; shift ;;
    --skip-token) DO_TOKEN=0; shift ;;
    --skip-load) DO_LOAD=0; shift ;;
    -h|--help) sed -n 2,24p "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "bench/run.sh: $*" >&2; exit 1; }
for tool in swift cc curl jq python3 wrk; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install it (Debian: apt-get install $tool), then rerun"
done
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
  if [[ $DO_DOVECOT == 1 && -n ${DOVECOT_STARTED:-} ]]; then "$PEER_LAB/dovecot/stop.sh" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building exomock (release)"
(cd "$ROOT" && swift build -c release --scratch-path .build-release --product exomock 2>&1 | tail -3)
EXOMOCK=$ROOT/.build-release/release/exomock

{
  echo "# Benchmark run $STAMP"
  echo
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB; client and server share the CPUs"
  echo "- exomock: $(git -C "$ROOT" rev-parse --short HEAD), release build; $(openssl version)"
  echo "- runs: $RUNS x ${DURATION}s after ${WARMUP}s warm-up, medians"
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

if [[ $DO_DOVECOT == 1 ]]; then
  command -v dovecot >/dev/null || fail "dovecot is missing: run $PEER_LAB/setup.sh (as root), or pass --skip-dovecot"
  echo "== Dovecot: IMAP and POP3"
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
  echo "== exomock load (bench/load.sh)"
  load_args=(--duration "$DURATION" --warmup "$WARMUP")
  [[ $DO_DOVECOT == 1 ]] || load_args+=(--skip-dovecot)
  "$ROOT/bench/load.sh" "${load_args[@]}" | tee "$OUT/load.txt"
  { echo "## exomock load (bench/load.sh)"; echo; cat "$(sed -n 's/^== report: //p' "$OUT/load.txt")"; echo; } >>"$REPORT"
fi

echo
echo "== report: $REPORT"
cat "$REPORT"
