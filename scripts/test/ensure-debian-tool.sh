#!/usr/bin/env bash
# ensure-debian-tool.sh COMMAND PACKAGE - makes sure COMMAND is on PATH for the tests that use it,
# installing Debian's PACKAGE with apt-get when it is missing and we are root (as scripts/s3/
# start-rgw.sh does for Ceph): promtool (prometheus) for the alert rules, systemd-analyze (systemd)
# for the unit file, man (man-db) and groff for the man page. Otherwise says how and exits 1.
# Installs are serialised with the other scripts' on /tmp/s3ferry-apt.lock; `apt-get update` runs
# only when the package lists are empty or the install fails.
set -euo pipefail

CMD=${1:?usage: ensure-debian-tool.sh COMMAND PACKAGE}
PKG=${2:?usage: ensure-debian-tool.sh COMMAND PACKAGE}
say() { echo "[ensure-debian-tool] $*" >&2; }

command -v "$CMD" >/dev/null 2>&1 && exit 0

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "ERROR: $CMD is missing; install it as root: apt-get install --no-install-recommends $PKG"
  exit 1
fi

LOG=$(mktemp /tmp/s3ferry-apt-XXXXXX.log)
say "installing $PKG with apt-get for $CMD (first run only; log: $LOG)"
export DEBIAN_FRONTEND=noninteractive
opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
(
  flock 8
  command -v "$CMD" >/dev/null 2>&1 && exit 0 # installed meanwhile by another test
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -q -o DPkg::Lock::Timeout=600 >>"$LOG" 2>&1
  fi
  apt-get install "${opts[@]}" "$PKG" >>"$LOG" 2>&1 && exit 0
  say "apt-get install $PKG failed, running apt-get update and retrying"
  apt-get update -q -o DPkg::Lock::Timeout=600 >>"$LOG" 2>&1 && apt-get install "${opts[@]}" "$PKG" >>"$LOG" 2>&1
) 8>/tmp/s3ferry-apt.lock || {
  tail -n 20 "$LOG" >&2
  say "ERROR: apt-get install $PKG failed (log: $LOG)"
  exit 1
}
if ! command -v "$CMD" >/dev/null 2>&1; then
  say "ERROR: $PKG is installed but $CMD is still not on PATH"
  exit 1
fi
rm -f "$LOG"
