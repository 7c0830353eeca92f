#!/usr/bin/env bash
# The README's run command: sets up a fresh machine, builds everything, generates a demo
# dataset, mines it, publishes the model to demo/models and serves the page and the API on
# http://localhost:31000/ until Ctrl-C (SEGUE_LISTEN changes the address).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

PLAYLISTS="${SEGUE_DEMO_PLAYLISTS:-20000}"
scripts/setup.sh
cargo build --locked --release -p server -p miner
trunk build --release --offline
scripts/wasm-size.sh dist

mkdir -p demo/data
data="demo/data/demo-$PLAYLISTS.csv"
[ -s "$data" ] || target/release/miner synth --playlists "$PLAYLISTS" --seed 1 --format csv --out "$data"
# The publish guard refuses a model far smaller than the one demo/models serves (say, after a
# run with a larger SEGUE_DEMO_PLAYLISTS); SEGUE_FORCE=true publishes it anyway.
target/release/miner mine --input "$data" --out demo/models --min-support 0.002 --min-confidence 0.05 ||
  { echo "demo: nothing published (see above); SEGUE_FORCE=true $0 publishes anyway" >&2; exit 1; }
target/release/miner inspect demo/models --top 10
echo
listen="${SEGUE_LISTEN:-0.0.0.0:31000}"
echo "Serving on http://localhost:${listen##*:}/ (API docs at /docs); Ctrl-C stops."
echo "Mine again in another terminal and the server switches to the new model by itself:"
echo "  target/release/miner mine --input $data --out demo/models --min-support 0.001"
exec target/release/server --listen "$listen" --model-dir demo/models --web-dir dist
