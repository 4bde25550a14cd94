#!/usr/bin/env bash
# The bound of issue 13's login goal: server CPU per IMAP XOAUTH2 login (exomock) next to server CPU per
# bare SwiftNIO TLS 1.3 handshake (bench/tls-baseline: the same certificate, TLS context, event loops and
# bootstrap as exomock's implicit-TLS mail listeners, and no protocol). Method: docs/benchmarks.md.
#
#   bench/handshake.sh [--duration S] [--warmup S] [--clients N] [--runs R] [--json PATH]
#
# 1. builds exomock and exomock-tls-baseline in release mode (.build-release; EXOMOCK_BIN and BASELINE_BIN
#    use given binaries instead) and bench/tls-baseline/client.c (C, OpenSSL);
# 2. serves bench/scenario.yaml; the baseline serves gcc-high's certificate and key from the certificate
#    directory exomock serve wrote (leaf, then CA: the chain exomock sends);
# 3. R times, in turn: the C client makes new connections (full TLS 1.3 handshake, X25519 key share as
#    `exomock load` offers, close_notify) to the baseline with N threads; `exomock load --mix imap-login`
#    (connect, TLS, greeting, AUTHENTICATE XOAUTH2, LOGOUT) against exomock with N handlers over bench1-8;
# 4. server CPU per operation: the server process's utime+stime (/proc/PID/stat) over the run, divided by
#    the operations of the run (exomock load counts only its window: its count is scaled by
#    1 + warmup/duration, as bench/load.sh does). The median run's figures are printed as a JSON line and
#    a markdown row; --json PATH writes the JSON there too.
# CPU time is noisy when other work shares the machine: the load average before each run is recorded.
# (Instruction counts would not be noisy, but valgrind 3.19 crashes in libdispatch's sigsuspend, under the
# async main of both servers, so there is no callgrind mode.)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=10 WARMUP=2 CLIENTS=8 RUNS=3 JSON=
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    -h|--help) sed -n 2,22p "$0"; exit 0 ;;
    *) echo "bench/handshake.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "bench/handshake.sh: $*" >&2; exit 1; }
for tool in swift jq python3 cc; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install it (Debian: apt-get install $tool), then rerun"
done
[[ -f /usr/include/openssl/ssl.h ]] || fail "OpenSSL headers are missing: apt-get install libssl-dev"

