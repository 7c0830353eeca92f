#!/usr/bin/env bash
# Recommend throughput of a replica following a model store on S3 (moto_server on 127.0.0.1,
# scripts/lib/moto.sh; polled every second) against the same model read from a directory:
# bench/server.sh on each, alternately (directory, S3, directory, S3, ...), so that the shared
# machine's load falls on both alike. The same input mined twice gives the same model (its id
# is its content's hash), once into the directory and once into the bucket.
#
#   bench/store-serve.sh [PAIRS] [DURATION] [CONNECTIONS]      defaults 2, 10s, 64
#
# Environment: PLAYLISTS (default 100000), SUPPORT (default 0.0005: the model of the server
# benchmarks in docs/benchmarks.md, 226,003 tracks and 58,965 rules at 100,000 playlists).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
source "$ROOT/scripts/lib/moto.sh"
PAIRS="${1:-2}"
DURATION="${2:-10s}"
CONNECTIONS="${3:-64}"
PLAYLISTS="${PLAYLISTS:-100000}"
SUPPORT="${SUPPORT:-0.0005}"
(cd "$ROOT" && cargo build --locked --release -p server -p miner --quiet)
MINER="$ROOT/target/release/miner"
WORK="$(mktemp -d /tmp/segue-store-serve.XXXXXX)"
MOTO_PID="" RELAY_PID=""
trap 'kill $RELAY_PID $MOTO_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$MINER" synth --playlists "$PLAYLISTS" --seed 1 --format csv --out "$WORK/playlists.csv" >/dev/null 2>&1
"$MINER" mine --input "$WORK/playlists.csv" --out "$WORK/models" --min-support "$SUPPORT" >/dev/null 2>&1
moto_start "$WORK" segue-bench
export AWS_ENDPOINT="$MOTO_ENDPOINT"
"$MINER" mine --input "$WORK/playlists.csv" --store s3://segue-bench/production --min-support "$SUPPORT" >/dev/null 2>&1
rm -f "$WORK/playlists.csv"
dir_model="$(cat "$WORK/models/current")"
s3_model="$("$MINER" models --store s3://segue-bench/production --json | python3 -c 'import json,sys; print(next("models/%s.segue" % m["id"] for m in json.load(sys.stdin)["models"] if m["current"]))')"
[ "$dir_model" = "$s3_model" ] || { echo "the two models differ: $dir_model, $s3_model" >&2; exit 1; }
echo "model $dir_model; wrk -c$CONNECTIONS for $DURATION per run; load $(cut -d' ' -f1-3 /proc/loadavg)"

for pair in $(seq "$PAIRS"); do
  for source in "$WORK/models" s3://segue-bench/production; do
    echo "=== pair $pair: $source ($(date -u +%T), load $(cut -d' ' -f1 /proc/loadavg))"
    "$ROOT/bench/server.sh" "$source" "$DURATION" "$CONNECTIONS" | grep -E "^==|Requests/sec|Latency  |99%|CPU per request|Non-2xx|Socket errors"
  done
done
