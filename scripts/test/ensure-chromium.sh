#!/usr/bin/env bash
# ensure-chromium.sh - makes sure Debian's chromium (/usr/bin/chromium) is installed for the
# dashboard's browser tests (test/e2e/dashboard-*.test.ts, driven by playwright-core).
#
# Installed from the distribution's packages (apt-get) when missing and we are root; otherwise
# says how to install it and exits 1. Nothing is downloaded from elsewhere: playwright's own
# browser builds are not used.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
say() { echo "[ensure-chromium] $*" >&2; }

if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  say "ERROR: $CHROMIUM is missing; install it as root: apt-get install --no-install-recommends chromium"
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "ERROR: $CHROMIUM is missing and there is no apt-get here; install Chromium at $CHROMIUM"
  exit 1
fi

say "installing chromium with apt-get (first run only)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [[ ! -x "$CHROMIUM" ]]; then
  say "ERROR: apt-get installed chromium but $CHROMIUM is still missing"
  exit 1
fi
say "chromium ready: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