WORK=$(mktemp -d)
EXOMOCK_PID= BASELINE_PID=
cleanup() {
  [[ -n $EXOMOCK_PID ]] && kill "$EXOMOCK_PID" 2>/dev/null && wait "$EXOMOCK_PID" 2>/dev/null || true
  [[ -n $BASELINE_PID ]] && kill "$BASELINE_PID" 2>/dev/null && wait "$BASELINE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

EXOMOCK=${EXOMOCK_BIN:-$ROOT/.build-release/release/exomock}
BASELINE=${BASELINE_BIN:-$ROOT/.build-release/release/exomock-tls-baseline}
if [[ -z ${EXOMOCK_BIN:-} ]]; then
  echo "== building exomock (release)" >&2
  (cd "$ROOT" && swift build -c release --build-path .build-release --product exomock 2>&1 | tail -2 >&2)
fi
if [[ -z ${BASELINE_BIN:-} ]]; then
  echo "== building exomock-tls-baseline (release)" >&2
  (cd "$ROOT" && EXOMOCK_BENCH=1 swift build -c release --build-path .build-release --product exomock-tls-baseline \
    2>&1 | tail -2 >&2)
fi
[[ -x $EXOMOCK && -x $BASELINE ]] || fail "missing $EXOMOCK or $BASELINE: build them (see the lines above)"
cc -O2 -pthread -o "$WORK/client" "$ROOT/bench/tls-baseline/client.c" -lssl -lcrypto

# CPU seconds (utime+stime, all threads) of one process.
proc_cpu() {
  python3 -c 'import os,sys; s=open(f"/proc/{sys.argv[1]}/stat").read(); f=s[s.rindex(")")+2:].split()
print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}
READY=$WORK/ready.json
"$EXOMOCK" serve --scenario "$ROOT/bench/scenario.yaml" --certs "$WORK/certs" --ready-file "$READY" >"$WORK/exomock.log" 2>&1 &
EXOMOCK_PID=$!
for _ in $(seq 600); do [[ -s $READY ]] && break; kill -0 "$EXOMOCK_PID" 2>/dev/null || break; sleep 0.1; done
[[ -s $READY ]] || { cat "$WORK/exomock.log" >&2; fail "exomock serve did not become ready"; }
CA=$(jq -r '.ca_file' "$READY")
CERTS=$(dirname "$CA")
cat "$CERTS/gcc-high.pem" "$CA" >"$WORK/chain.pem"
"$BASELINE" --chain "$WORK/chain.pem" --key "$CERTS/gcc-high-key.pem" >"$WORK/baseline.out" 2>&1 &
BASELINE_PID=$!
for _ in $(seq 100); do grep -q '^port ' "$WORK/baseline.out" && break; sleep 0.1; done
PORT=$(sed -n 's/^port //p' "$WORK/baseline.out")
[[ -n $PORT ]] || { cat "$WORK/baseline.out" >&2; fail "exomock-tls-baseline did not start"; }
BOXES=$(seq -f 'bench%g@contoso.onmicrosoft.us' 1 8 | paste -sd,)
run_baseline() {
  "$WORK/client" --port "$PORT" --ca "$CA" --conns "$CLIENTS" --duration "$1" --warmup "$2" \
    >"$WORK/client.json" 2>"$WORK/client.err" || { cat "$WORK/client.err" >&2; fail "the baseline client failed"; }
}
run_exomock() {
  "$EXOMOCK" load --scenario "$ROOT/bench/scenario.yaml" --against "$READY" --mailboxes "$BOXES" --mix imap-login \
    --clients "$CLIENTS" --duration "${1}s" --warmup "${2}s" --progress-interval 0 --json "$WORK/load.json" \
    >"$WORK/load.txt" 2>&1 || { cat "$WORK/load.txt" >&2; fail "exomock load failed"; }
}

: >"$WORK/runs.jsonl"
for run in $(seq "$RUNS"); do
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(proc_cpu "$BASELINE_PID")
  run_baseline "$DURATION" "$WARMUP"
  c1=$(proc_cpu "$BASELINE_PID")
  e0=$(proc_cpu "$EXOMOCK_PID")
  run_exomock "$DURATION" "$WARMUP"
  e1=$(proc_cpu "$EXOMOCK_PID")
  python3 - "$WORK/client.json" "$WORK/load.json" "$c0" "$c1" "$e0" "$e1" "$DURATION" "$WARMUP" "$load_before" \
    >>"$WORK/runs.jsonl" <<'PY'
import json, sys
client, load = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
c0, c1, e0, e1, duration, warmup, load_before = map(float, sys.argv[3:10])
(kind, k), = load["kinds"].items()
if client["total_ops"] == 0 or k["ops"] == 0:
    sys.exit(f"bench/handshake.sh: no operations (baseline {client}, exomock {k})")
baseline = (c1 - c0) * 1e6 / client["total_ops"]
exomock = (e1 - e0) * 1e6 / ((k["ops"] + k["errors"]) * (1 + warmup / duration))
print(json.dumps({
    "baseline_us_per_handshake": round(baseline, 1), "exomock_us_per_login": round(exomock, 1),
    "baseline_handshakes": client["total_ops"], "exomock_logins": k["ops"],
    "ratio": round(exomock / baseline, 3),
    "baseline_handshakes_per_s": client["ops_per_s"], "baseline_errors": client["errors"],
    "exomock_logins_per_s": round(k["ops_per_s"], 1), "exomock_errors": k["errors"],
    "exomock_client_cpu_us_per_login": round(load["cpu_s"] * 1e6 / k["ops"], 1), "load_average_before": load_before,
}))
PY
  echo "run $run: $(tail -1 "$WORK/runs.jsonl")" >&2
done

python3 - "$WORK/runs.jsonl" "$CLIENTS" "$DURATION" "$WARMUP" "$(git -C "$ROOT" rev-parse --short HEAD)" \
  >"$WORK/result.json" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
median = sorted(runs, key=lambda r: r["ratio"])[len(runs) // 2]
print(json.dumps({"clients": int(sys.argv[2]), "duration_s": float(sys.argv[3]), "warmup_s": float(sys.argv[4]),
                  "commit": sys.argv[5],
                  **median,
                  "ratio_range": [min(r["ratio"] for r in runs), max(r["ratio"] for r in runs)], "runs": runs}))
PY
cat "$WORK/result.json"
[[ -n $JSON ]] && cp "$WORK/result.json" "$JSON"
echo
echo "| clients | baseline: server CPU µs/handshake | exomock: server CPU µs/login | ratio (median of $RUNS; range) | handshakes/s | logins/s |"
echo "|---:|---:|---:|---:|---:|---:|"
jq -r '"| \(.clients) | \(.baseline_us_per_handshake) | \(.exomock_us_per_login) | \(.ratio) (\(.ratio_range[0])–\(.ratio_range[1])) | \(.baseline_handshakes_per_s) | \(.exomock_logins_per_s) |"' "$WORK/result.json"
