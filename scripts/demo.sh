#!/usr/bin/env bash
# The README's run command: sets up a fresh machine, builds everything and runs the product on
# a demo dataset.
#
# Today the engine, its tests and the page build exist; the miner (demo data, mining) and the
# server (http://localhost:31000/) arrive with their own issues, and this script will then
# generate, mine and serve. Until then it builds every part, so that nothing is left to set up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

scripts/setup.sh
cargo build --locked --release --workspace
trunk build --release --offline
scripts/wasm-size.sh dist
cargo run --locked --release --quiet -p miner
cargo run --locked --release --quiet -p server
echo "Built: target/release/{miner,server} and the page in dist/."
