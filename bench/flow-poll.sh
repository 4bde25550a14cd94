#!/usr/bin/env bash
# Benchmark of the flow runner (docs/benchmarks.md, "Flow runner"): plays bench/flows/poll-90-days.yaml
# (8,640 IMAP sessions and 2,160 token refreshes on the virtual clock) with `exomock run`, the mock in
# the same process, and reports wall time and CPU (user + system) of the whole run.
#
#   bench/flow-poll.sh [--runs N]      (default 3; prints each run and the median wall time)
#
# Builds release into .build-release (as bench/run.sh does). Client and server share the 2 cores.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3
[[ ${1:-} == --runs ]] && RUNS=$2
cd "$ROOT"
swift build -c release --scratch-path .build-release --product exomock >/dev/null
BIN=.build-release/release/exomock
CERTS=$(mktemp -d)
trap 'rm -rf "$CERTS"' EXIT
walls=()
for i in $(seq 1 "$RUNS"); do
  out=$( { /usr/bin/time -f "%e %U %S" "$BIN" run --quiet --certs "$CERTS" bench/flows/poll-90-days.yaml >/dev/null; } 2>&1 | tail -1)
  read -r wall user sys <<<"$out"
  cpu=$(echo "$user + $sys" | bc)
  echo "run $i: wall ${wall} s, CPU ${cpu} s (user ${user}, sys ${sys})"
  walls+=("$wall")
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median wall time over $RUNS runs: ${median} s (goal: under 30 s on 2 cores)"
