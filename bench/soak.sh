#!/usr/bin/env bash
# Soak: one `exomock serve` under well-behaved and hostile clients at once (issue 15). Method and
# results: docs/robustness.md ("Soak").
#
#   bench/soak.sh [--duration S] [--hostile-workers N] [--sample S]
#
# In order:
#   1. builds exomock in release mode (.build-release; EXOMOCK_BIN=path skips the build);
#   2. serves bench/scenario.yaml; a well-behaved handler mix (`exomock load`, imap=2,pop3=1,refresh=1,
#      4 handlers, fetch of new mail) runs alone for 60 s: its unloaded p99;
#   3. bench/hostile.py starts N hostile workers (stalled TLS handshakes, partial HTTP heads and bodies,
#      huge Content-Length and literals, long lines, garbage, pipelined RETR never read) for --duration;
#      the same well-behaved mix runs beside them in 60 s windows, each window's p99 recorded;
#   4. every --sample seconds the server's RSS (VmRSS) and open file descriptors are recorded.
# The report says: RSS once warm (the first sample after 60 s of hostile load) and at the end, the largest
# RSS, file descriptors at the start, largest and end, and each loaded window's p99 against the unloaded one
# (the goal: within 2x). Results: bench/results/soak-<stamp>/ (report.md, samples.csv, the load JSONs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=600 WORKERS=40 SAMPLE=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --hostile-workers) WORKERS=$2; shift 2 ;;
    --sample) SAMPLE=$2; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "bench/soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
fail() { echo "bench/soak.sh: $*" >&2; exit 1; }
for tool in swift jq python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install it (Debian: apt-get install $tool), then rerun"
done
(( DURATION >= 120 )) || fail "--duration must be at least 120 s (a 60 s warm-up and one 60 s window)"

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/soak-$STAMP
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID= HOSTILE_PID= SAMPLER_PID=
cleanup() {
  for pid in $HOSTILE_PID $SAMPLER_PID $SERVER_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

EXOMOCK=${EXOMOCK_BIN:-$ROOT/.build-release/release/exomock}
if [[ -z ${EXOMOCK_BIN:-} ]]; then
  echo "== building exomock (release)"
  (cd "$ROOT" && swift build -c release --build-path .build-release --product exomock 2>&1 | tail -2)
fi

READY=$WORK/ready.json
"$EXOMOCK" serve --scenario "$ROOT/bench/scenario.yaml" --certs "$WORK/certs" --ready-file "$READY" >"$OUT/exomock.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do [[ -s $READY ]] && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
[[ -s $READY ]] || fail "exomock serve did not become ready; see $OUT/exomock.log"

# samples.csv: seconds since the hostile start (negative: before it), RSS KiB, open file descriptors.
START=$(date +%s)
(
  echo "t_s,rss_kib,fds"
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    fds=$(ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l)
    echo "$(( $(date +%s) - START - 60 )),$rss,$fds"
    sleep "$SAMPLE"
  done
) >"$OUT/samples.csv" &
SAMPLER_PID=$!

BOXES=$(seq -f 'bench%g@contoso.onmicrosoft.us' 1 8 | paste -sd,)
well_behaved() { # NAME: one 60 s window of the well-behaved mix
  "$EXOMOCK" load --scenario "$ROOT/bench/scenario.yaml" --against "$READY" --mailboxes "$BOXES" \
    --mix imap=2,pop3=1,refresh=1 --clients 4 --duration 60s --warmup 2s --progress-interval 0 \
    --json "$OUT/$1.json" >"$OUT/$1.txt" 2>&1 || fail "the well-behaved run $1 failed: see $OUT/$1.txt"
}

echo "== unloaded: the well-behaved mix alone (60 s)"
well_behaved unloaded

echo "== hostile: $WORKERS workers for $DURATION s, the well-behaved mix beside them"
python3 "$ROOT/bench/hostile.py" "$READY" --workers "$WORKERS" --duration "$DURATION" --stats "$OUT/hostile.json" \
  >"$OUT/hostile.txt" 2>&1 &
HOSTILE_PID=$!
windows=$(( DURATION / 62 ))
for i in $(seq 1 "$windows"); do well_behaved "loaded-$i"; done
wait "$HOSTILE_PID" || fail "hostile.py failed: see $OUT/hostile.txt"
HOSTILE_PID=
kill -0 "$SERVER_PID" 2>/dev/null || fail "exomock serve died under the soak; see $OUT/exomock.log"
sleep "$SAMPLE"
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=

python3 - "$OUT" "$windows" "$WORKERS" "$DURATION" >"$OUT/report.md" <<'EOF'
import csv, json, sys
out, windows, workers, duration = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [(int(r["t_s"]), int(r["rss_kib"]), int(r["fds"])) for r in csv.DictReader(open(f"{out}/samples.csv"))]
before = [r for r in rows if r[0] < 0]
during = [r for r in rows if r[0] >= 0]
warm = next((r for r in during if r[0] >= 60), during[0])
end = during[-1]
def p99(name):
    kinds = json.load(open(f"{out}/{name}.json"))["kinds"]
    return {k: v["latency_ms"]["p99"] for k, v in kinds.items()}, {k: v["errors"] for k, v in kinds.items()}
base, base_errors = p99("unloaded")
print(f"# exomock soak, {workers} hostile workers for {duration} s\n")
print(f"- RSS: {before[-1][1] / 1024:.1f} MiB before the hostile clients, {warm[1] / 1024:.1f} MiB once warm "
      f"(t={warm[0]} s), {end[1] / 1024:.1f} MiB at the end (t={end[0]} s), largest {max(r[1] for r in during) / 1024:.1f} MiB; "
      f"growth after warm-up {(end[1] - warm[1]) / 1024:+.1f} MiB")
print(f"- file descriptors: {before[-1][2]} before, largest {max(r[2] for r in during)}, {end[2]} at the end")
print(f"- hostile connections by kind: {open(f'{out}/hostile.txt').read().strip().splitlines()[-1]}\n")
print("| window | " + " | ".join(f"{k} p99 ms (x unloaded)" for k in sorted(base)) + " | errors |")
print("|---|" + "---:|" * len(base) + "---:|")
print("| unloaded | " + " | ".join(f"{base[k]:.1f}" for k in sorted(base)) + f" | {sum(base_errors.values())} |")
for i in range(1, windows + 1):
    lat, errors = p99(f"loaded-{i}")
    cells = [f"{lat.get(k, 0):.1f} ({lat.get(k, 0) / base[k]:.2f}x)" if base[k] else "-" for k in sorted(base)]
    print(f"| loaded {i} | " + " | ".join(cells) + f" | {sum(errors.values())} |")
EOF
cat "$OUT/report.md"
