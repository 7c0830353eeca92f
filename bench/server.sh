#!/usr/bin/env bash
# Server throughput and latency with wrk on loopback: POST /api/recommend with a mix of seed
# sets (known names and URIs, unknown songs, mixed; 1 to 10 seeds) against GET /healthz on
# the same server in the same run, optionally while a large model is being reloaded. Each
# run also reports the CPU time per request of the server and of wrk (they share the cores).
#
#   bench/server.sh MODEL_DIR [DURATION] [CONNECTIONS]
#   bench/server.sh s3://bucket/prefix [DURATION] [CONNECTIONS]
#
# MODEL_DIR is a miner --out directory (e.g. one mined from `miner synth --playlists 100000`);
# a store URL instead makes the server follow that store (--store; endpoint and credentials
# from the caller's AWS_* variables: bench/store-serve.sh).
# Environment: RELOAD_DIR: a second model directory whose current model is published into
# MODEL_DIR halfway through a third recommend run (reload under load). WRK_THREADS: wrk's
# threads (default 2). SERVER_BIN: the server binary (default: this tree's release build).
# STATIC_ROUTE=1: also POST the same bodies to /api/static, which only bench/ratio-bound.sh's
# patched server has (a fixed answer of the mean recommendation size: ranking and JSON free).
# SLOWLORIS=N: then the recommend run again beside N slow-header connections
# (bench/slowloris.py: a header line per second, reopened when the server closes them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL_DIR="$1"
DURATION="${2:-20s}"
CONNECTIONS="${3:-64}"
PORT="${PORT:-31900}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
WRK_THREADS="${WRK_THREADS:-2}"
if [ -z "${SERVER_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --locked --release -p server --quiet)
  SERVER_BIN="$ROOT/target/release/server"
fi
WORK="$(mktemp -d)"
LORIS=""
trap 'kill "$SERVER" $LORIS 2>/dev/null || true; rm -rf "$WORK"' EXIT

case "$MODEL_DIR" in
  *://*) SOURCE=(--store "$MODEL_DIR" --cache-dir "$WORK/cache") ;;
  *) SOURCE=(--model-dir "$MODEL_DIR") ;;
esac
SEGUE_STATIC_ANSWER="$WORK/answer.json" "$SERVER_BIN" --listen "127.0.0.1:$PORT" \
  "${SOURCE[@]}" --web-dir "$ROOT/dist" >"$WORK/server.log" 2>&1 &
SERVER=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do kill -0 "$SERVER"; sleep 0.2; done
memory() { grep -E "^Vm(RSS|HWM)" "/proc/$SERVER/status" | tr -s ' \t' ' ' | paste -sd, | sed "s/^/memory $1: /"; }
memory "once loaded"
curl -s "http://127.0.0.1:$PORT/api/model" | python3 -c 'import json,sys; m=json.load(sys.stdin); print("model %s: %s playlists, %s tracks, %s rules" % (m["version"], m["playlists"], m["tracks"], m["rules"]))'

# 2,000 request bodies: seeds drawn from a sample of popular tracks (names and URIs) and
# unknown songs, 1 to 10 seeds each; a third known only, a third unknown only, a third mixed.
curl -s "http://127.0.0.1:$PORT/api/tracks?sample=100&seed=1" >"$WORK/sample.json"
python3 "$ROOT/bench/wrk/bodies.py" "$WORK/sample.json" >"$WORK/bodies.txt"

# CPU seconds the server has used so far (user + system, from /proc).
server_cpu() { awk -v tck="$(getconf CLK_TCK)" '{ print ($14 + $15) / tck }' "/proc/$SERVER/stat"; }
run() { # label, wrk args...
  local label="$1"; shift
  echo "== $label"
  local before after out
  before="$(server_cpu)"
  out="$(/usr/bin/time -f "wrk-cpu %U %S" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" 2>&1)"
  after="$(server_cpu)"
  grep -E "Requests/sec|Latency  |50%|90%|99%|Non-2xx|Socket errors" <<<"$out"
  # Where the two cores went, per request: the server's CPU time and wrk's.
  awk -v before="$before" -v after="$after" '
    / requests in / { n = $1 } /^wrk-cpu/ { wrk = $2 + $3 }
    END { if (n > 0) printf "    CPU per request: server %.1f us, wrk %.1f us\n", (after - before) / n * 1e6, wrk / n * 1e6 }' <<<"$out"
}
BODIES="$WORK/bodies.txt" run "POST /api/recommend (warm-up)" -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" >/dev/null
run "GET /healthz" "http://127.0.0.1:$PORT/healthz"
if [ "${STATIC_ROUTE:-}" = 1 ]; then
  # The fixed answer: the real answer, among the first 200 bodies', closest to their mean size.
  head -200 "$WORK/bodies.txt" | while IFS= read -r body; do
    curl -s -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PORT/api/recommend"
    echo
  done >"$WORK/answers.txt"
  python3 -c 'import sys; a = open(sys.argv[1]).read().splitlines(); m = sum(map(len, a)) / len(a)
print(min(a, key=lambda x: abs(len(x) - m)), end="")' "$WORK/answers.txt" >"$WORK/answer.json"
  echo "   (fixed answer: $(wc -c <"$WORK/answer.json") bytes)"
  WRK_PATH=/api/static BODIES="$WORK/bodies.txt" run "POST /api/static (same bodies, fixed answer)" \
    -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT"
fi
BODIES="$WORK/bodies.txt" run "POST /api/recommend" -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT"
if [ -n "${SLOWLORIS:-}" ]; then
  secs="${DURATION%s}"
  python3 -u "$ROOT/bench/slowloris.py" "$PORT" --connections "$SLOWLORIS" \
    --duration "$((secs + 10))" >"$WORK/slowloris.log" 2>&1 &
  LORIS=$!
  until grep -qs '^open' "$WORK/slowloris.log"; do kill -0 "$LORIS"; sleep 0.2; done
  sleep 1
  echo "   (server: $(curl -s "http://127.0.0.1:$PORT/metrics" | grep '^segue_http_connections ' | cut -d' ' -f2) connections open)"
  BODIES="$WORK/bodies.txt" run "POST /api/recommend beside $SLOWLORIS slow-header connections" \
    -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT"
  wait "$LORIS"
  LORIS=""
  sed 's/^/   /' "$WORK/slowloris.log" | tail -n 1
fi
if [ -n "${RELOAD_DIR:-}" ]; then
  secs="${DURATION%s}"
  ( sleep "$((secs / 2))"
    target="$(cat "$RELOAD_DIR/current")"
    mkdir -p "$MODEL_DIR/models"
    cp "$RELOAD_DIR/$target" "$MODEL_DIR/$target.tmp" && mv "$MODEL_DIR/$target.tmp" "$MODEL_DIR/$target"
    printf '%s\n' "$target" >"$MODEL_DIR/current.tmp" && mv "$MODEL_DIR/current.tmp" "$MODEL_DIR/current"
    echo "   (published $target at $(date +%T.%N | cut -c1-12))" ) &
  PUBLISHER=$!
  BODIES="$WORK/bodies.txt" run "POST /api/recommend while reloading" -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT"
  wait "$PUBLISHER" # not a bare `wait`: that would wait for the server too
  grep "model loaded" "$WORK/server.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g'
fi
# Resident memory now, and at its peak (a reload holds two models for a moment).
memory "at the end"

