#!/usr/bin/env bash
# Idle authenticated TLS IMAP sessions at scale (issue 13: "50,000 authenticated idle TLS IMAP sessions held
# at most 32 KiB each"): the server's memory per held session at several counts, so the slope shows.
#
#   bench/idle.sh [--counts 2500,5000,10000,19000] [--workers 4] [--json PATH]
#
# Serves a generated scenario (`scale:` 1,000 shared mailboxes, an app with FullAccess to all, app-only
# IMAP) with a release `exomock serve` (EXOMOCK_BIN=path uses that binary instead of building), takes one
# app-only token (client credentials) and runs bench/idle.py: sessions spread 20 per mailbox (Exchange's
# limit) over --workers python3 asyncio+ssl client processes, TLS + AUTHENTICATE XOAUTH2, then held idle;
# at each count the server's VmRSS, bytes per session, and a NOOP sample.
#
# One process can hold as many sessions as its open-file limit allows: exomock serve raises its soft
# limit to the hard one at start. With a hard limit below the largest count + 100, the script says so.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNTS=2500,5000,10000,19000 WORKERS=4 JSON=
while [[ $# -gt 0 ]]; do
  case $1 in
    --counts) COUNTS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    -h|--help) sed -n 2,15p "$0"; exit 0 ;;
    *) echo "bench/idle.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
fail() { echo "bench/idle.sh: $*" >&2; exit 1; }
for tool in swift jq python3 curl; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install it (Debian: apt-get install $tool), then rerun"
done
LARGEST=$(tr , '\n' <<<"$COUNTS" | sort -n | tail -1)
HARD=$(ulimit -Hn)
[[ $HARD == unlimited || $HARD -ge $((LARGEST + 100)) ]] ||
  fail "the open-file hard limit is $HARD: one exomock serve process cannot hold $LARGEST sessions. Raise it (as root: ulimit -Hn $((LARGEST + 1024))) or lower --counts."
ulimit -Sn "$HARD" 2>/dev/null || true # exomock serve raises its own; this is for the client processes

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

EXOMOCK=${EXOMOCK_BIN:-$ROOT/.build-release/release/exomock}
if [[ -z ${EXOMOCK_BIN:-} ]]; then
  echo "== building exomock (release)" >&2
  (cd "$ROOT" && swift build -c release --build-path .build-release --product exomock 2>&1 | tail -2 >&2)
fi

TENANT=8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a CLIENT=11111111-2222-3333-4444-555555555555 MAILBOXES=1000
cat >"$WORK/idle.yaml" <<YAML
version: 1
name: idle
description: Idle authenticated IMAP sessions at scale (bench/idle.sh).
seed: 7
clock:
  start: 2026-01-01T00:00:00Z
  mode: virtual
clouds: [gcc-high]
tenants:
  - id: $TENANT
    cloud: gcc-high
    domains: [contoso.onmicrosoft.us]
apps:
  - name: Idle sessions
    client_id: $CLIENT
    tenant: $TENANT
    secrets: [{value: idle-secret}]
    application_permissions: [IMAP.AccessAsApp]
    admin_consent: true
scale:
  - shared_mailboxes: $MAILBOXES
    address: idle{n}@contoso.onmicrosoft.us
    inbox: {count: 10, size: 2KiB, seed: 7}
    full_access: [$CLIENT]
YAML

READY=$WORK/ready.json
"$EXOMOCK" serve --scenario "$WORK/idle.yaml" --certs "$WORK/certs" --ready-file "$READY" >"$WORK/exomock.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do [[ -s $READY ]] && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
[[ -s $READY ]] || { cat "$WORK/exomock.log" >&2; fail "exomock serve did not become ready"; }
echo "server: pid $SERVER_PID, open files $(awk '/Max open files/ {print $4 " soft, " $5 " hard"}' /proc/$SERVER_PID/limits)" >&2
AUTHORITY=$(jq -r '.clouds[0].authority_url' "$READY")
CA=$(jq -r '.ca_file' "$READY")
TOKEN=$(curl -sS --fail-with-body --cacert "$CA" "$AUTHORITY/$TENANT/oauth2/v2.0/token" \
  -d grant_type=client_credentials -d client_id=$CLIENT -d client_secret=idle-secret \
  --data-urlencode scope=https://outlook.office365.us/.default | jq -r .access_token)
[[ -n $TOKEN && $TOKEN != null ]] || fail "no app-only token from $AUTHORITY"

python3 "$ROOT/bench/idle.py" --ready "$READY" --pid "$SERVER_PID" --token "$TOKEN" --counts "$COUNTS" \
  --mailboxes "$MAILBOXES" --workers "$WORKERS" ${JSON:+--json "$JSON"}
kill -0 "$SERVER_PID" 2>/dev/null || fail "exomock serve exited during the run; see its log above"
