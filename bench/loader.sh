#!/usr/bin/env bash
# The loader benchmark (docs/benchmarks.md, "Loading big scenarios"): how `exomock check` and
# `exomock serve` (start to ready file) scale with the number of users a scenario declares.
#
#   bench/loader.sh [--sizes "1000 10000 100000"] [--exomock PATH]
#
# For each size N it writes a scenario of N declared users (each with a password and a mailbox; every
# tenth one also consents to an app and has FullAccess on a shared mailbox), N/10 shared mailboxes
# (each with a Send As trustee) and 10 apps (each with FullAccess on ten shared mailboxes), then
# reports the wall time of `exomock check` and of `exomock serve` until its ready file appears, and
# serve's peak RSS at that moment. A benchmark, not a test: nothing here fails on a slow machine.
# Default binary: .build-release/release/exomock if present, else .build/debug/exomock
# (build one with `swift build -c release --build-path .build-release --product exomock`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES="1000 10000 100000"
EXOMOCK=
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --exomock) EXOMOCK=$2; shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "bench/loader.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
fail() { echo "bench/loader.sh: $*" >&2; exit 1; }
command -v python3 >/dev/null || fail "python3 is missing; install it, then rerun"
if [[ -z $EXOMOCK ]]; then
  EXOMOCK=$ROOT/.build-release/release/exomock
  [[ -x $EXOMOCK ]] || EXOMOCK=$ROOT/.build/debug/exomock
fi
[[ -x $EXOMOCK ]] || fail "no exomock binary at $EXOMOCK; build one or pass --exomock PATH"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

scenario() {  # scenario N FILE
  python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
domain = "contoso.onmicrosoft.us"
shared = max(1, n // 10)
app_ids = ["%08x-2222-3333-4444-555555555555" % (0x11111111 + a) for a in range(10)]
out = ["version: 1", f"name: loader-{n}", "seed: 1", "clouds: [gcc-high]", "tenants:",
       "  - {id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [%s]}" % domain, "apps:"]
for a, app in enumerate(app_ids):
    access = ", ".join(f"s{(a * 10 + k) % shared + 1}@{domain}" for k in range(10))
    out.append(f"  - {{name: app{a}, client_id: {app}, tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a,"
               f" type: confidential, secrets: [{{value: s{a}}}], application_permissions: [IMAP.AccessAsApp],"
               f" mailbox_access: [{access}]}}")
out.append("users:")
for u in range(1, n + 1):
    extra = ""
    if u % 10 == 0:
        extra = f", consented_apps: [{app_ids[u % 10]}], full_access: [s{u % shared + 1}@{domain}]"
    out.append(f"  - {{upn: u{u}@{domain}, password: P-{u}, mailbox: true{extra}}}")
out.append("mailboxes:")
for s in range(1, shared + 1):
    out.append(f"  - {{address: s{s}@{domain}, type: shared, send_as: [u{n + 1 - s}@{domain}]}}")
open(path, "w").write("\n".join(out) + "\n")
PY
}

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

echo "exomock: $EXOMOCK"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %12s %14s\n' users bytes check_s serve_ready_s serve_rss_MiB
for n in $SIZES; do
  file=$WORK/loader-$n.yaml
  scenario "$n" "$file"
  start=$(date +%s.%N)
  "$EXOMOCK" check "$file" >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out" >&2; fail "check failed for $n users"; }
  check=$(seconds "$start" "$(date +%s.%N)")
  rm -f "$WORK/ready.json"
  start=$(date +%s.%N)
  "$EXOMOCK" serve --scenario "$file" --certs "$WORK/certs" --ready-file "$WORK/ready.json" \
    >"$WORK/serve.out" 2>&1 &
  SERVER_PID=$!
  while [[ ! -s $WORK/ready.json ]]; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.out" >&2; fail "serve exited for $n users"; }
    sleep 0.05
  done
  ready=$(seconds "$start" "$(date +%s.%N)")
  rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status")
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  printf '%-8s %10s %10s %12s %14s\n' "$n" "$(wc -c <"$file")" "$check" "$ready" "$rss"
done
