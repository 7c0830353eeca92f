#!/usr/bin/env bash
# The README's test command: sets up a fresh machine, then runs every check and every test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/background.sh"
cd "$ROOT"

# Disk. A CI run once stopped at "No space left on device" in the native tests, so:
# - incremental compilation is off (a run from a clean tree gains nothing from it, and its
#   caches take disk);
# - each build output that no later step reads is removed when its last reader is done, so
#   the peak is that of the largest phase, not the sum of all (SEGUE_KEEP_BUILDS=1 keeps them,
#   for a developer who wants to re-run single tests afterwards without rebuilding);
# - each step's heading says how much disk is left.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
drop() {
  [ "${SEGUE_KEEP_BUILDS:-0}" = 1 ] && return 0
  local size
  size="$(du -sch "$@" 2>/dev/null | tail -n1 | cut -f1)"
  rm -rf "$@"
  printf 'disk: freed %s (%s: no later step reads it)\n' "$size" "$*"
}
# Each step's heading says how much disk is left: a CI run once stopped at "No space left on
# device" with no trace of where the space went.
disk_left() { df -h --output=avail "$ROOT" | tail -n1 | tr -d ' '; }
# Each heading also says how long the run has taken so far, and the last one lists each step's
# time: CI stops a run at 90 minutes, and only the end of its output is kept.
started=$SECONDS
step_name="" step_started=$SECONDS
timings="$(mktemp)"
clock() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
step() {
  [ -n "$step_name" ] && printf '%8s  %s\n' "$(clock $((SECONDS - step_started)))" "$step_name" >>"$timings"
  step_name="$*" step_started=$SECONDS
  printf '\n\033[1m==> %s\033[0m (at %s, %s of disk free)\n' "$*" "$(clock $((SECONDS - started)))" "$(disk_left)"
}

# Every test runner's output is also kept here, to print one total at the end.
results="$(mktemp)"
trap 'rm -f "$results" "$timings" "${packages_log:-}"' EXIT

# Runs a test step to the end even when it fails (the scripts below run under `timeout`: one
# once waited two hours on a port another program held, and CI stops a run at 90 minutes), so that the total below counts its
# failures; a step that fails without a `test result:` line of its own (it did not build, or
# it is a script) counts as one failed test.
failed_steps=0
tests() {
  local before status
  before=$(grep -c '^test result:' "$results" || true)
  set +e
  "$@" 2>&1 | tee -a "$results"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    printf '\033[1;31m==> failed (exit %s): %s\033[0m\n' "$status" "$*"
    local after failed
    after=$(grep -c '^test result:' "$results" || true)
    failed=$(tail -n +"$((before + 1))" "$results" | grep -c '^test result: FAILED' || true)
    if [ "$after" -eq "$before" ] || [ "$failed" -eq 0 ]; then
      echo "test result: FAILED. 0 passed; 1 failed; ($*)" >>"$results"
    fi
    failed_steps=$((failed_steps + 1))
  elif [ "$(grep -c '^test result:' "$results" || true)" -eq "$before" ]; then
    echo "test result: ok. 1 passed; 0 failed; ($*)" >>"$results"
  fi
}

step "setup: the Rust toolchain, wasm-bindgen-cli, trunk and wasm-opt (the other tools install in the background meanwhile)"
# The packages (apt, PyPI, npm) wait on the network and the disk while the builds below wait on
# the cores; on a fresh machine they take minutes.
packages_log="$(mktemp)"
background "$packages_log" scripts/setup.sh packages
scripts/setup.sh build

step "format"
cargo fmt --all --check

step "clippy (native, all targets and features)"
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings

step "clippy (wasm32: the engine and the page)"
cargo clippy --locked -p engine -p web --target wasm32-unknown-unknown --all-features -- -D warnings

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --all-features --quiet

step "fuzz target compiles"
cargo check --locked --quiet --manifest-path engine/fuzz/Cargo.toml
drop engine/fuzz/target

step "web page builds (trunk, release, offline)"
trunk build --release --offline --quiet
scripts/wasm-size.sh dist

step "engine tests under wasm32 (node, wasm-bindgen-test)"
tests cargo test --locked -p engine --target wasm32-unknown-unknown --features wasm
# The wasm32 clippy and test builds (the page's release build stays: the run command reuses it).
drop target/wasm32-unknown-unknown/debug

step "setup: the other tools (apt, PyPI and npm packages, installed in the background since the first step)"
join_background "$packages_log" "setup: installing the packages"
# What a container check killed before its clean-up left: podman's containers outlive it, and
# their published ports are the rehearsal's and the checks' below.
scripts/container-check.sh clean

step "deployment files (kustomize renderings, Kubernetes and Argo CD schemas)"
scripts/validate-deploy.sh

step "security scan of the production rendering (checkov; scripts/scan-deploy.sh)"
scripts/scan-deploy.sh

step "tests (native)"
tests cargo test --locked --workspace --all-features --no-fail-fast

step "the API against its own OpenAPI document (schemathesis, 60 s; scripts/fuzz-api.sh)"
tests timeout -k 30s 15m scripts/fuzz-api.sh 60
# The debug builds (clippy's, the tests', the fuzzer's server): every later step runs release
# binaries.
drop target/debug

step "the README's run command, end to end (scripts/demo-check.sh)"
tests timeout -k 30s 45m scripts/demo-check.sh

step "a rollout rehearsal on object storage: three replicas follow moto's S3 while models are published, one restarts, one restarts with the store down (MODE=object-store scripts/rehearse-deploy.sh, 60 s)"
# The release binaries the README's run command built.
tests timeout -k 30s 15m env MODE=object-store PLAYLISTS=5000 scripts/rehearse-deploy.sh 60

step "the images and the demo overlay in real containers (podman; scripts/container-check.sh)"
tests timeout -k 30s 20m scripts/container-check.sh

step "the object-store overlay in real containers: the miners publish to S3 (moto), the servers follow it (MODE=object-store scripts/container-check.sh)"
tests timeout -k 30s 20m env MODE=object-store FACTS=0 scripts/container-check.sh

step "the container check fails on a broken image or ConfigMap (scripts/container-check-breaks.sh)"
tests timeout -k 30s 20m scripts/container-check-breaks.sh

step "total"
cat "$timings"
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$results" &&
  [ "$failed_steps" -eq 0 ]
