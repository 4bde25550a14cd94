#!/usr/bin/env bash
# The test command: installs what the tests need (Debian and pip packages), builds exomock and its
# tests, checks every shipped scenario, and runs the whole suite. Fails loudly on any step.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }

# Debian packages the tests call: openssl (chain and s_client checks), curl (IMAP/POP3 client),
# Jakarta Mail (Jira's mail library family) and a JDK to compile the small Java client.
apt_packages=(openssl curl ca-certificates libjakarta-mail-java default-jdk-headless python3-pip)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "test.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python packages the real-client tests use.
pip_packages=(msal imapclient)
say "installing pip packages: ${pip_packages[*]}"
python3 -m pip install --quiet --disable-pip-version-check "${pip_packages[@]}"

say "building (debug) with tests"
swift build --build-tests

say "checking shipped scenarios"
.build/debug/exomock check Scenarios/*.yaml

say "running tests"
swift test --skip-build "$@"
