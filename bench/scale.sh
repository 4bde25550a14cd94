#!/usr/bin/env bash
# The scale benchmark (docs/benchmarks.md, "Scale: 100,000 mailboxes of virtual mail").
#
#   bench/scale.sh [--runs N] [--duration S] [--skip-fetch] [--no-build] [--json PATH]
#
# What it does, in order:
#   1. builds exomock in release mode into .build-release (waiting first for a release build another
#      process already runs there);
#   2. serves bench/scale.yaml (100,000 shared mailboxes x 200 generated 10 KiB messages: 20 million
#      virtual messages) under /usr/bin/time -v, and reports the wall time from start to the ready file,
#      the server's peak RSS when ready (VmHWM) and its peak RSS at exit (after the FETCH runs);
#   3. fills stored1..8 with 200 generated 10 KiB messages each through the admin API (a `deliver` flow
#      with `exomock run --against`): the same generator's bytes, but kept in memory;
#   4. FETCH throughput with the peer lab's xobench (imap-fetch: EXAMINE INBOX, then `FETCH 1:*
#      BODY.PEEK[]` over and over) on scale00001..8 (virtual) and on stored1..8 (kept), 1 and 8
#      connections, and prints virtual / kept.
# Results: bench/results/scale-<stamp>/ (report.md, raw outputs); --json PATH also writes the figures
# bench/goals.py reads (schema exomock-bench-scale/1). Needs swift, cc, libssl-dev, curl,
# jq, python3 and GNU time (/usr/bin/time). Client and server share this machine's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER_LAB=${PEER_LAB:-$ROOT/../shared/peer-lab}
RUNS=3 DURATION=10 WARMUP=2 DO_FETCH=1 BUILD=1 JSON=
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --skip-fetch) DO_FETCH=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --json) JSON=$2; shift 2 ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "bench/scale.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
fail() { echo "bench/scale.sh: $*" >&2; exit 1; }
for tool in swift curl jq python3; do command -v "$tool" >/dev/null || fail "$tool is missing; install it, then rerun"; done
[[ -x /usr/bin/time ]] || fail "GNU time is missing (Debian: apt-get install time)"

cd "$ROOT"
if [[ $BUILD == 1 ]]; then
  while pgrep -f "build-path .build-release|scratch-path .build-release" >/dev/null; do
    echo "waiting for the release build already running in .build-release ..." >&2
    sleep 10
  done
  swift build -c release --build-path .build-release --product exomock >/dev/null
fi
EXOMOCK=$ROOT/.build-release/release/exomock

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/scale-$STAMP
WORK=$(mktemp -d)
mkdir -p "$OUT"
SERVER_PID= TIME_PID=
cleanup() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
REPORT=$OUT/report.md
READY=$WORK/ready.json

echo "== serving bench/scale.yaml (100,000 x 200 virtual messages)"
start=$(date +%s.%N)
/usr/bin/time -v -o "$OUT/time-v.txt" "$EXOMOCK" serve --scenario "$ROOT/bench/scale.yaml" --certs "$WORK/certs" \
  --ready-file "$READY" >"$OUT/exomock.log" 2>&1 &
TIME_PID=$!
for _ in $(seq 12000); do [[ -s $READY ]] && break; kill -0 "$TIME_PID" 2>/dev/null || break; sleep 0.005; done
ready=$(date +%s.%N)
[[ -s $READY ]] || fail "exomock serve did not become ready; see $OUT/exomock.log"
SERVER_PID=$(jq -r .pid "$READY")
READY_S=$(echo "$ready - $start" | bc)
HWM_READY=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
echo "ready after ${READY_S} s; peak RSS so far $((HWM_READY / 1024)) MiB"

{
  echo "# Scale benchmark, $STAMP"
  echo
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); client and server share them"
  echo "- exomock $(git -C "$ROOT" rev-parse --short HEAD), release build; bench/scale.yaml: 100,000 shared mailboxes x 200 x 10 KiB"
  echo
  echo "| measure | value | goal |"
  echo "|---|---:|---|"
  echo "| start to ready file | ${READY_S} s | under 2 s |"
  echo "| peak RSS when ready (VmHWM) | $((HWM_READY / 1024)) MiB | under 1 GiB |"
} >"$REPORT"

