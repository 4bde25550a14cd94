#!/usr/bin/env bash
# The test command: installs what the tests need (Debian and pip packages), builds exomock and its
# tests, checks every shipped scenario, and runs the whole suite. Fails loudly on any step.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }

# Debian packages: libssl-dev (exomock signs RS256 through the system's OpenSSL 3, the build needs
# its headers), openssl (chain and s_client checks), curl (IMAP/POP3 client), Jakarta Mail (Jira's
# mail library family) and a JDK to compile the small Java client, chromium and its driver (the
# login page in a real browser), libxml2-utils (xmllint validates the JUnit XML that `exomock run
# --junit` writes against the Ant JUnit.xsd), jq (the README tour reads the ready file with it).
apt_packages=(libssl-dev openssl curl ca-certificates libjakarta-mail-java default-jdk-headless python3-pip
  chromium chromium-driver libxml2-utils jq)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "test.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python packages the real-client tests use: Microsoft's msal (and requests, which it drives HTTP
# with), imapclient, selenium for the browser test, and schemathesis for the property-based run of
# the admin API against docs/admin-api.openapi.yaml (AdminOpenAPITests).
pip_packages=(msal requests imapclient selenium schemathesis)
say "installing pip packages: ${pip_packages[*]}"
python3 -m pip install --quiet --disable-pip-version-check "${pip_packages[@]}"

say "building (debug) with tests"
swift build --build-tests

say "checking shipped scenarios"
.build/debug/exomock check Scenarios/*.yaml

say "playing shipped scenarios (each against its golden transcript)"
.build/debug/exomock run --quiet Scenarios/*.yaml

say "running tests"
swift test --skip-build "$@"

# libFuzzer smoke (issue 15, docs/robustness.md): builds the seven fuzz targets with AddressSanitizer in
# .build-fuzz (about 11 minutes cold on two cores, a minute warm) and runs each for EXOMOCK_FUZZ_SECONDS
# (default 15) from its seed corpus. EXOMOCK_FUZZ_SMOKE=0 skips it (a quick local run); CI runs it.
if [ "${EXOMOCK_FUZZ_SMOKE:-1}" != 0 ]; then
  say "fuzz smoke (${EXOMOCK_FUZZ_SECONDS:-15} s per target)"
  fuzz/build.sh smoke "${EXOMOCK_FUZZ_SECONDS:-15}"
fi
