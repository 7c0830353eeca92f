#!/usr/bin/env bash
# The README's run command: sets up a fresh machine, builds everything, generates a demo
# dataset, mines it and publishes the model to demo/models.
#
# The server (http://localhost:31000/) arrives with its own issue; this script will then start
# it on the model it just published.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

PLAYLISTS="${SEGUE_DEMO_PLAYLISTS:-20000}"
scripts/setup.sh
cargo build --locked --release --workspace
trunk build --release --offline
scripts/wasm-size.sh dist

mkdir -p demo/data
data="demo/data/demo-$PLAYLISTS.csv"
[ -s "$data" ] || target/release/miner synth --playlists "$PLAYLISTS" --seed 1 --format csv --out "$data"
target/release/miner mine --input "$data" --out demo/models --min-support 0.002 --min-confidence 0.05
target/release/miner inspect demo/models --top 10
echo
echo "Model published to demo/models (current: $(cat demo/models/current))."
echo "The page is built in dist/; the server that serves both arrives with its own issue."
