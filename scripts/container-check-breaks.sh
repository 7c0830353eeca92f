#!/usr/bin/env bash
# The container check's negative runs: each deliberately broken deployment must make
# scripts/container-check.sh fail, with a message that names the problem. Part of
# scripts/test.sh (after the passing run, whose base image and build cache it reuses).
#
#   page       the server image without its page      -> "GET / is not the page"
#   model-dir  SEGUE_MODEL_DIR=/model in the ConfigMap -> the first mining pod fails on /model
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

expect() { # break, pattern of the failure message
  local out status=0
  out="$(BREAK="$1" FACTS=0 TRAFFIC=20 "$ROOT/scripts/container-check.sh" 2>&1)" || status=$?
  if [ "$status" -eq 0 ]; then
    echo "container-check-breaks: BREAK=$1 passed the check: it cannot tell this problem" >&2
    exit 1
  fi
  local message
  message="$(grep -m1 'container-check: FAILED' <<<"$out" | sed 's/\x1b\[[0-9;]*m//g')"
  if ! grep -qE "$2" <<<"$out"; then
    echo "container-check-breaks: BREAK=$1 failed, but without naming the problem (/$2/):" >&2
    echo "$out" | tail -n 15 >&2
    exit 1
  fi
  echo "container-check-breaks: BREAK=$1 fails as it must: ${message#*FAILED: }"
  grep -E "$2" <<<"$out" | head -n 2 | sed 's/\x1b\[[0-9;]*m//g; s/^ */    /' | cut -c1-220
}

expect page 'GET / is not the page'
expect model-dir '/model'
