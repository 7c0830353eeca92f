#!/usr/bin/env bash
# The best /api/recommend : /healthz throughput ratio any ranking could reach on this machine:
# builds the server with bench/static-answer.patch (a POST route, /api/static, that reads the
# request body and answers with a fixed JSON document of a recommendation's mean size, so
# ranking and JSON cost nothing) in a scratch worktree, then runs bench/server.sh with it:
# /healthz, /api/static and /api/recommend on the same server, in the same run.
#
#   bench/ratio-bound.sh MODEL_DIR [DURATION] [CONNECTIONS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TREE="$(mktemp -d)"
trap 'git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null || rm -rf "$TREE"' EXIT
git -C "$ROOT" worktree add --quiet --detach "$TREE" HEAD
git -C "$TREE" apply "$ROOT/bench/static-answer.patch"
# Its own target directory, so the tree's release build stays the unpatched one.
(cd "$TREE" && cargo build --locked --release -p server --quiet --target-dir "$ROOT/target/ratio-bound")
SERVER_BIN="$ROOT/target/ratio-bound/release/server" STATIC_ROUTE=1 "$ROOT/bench/server.sh" "$@"
