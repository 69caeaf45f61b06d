#!/usr/bin/env bash
# quickstart.sh - `npm start`: the README's first command. Starts a local Ceph RGW on 127.0.0.1:7490
# (installing it from Debian when run as root), creates the bucket `inbox`, writes a default
# configuration (.s3ferry/quickstart.yaml) and runs the agent watching ./inbox. Ctrl-C stops it;
# run it again to go on where it stopped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f dist/src/cli/main.js ] || npm run build --silent
# its own ports, so it never collides with the test suite's RGW (7480)
export RGW_DIR=${RGW_DIR:-/tmp/s3ferry-rgw-local} RGW_PORT=${RGW_PORT:-7490} RGW_MON_PORT=${RGW_MON_PORT:-13310}
export RGW_OSD_PORTS=${RGW_OSD_PORTS:-16900-16999} S3_BUCKET=${S3_BUCKET:-inbox}
info=$(bash scripts/s3/start-rgw.sh)
eval "$(printf '%s\n' "$info" | grep -E '^S3_[A-Z_]+=')"
mkdir -p inbox .s3ferry
if [ -z "$(ls -A inbox)" ]; then
  printf 'hello from s3ferry at %s\n' "$(date -u +%FT%TZ)" > inbox/hello.txt
  echo "quickstart: put a sample file in ./inbox" >&2
fi
cat > .s3ferry/quickstart.yaml <<YAML
# written by scripts/quickstart.sh: the local RGW, watching ./inbox (see s3ferry.example.yaml)
journal: $PWD/.s3ferry/journal.db
jobs:
  - name: inbox
    sources: [$PWD/inbox]
    destination:
      bucket: $S3_BUCKET
      endpoint: $S3_ENDPOINT
YAML
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=$S3_REGION
node dist/src/cli/main.js doctor --to "s3://$S3_BUCKET" --endpoint-url "$S3_ENDPOINT"
echo "quickstart: the agent watches $PWD/inbox; API and status at http://127.0.0.1:7317 (s3ferry status); Ctrl-C stops it" >&2
exec node dist/src/cli/main.js run --config .s3ferry/quickstart.yaml "$@"
