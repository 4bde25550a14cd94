#!/usr/bin/env bash
# Builds exomock's libFuzzer targets (fuzz/Targets/*: IMAP framer and parser, POP3, the token form
# decoder, XOAUTH2, the access-token verifier, the scenario loader) with libFuzzer and AddressSanitizer, in
# their own build directory (.build-fuzz), niced, so an ordinary build is not disturbed.
#
#   fuzz/build.sh                     build every target
#   fuzz/build.sh smoke [SECONDS]     build, then run each for SECONDS (default 15) from its seed corpus
#   fuzz/build.sh run TARGET SECONDS  build, then run one target, keeping what it finds in .build-fuzz/corpus
#   fuzz/build.sh long SECONDS [TARGET...]
#                                     build, then run every target (or those named) for SECONDS at once (the
#                                     long run of docs/robustness.md), one result line each
# EXOMOCK_FUZZ_TIMEOUT (seconds, default 10) is libFuzzer's per-input limit; raise it when the machine is busy.
#
# Seeds: Tests/Corpus/<parser>/ (the malformed-input corpus) and fuzz/dictionaries/. A crash leaves its
# input as .build-fuzz/artifacts/<target>/crash-*; add it to Tests/Corpus once fixed. docs/robustness.md.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(FuzzIMAPFramer FuzzIMAPParser FuzzPOP3 FuzzFormDecoder FuzzXOAUTH2 FuzzTokenVerifier FuzzScenarioLoader)
scratch=.build-fuzz
configuration=${EXOMOCK_FUZZ_CONFIGURATION:-release}

# The seed corpus and dictionary of each target.
seeds() {
  case "$1" in
    FuzzIMAPFramer | FuzzIMAPParser) echo Tests/Corpus/imap ;;
    FuzzPOP3) echo Tests/Corpus/pop3 ;;
    FuzzFormDecoder) echo Tests/Corpus/form ;;
    FuzzXOAUTH2) echo Tests/Corpus/xoauth2 ;;
    FuzzTokenVerifier) echo Tests/Corpus/jwt ;;
    FuzzScenarioLoader) echo Tests/Corpus/yaml ;;
  esac
}
dictionary() {
  case "$1" in
    FuzzIMAPFramer | FuzzIMAPParser) echo fuzz/dictionaries/imap.dict ;;
    FuzzPOP3) echo fuzz/dictionaries/pop3.dict ;;
    FuzzScenarioLoader) echo fuzz/dictionaries/yaml.dict ;;
    *) echo "" ;;
  esac
}

# libFuzzer's instrumentation (what -sanitize=fuzzer turns on) with AddressSanitizer; libFuzzer itself is
# linked as an ordinary archive so that its `main` stays out: SwiftPM gives every executable its own
# (swiftlang/swift#75800), and fuzz/Targets/FuzzSupport starts libFuzzer through LLVMFuzzerRunDriver.
libfuzzer=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/clang
libfuzzer=$(find "$libfuzzer" -name 'libclang_rt.fuzzer-x86_64.a' -o -name 'libclang_rt.fuzzer-aarch64.a' | head -1)
flags=(-Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
  -Xlinker "$libfuzzer" -Xlinker -lstdc++)

build() {
  [ -n "$libfuzzer" ] || { echo "fuzz/build.sh: this toolchain has no libclang_rt.fuzzer archive" >&2; exit 1; }
  for target in "${targets[@]}"; do
    rm -f "$scratch/$configuration/$target"
    EXOMOCK_FUZZ=1 nice -n 15 swift build -c "$configuration" --scratch-path "$scratch" --product "$target" \
      "${flags[@]}" 2>&1 | grep -v "Cannot export local symbol" || true
    [ -x "$scratch/$configuration/$target" ] || { echo "fuzz/build.sh: $target did not build" >&2; exit 1; }
  done
}

# run TARGET SECONDS: fuzzes from a working copy of the seeds; prints libFuzzer's final stats line.
run() {
  local target=$1 seconds=$2
  local work="$scratch/corpus/$target" artifacts="$scratch/artifacts/$target"
  mkdir -p "$work" "$artifacts"
  local dict
  dict=$(dictionary "$target")
  local options=(-max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout="${EXOMOCK_FUZZ_TIMEOUT:-10}" -print_final_stats=1
    -artifact_prefix="$artifacts/")
  [ -n "$dict" ] && options+=(-dict="$dict")
  # Making the verifier's RSA key leaves 16 bytes inside BoringSSL's key generation unreferenced (once, at
  # start-up, before any input): LeakSanitizer would stop that target at its first input.
  local asan=""
  if [ "$target" = FuzzTokenVerifier ]; then options+=(-detect_leaks=0); asan=detect_leaks=0; fi
  local log="$scratch/$target.log"
  # SWIFT_BACKTRACE off: on a crash libFuzzer's report is the one wanted (the Swift backtracer's memory
  # reader trips AddressSanitizer and buries it).
  if ! SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="$asan" nice -n 15 "$scratch/$configuration/$target" "${options[@]}" \
    "$work" "$(seeds "$target")" >"$log" 2>&1; then
    echo "fuzz/build.sh: $target failed; its log ($log) ends:" >&2
    tail -40 "$log" >&2
    return 1
  fi
  local execs cov
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  printf '%-20s %4ss  %10s executions  coverage %s edges  corpus %s files\n' "$target" "$seconds" "$execs" "$cov" \
    "$(find "$work" -type f | wc -l)"
}

case "${1:-build}" in
  build) build ;;
  smoke)
    build
    failed=0
    for target in "${targets[@]}"; do run "$target" "${2:-15}" || failed=1; done
    exit $failed
    ;;
  run)
    build
    run "$2" "$3"
    ;;
  long)
    seconds=${2:?seconds}
    shift 2
    [ $# -gt 0 ] && targets=("$@")
    build
    pids=()
    for target in "${targets[@]}"; do run "$target" "$seconds" >"$scratch/$target.result" & pids+=($!); done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    for target in "${targets[@]}"; do cat "$scratch/$target.result"; done
    exit $failed
    ;;
  *) echo "usage: fuzz/build.sh [build | smoke [SECONDS] | run TARGET SECONDS | long SECONDS]" >&2; exit 2 ;;
esac
