#!/usr/bin/env bash
# quickstart.sh - `npm start`: the README's first command. Starts a local Ceph RGW on 127.0.0.1
# (installing it from Debian when run as root), creates the bucket `inbox`, and uploads ./inbox
# (created with a sample file when missing) with s3ferry, resumably. Rerun it to upload new files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f dist/src/cli/main.js ] || npm run build --silent
# its own ports, so it never collides with the test suite's RGW (7480)
export RGW_DIR=${RGW_DIR:-/tmp/s3ferry-rgw-local} RGW_PORT=${RGW_PORT:-7490} RGW_MON_PORT=${RGW_MON_PORT:-13310}
export RGW_OSD_PORTS=${RGW_OSD_PORTS:-16900-16999} S3_BUCKET=${S3_BUCKET:-inbox}
info=$(bash scripts/s3/start-rgw.sh)
eval "$(printf '%s\n' "$info" | grep -E '^S3_[A-Z_]+=')"
mkdir -p inbox
if [ -z "$(ls -A inbox)" ]; then
  printf 'hello from s3ferry at %s\n' "$(date -u +%FT%TZ)" > inbox/hello.txt
  echo "quickstart: put a sample file in ./inbox" >&2
fi
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=$S3_REGION
node dist/src/cli/main.js doctor --to "s3://$S3_BUCKET" --endpoint-url "$S3_ENDPOINT"
exec node dist/src/cli/main.js upload inbox --to "s3://$S3_BUCKET/" --endpoint-url "$S3_ENDPOINT" --journal .s3ferry/journal.db "$@"
