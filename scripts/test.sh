#!/usr/bin/env bash
# The README's test command: sets up a fresh machine, then runs every check and every test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Every test runner's output is also kept here, to print one total at the end.
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

step "setup"
scripts/setup.sh

step "format"
cargo fmt --all --check

step "clippy (native, all targets and features)"
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings

step "clippy (wasm32: the engine and the page)"
cargo clippy --locked -p engine -p web --target wasm32-unknown-unknown --all-features -- -D warnings

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --all-features --quiet

step "deployment files (kustomize renderings, Kubernetes and Argo CD schemas)"
scripts/validate-deploy.sh

step "fuzz target compiles"
cargo check --locked --quiet --manifest-path engine/fuzz/Cargo.toml

step "web page builds (trunk, release, offline)"
trunk build --release --offline --quiet
scripts/wasm-size.sh dist

step "engine tests under wasm32 (node, wasm-bindgen-test)"
cargo test --locked -p engine --target wasm32-unknown-unknown --features wasm 2>&1 | tee -a "$results"

step "tests (native)"
cargo test --locked --workspace --all-features 2>&1 | tee -a "$results"

step "the README's run command, end to end (scripts/demo-check.sh)"
scripts/demo-check.sh

step "total"
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$results"
