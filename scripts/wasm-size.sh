#!/usr/bin/env bash
# Prints the size of the page's wasm and JavaScript in a trunk dist directory, raw and gzipped.
set -euo pipefail
dist="${1:-dist}"
total_raw=0
total_gz=0
for f in "$dist"/*.wasm "$dist"/*.js; do
  [ -e "$f" ] || continue
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-48s %9d bytes  %9d gzipped\n' "$(basename "$f")" "$raw" "$gz"
done
printf '%-48s %9d bytes  %9d gzipped\n' "wasm + js" "$total_raw" "$total_gz"