if [[ $DO_FETCH == 1 ]]; then
  [[ -f $PEER_LAB/bench/bench.py ]] || fail "the peer lab is not at $PEER_LAB; set PEER_LAB=... or pass --skip-fetch"
  TENANT=8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
  AUTHORITY=$(jq -r '.clouds[0].authority_url' "$READY")
  CA=$(jq -r '.ca_file' "$READY")
  port() { jq -r --arg s "$1" '.clouds[0].listeners[] | select(.service==$s and .tls=="implicit") | .port' "$READY"; }

  echo "== filling stored1..8 with 200 kept messages each (admin API)"
  FILL=$WORK/fill.yaml
  {
    cat "$ROOT/bench/scale.yaml"
    echo "flow:"
    for i in $(seq 8); do
      echo "  - deliver: {mailbox: stored$i@contoso.onmicrosoft.us, generate: {count: 200, size: 10KiB, seed: 7}}"
    done
  } >"$FILL"
  "$EXOMOCK" run "$FILL" --against "$READY" --certs "$WORK/certs" --quiet >"$OUT/fill.txt" 2>&1 \
    || fail "filling the kept mailboxes failed; see $OUT/fill.txt"

  TOKEN=$(curl -sS --fail-with-body --cacert "$CA" "$AUTHORITY/$TENANT/oauth2/v2.0/token" \
    -d grant_type=client_credentials -d client_id=11111111-2222-3333-4444-555555555555 \
    --data-urlencode client_secret=bench-secret --data-urlencode scope=https://outlook.office365.us/.default | jq -r .access_token)
  [[ $TOKEN == ey* ]] || fail "no app-only token from exomock's token endpoint"
  for i in $(seq 8); do printf 'scale%06d@contoso.onmicrosoft.us %s\n' "$i" "$TOKEN"; done >"$WORK/virtual.txt"
  for i in $(seq 8); do echo "stored$i@contoso.onmicrosoft.us $TOKEN"; done >"$WORK/kept.txt"
  common=(--host 127.0.0.1 --imap-port "$(port imap)" --pop-port "$(port pop3)" --ca "$CA" --sni outlook.office365.us
    --runs 1 --duration "$DURATION" --warmup "$WARMUP" --workloads "imap-fetch:1,8")
  # Kept and virtual alternate run by run, so a change in the machine's background load hits both alike.
  for r in $(seq "$RUNS"); do
    for kind in kept virtual; do
      echo "== FETCH from $kind mail, run $r of $RUNS"
      python3 "$PEER_LAB/bench/bench.py" --label "exomock-$kind-$r" "${common[@]}" --users-file "$WORK/$kind.txt" \
        --out "$OUT/$kind-$r" >"$OUT/fetch-$kind-$r.txt" 2>&1
    done
  done
  # Median over the runs of one kind's msgs/s at $2 connections.
  msgs() {
    for r in $(seq "$RUNS"); do
      jq -r --argjson c "$2" '.rows[] | select(.conns==$c) | .msgs_per_s' "$(find "$OUT/$1-$r" -name summary.json | head -1)"
    done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
  }
  {
    for c in 1 8; do
      kept=$(msgs kept "$c") virtual=$(msgs virtual "$c")
      ratio=$(echo "scale=3; $virtual / $kept" | bc)
      echo "$c $ratio" >>"$WORK/ratios.txt"
      echo "| FETCH 1:* BODY.PEEK[], $c connection(s): virtual / kept msgs/s (median of $RUNS alternating runs) | ${virtual%.*} / ${kept%.*} = $ratio | at least 0.9 |"
    done
  } >>"$REPORT"

  echo "== first read against repeated read (20 mailboxes never opened before)"
  python3 "$ROOT/bench/scale-cold.py" 127.0.0.1 "$(port imap)" "$CA" "$TOKEN" 1000 20 | tee "$OUT/cold.json"
  {
    echo "| SELECT of a never-opened mailbox (one counting pass, 200 x 10 KiB), median of 20, Python imaplib | $(jq -r .select_ms "$OUT/cold.json") ms | |"
    echo "| first FETCH 1:* BODY.PEEK[] there (200 messages made from their seeds) | $(jq -r .first_fetch_ms "$OUT/cold.json") ms | |"
    echo "| second FETCH 1:* BODY.PEEK[] (from the cache of recent reads) | $(jq -r .second_fetch_ms "$OUT/cold.json") ms | |"
  } >>"$REPORT"
fi

kill "$SERVER_PID"
wait "$TIME_PID" || true
SERVER_PID=
PEAK=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time-v.txt")
echo "| peak RSS at exit (after the FETCH runs) | $((PEAK / 1024)) MiB | under 1 GiB |" >>"$REPORT"
if [[ -n $JSON ]]; then
  touch "$WORK/ratios.txt"
  python3 - "$JSON" "$READY_S" "$((HWM_READY / 1024))" "$((PEAK / 1024))" "$WORK/ratios.txt" <<'EOF'
import json, sys
path, ready_s, ready_mib, peak_mib, ratios = sys.argv[1:]
pairs = dict(line.split() for line in open(ratios) if line.strip())
json.dump({"schema": "exomock-bench-scale/1", "ready_s": float(ready_s), "ready_rss_mib": int(ready_mib),
           "peak_rss_mib": int(peak_mib), "virtual_over_kept": {c: float(r) for c, r in pairs.items()}},
          open(path, "w"), indent=1)
EOF
fi
echo
cat "$REPORT"
