#!/usr/bin/env bash
# stop-swift.sh - stop what start-swift.sh started (by PID file); --purge deletes SWIFT_DIR
# s3ferry's own copy, beside start-swift.sh (which calls it to clear leftovers of an earlier run).
D=${SWIFT_DIR:-/tmp/s3ferry-swift}
for n in proxy account container object memcached; do
  f="$D/run/$n.pid"; [ -s "$f" ] || continue; p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null && grep -qE "swift-$n-server|memcached" "/proc/$p/cmdline" 2>/dev/null; then
    kill "$p"; for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null && [ "$(awk '/^State:/{print $2}' /proc/$p/status 2>/dev/null)" != Z ] || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p"; echo "stop-swift: stopped $n ($p)"
  fi; rm -f "$f"
done
[ "${1:-}" = --purge ] && rm -rf "$D" "$D.lock"
exit 0
