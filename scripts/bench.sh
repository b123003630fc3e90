#!/bin/bash
# Runs a side-by-side benchmark as root and prints a Markdown table:
#   scripts/bench.sh            containers (bench/bench.ts)
#   scripts/bench.sh transfer   image pull, push, save and load (bench/transfer.ts)
#   scripts/bench.sh archive    save and load against GNU tar on the same disk (bench/image-archive.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
NODE=$(cat dist/NODE 2>/dev/null || command -v node)
case "${1:-}" in
  "") exec "$NODE" dist/bench/bench.js ;;
  transfer) exec "$NODE" dist/bench/transfer.js ;;
  archive) exec "$NODE" dist/bench/image-archive.js ;;
  *) echo "usage: scripts/bench.sh [transfer|archive]" >&2; exit 2 ;;
esac
