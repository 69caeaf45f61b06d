#!/usr/bin/env bash
# stop-rgw.sh - stop the cluster started by start-rgw.sh (by its PID files only), optionally wipe it.
# s3ferry's own copy, beside start-rgw.sh (which calls it to clear leftovers of an earlier run).
#   RGW_DIR (default /tmp/s3ferry-rgw);  --purge also deletes RGW_DIR (and start-rgw.sh's RGW_DIR.lock),
#   and RGW_CERT_DIR (default RGW_DIR.tls) when make-test-certs.sh made it (a brought certificate stays)
# Order matters: radosgw first (its shutdown still talks to the OSD/mon - if they die first it can
# hang), then OSD + mon together. Each Ceph daemon needs ~2 s to exit after SIGTERM; anything still
# alive after RGW_STOP_GRACE seconds (default 8) per stage gets SIGKILL (the data is throwaway).
set -uo pipefail
RGW_DIR=${RGW_DIR:-/tmp/s3ferry-rgw}
RGW_CERT_DIR=${RGW_CERT_DIR:-$RGW_DIR.tls}
GRACE=${RGW_STOP_GRACE:-8}
ours() { # ours NAME -> prints PID if the PID file points at one of our live ceph daemons
  local f="$RGW_DIR/run/$1.pid" p; [ -s "$f" ] || return 1; p=$(cat "$f")
  kill -0 "$p" 2>/dev/null || return 1
  grep -qE 'ceph-mon|ceph-osd|radosgw' "/proc/$p/cmdline" 2>/dev/null || return 1   # PID files can be stale
  grep -q -- "$RGW_DIR/ceph.conf" "/proc/$p/cmdline" 2>/dev/null || return 1
  [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ] || return 1    # already dead, unreaped
  echo "$p"; }
stop_stage() { # stop_stage NAME... : SIGTERM all, wait up to GRACE s, then SIGKILL
  local n p i alive pids=() names=()
  for n in "$@"; do p=$(ours "$n") && kill -TERM "$p" 2>/dev/null && pids+=("$p") && names+=("$n"); done
  [ "${#pids[@]}" = 0 ] && return 0
  for ((i = 0; i < GRACE * 10; i++)); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ] && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null && [ "$(awk '/^State:/{print $2}' "/proc/${pids[$i]}/status" 2>/dev/null)" != Z ]; then
      echo "stop-rgw: ${names[$i]} (${pids[$i]}) still running after ${GRACE}s, SIGKILL" >&2; kill -KILL "${pids[$i]}" 2>/dev/null
    fi
    echo "stop-rgw: stopped ${names[$i]} (${pids[$i]})"
  done
}
stop_stage client.rgw.a
stop_stage osd.0 mon.a
rm -f "$RGW_DIR"/run/*.pid 2>/dev/null
if [ "${1:-}" = --purge ]; then
  rm -rf "$RGW_DIR" "$RGW_DIR.lock"; echo "stop-rgw: removed $RGW_DIR"
  if [ -s "$RGW_CERT_DIR/names" ]; then rm -rf "$RGW_CERT_DIR"; echo "stop-rgw: removed $RGW_CERT_DIR"; fi
fi
exit 0
