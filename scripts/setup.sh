#!/usr/bin/env bash
# Installs what Segue's build and tests need on a fresh machine; skips whatever is already
# there at the right version, so running it again takes seconds.
#
#   scripts/setup.sh          everything the tests and the demo need: the packages (apt, PyPI,
#                             npm) download and install in the background while the Rust tools
#                             compile
#   scripts/setup.sh build    only what builds the binaries and the page: the Rust toolchain,
#                             wasm-bindgen-cli, trunk and wasm-opt
#   scripts/setup.sh packages everything else (what scripts/test.sh installs in the background)
#   scripts/setup.sh deploy   only the deployment validators (scripts/validate-deploy.sh)
#   scripts/setup.sh fuzz     only the API fuzzer (scripts/fuzz-api.sh)
#   scripts/setup.sh checkov  only the Kubernetes security scanner (scripts/scan-deploy.sh)
#   scripts/setup.sh containers   only podman and what it needs (scripts/container-check.sh)
#   scripts/setup.sh moto     only moto_server (the object-store tests' S3 endpoint)
#   scripts/setup.sh azurite  only Azurite (the object-store tests' Azure Blob endpoint)
#   scripts/setup.sh spark    only Java and pyspark (the Spark job in spark/ and its tests)
#
# Versions are pinned here and nowhere else (the wasm-bindgen CLI must equal the crate's
# version in Cargo.lock; see shared TOOLCHAIN notes in ARCHITECTURE.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN=1.95.0
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132
KUBERNETES_VALIDATE_VERSION=1.37.0
JSONSCHEMA_VERSION=4.26.0
SCHEMATHESIS_VERSION=4.32.5
CHECKOV_VERSION=3.3.30
MOTO_VERSION=5.2.1
# Azurite 3.35.0 runs on the machine's Node.js 20; @azure/storage-blob creates its containers.
AZURITE_VERSION=3.35.0
AZURE_STORAGE_BLOB_VERSION=12.32.0
# The spark-operator's API models (its v2.4.0 release), for k8s/components/spark.
KUBEFLOW_SPARK_API_VERSION=2.4.0
TOOLS="$ROOT/.tools"

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
# shellcheck source=scripts/lib/background.sh
source "$ROOT/scripts/lib/background.sh"

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $apt_updated -eq 0 ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The downloaded packages are not needed once installed (disk is short on some CI machines).
  $sudo apt-get clean
}

ensure_rust() {
  command -v rustup >/dev/null || { echo "rustup is required (https://rustup.rs)" >&2; exit 1; }
  if ! rustup toolchain list | grep -q "^$TOOLCHAIN"; then
    log "rustup toolchain install $TOOLCHAIN"
    rustup toolchain install "$TOOLCHAIN" --profile minimal -c rustfmt -c clippy -t wasm32-unknown-unknown
  fi
  local components
  components="$(rustup component list --installed --toolchain "$TOOLCHAIN")"
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$components" || rustup component add "$c" --toolchain "$TOOLCHAIN"
  done
  rustup target list --installed --toolchain "$TOOLCHAIN" | grep -q '^wasm32-unknown-unknown$' ||
    rustup target add wasm32-unknown-unknown --toolchain "$TOOLCHAIN"
}

ensure_cargo_tool() { # binary, version-output, install args...
  local bin="$1" want="$2"
  shift 2
  if command -v "$bin" >/dev/null && [ "$("$bin" --version 2>/dev/null | head -n1)" = "$want" ]; then
    return 0
  fi
  log "cargo install $* (a few minutes, once)"
  # Without link-time optimisation: trunk's own release profile asks for fat LTO, with which
  # it took about 8 minutes to build here, and 4.7 without, for a tool that runs for seconds.
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo +"$TOOLCHAIN" install --quiet "$@"
}

ensure_wasm_opt() {
  local bin="$TOOLS/node_modules/.bin/wasm-opt"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    return 0
  fi
  command -v npm >/dev/null || apt_install nodejs npm
  log "npm install binaryen@$BINARYEN_VERSION (wasm-opt)"
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
}

# A Python venv at .tools/NAME holding the given `package==version` pins (extras allowed, as
# in moto[server]==5.2.1): skipped when every pin is installed at its version, made afresh
# otherwise. Each tool gets a venv of its own so that their dependencies cannot collide.
ensure_venv() { # name, pins...
  local venv="$TOOLS/$1" want have
  shift
  want="$(printf '%s\n' "$@" | sed 's/\[[^]]*\]//; s/==/ /')"
  if [ -x "$venv/bin/python" ]; then
    have="$(echo "$want" | "$venv/bin/python" -c 'import sys, importlib.metadata as m
for line in sys.stdin:
    name = line.split()[0]
    try:
        print(name, m.version(name))
    except m.PackageNotFoundError:
        print(name, "missing")' 2>/dev/null || true)"
    [ "$have" = "$want" ] && return 0
  fi
  command -v python3 >/dev/null || apt_install python3
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  log "pip install $* (into $venv)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # No pip cache: a venv is made once, and the cache would keep a second copy of every wheel.
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$@"
}

# kubernetes-validate (Kubernetes JSON schemas), jsonschema (the Argo CD CRD check) and the
# spark-operator's API models (k8s/components/spark).
ensure_deploy_venv() {
  ensure_venv deploy-venv "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    "jsonschema==$JSONSCHEMA_VERSION" "kubeflow-spark-api==$KUBEFLOW_SPARK_API_VERSION"
}

# schemathesis: the schema-driven API fuzzer of scripts/fuzz-api.sh.
ensure_fuzz_venv() {
  ensure_venv fuzz-venv "schemathesis==$SCHEMATHESIS_VERSION"
}

# podman (root, runc) for scripts/container-check.sh, with this machine kind's two
# adjustments: no default ulimits (raising RLIMIT_NOFILE is not permitted in these VMs) and
# runc (crun refuses their hybrid cgroup layout; the check passes --runtime runc).
# mmdebstrap makes the local distroless-like runtime base (registry pulls do not work here).
ensure_podman() {
  apt_install podman runc catatonit mmdebstrap iptables
  local conf=/etc/containers/containers.conf sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! grep -q '^default_ulimits = \[\]' "$conf" 2>/dev/null; then
    if [ -s "$conf" ]; then
      echo "setup: $conf exists without 'default_ulimits = []'; add it under [containers]" >&2
      exit 1
    fi
    log "writing $conf (default_ulimits = [])"
    printf '# Written by Segue scripts/setup.sh: raising RLIMIT_NOFILE is not permitted here.\n[containers]\ndefault_ulimits = []\n' |
      $sudo tee "$conf" >/dev/null
  fi
}

# checkov: the Kubernetes security scanner of scripts/scan-deploy.sh.
ensure_checkov_venv() {
  ensure_venv checkov-venv "checkov==$CHECKOV_VERSION"
}

# moto_server (an S3 API on 127.0.0.1): the object-store tests start it (they find it at
# .tools/moto-venv/bin/moto_server, or where SEGUE_MOTO_SERVER says).
ensure_moto_venv() {
  ensure_venv moto-venv "moto[server]==$MOTO_VERSION"
}

# Azurite (Microsoft's Azure Blob emulator, on 127.0.0.1) and @azure/storage-blob: the
# object-store tests start it and create its containers (they find both at .tools/azurite,
# or where SEGUE_AZURITE says). Skipped when both are installed at their versions.
ensure_azurite() {
  local dir="$TOOLS/azurite"
  npm_version() { node -p 'require(process.argv[1]).version' "$dir/node_modules/$1/package.json" 2>/dev/null || true; }
  if [ "$(npm_version azurite)" = "$AZURITE_VERSION" ] &&
    [ "$(npm_version @azure/storage-blob)" = "$AZURE_STORAGE_BLOB_VERSION" ]; then
    return 0
  fi
  command -v npm >/dev/null || apt_install nodejs npm
  log "npm install azurite@$AZURITE_VERSION @azure/storage-blob@$AZURE_STORAGE_BLOB_VERSION (into $dir)"
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --save-exact --prefix "$dir" \
    "azurite@$AZURITE_VERSION" "@azure/storage-blob@$AZURE_STORAGE_BLOB_VERSION" >/dev/null
}

# Java (Debian's default-jre-headless) and pyspark with every pin of spark/requirements.txt:
# the Spark job (spark/) runs in local mode in the miner's tests.
ensure_spark_venv() {
  apt_install default-jre-headless
  local pins
  mapfile -t pins < <(grep -E '^[A-Za-z0-9_.-]+(\[[^]]*\])?==' "$ROOT/spark/requirements.txt")
  ensure_venv spark-venv "${pins[@]}"
}

# What builds the binaries and the page: the Rust toolchain, the Rust tools (CPU-bound: cargo
# install compiles them) and wasm-opt.
ensure_build_tools() {
  ensure_rust
  local locked
  locked="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
  if [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
    echo "Cargo.lock has wasm-bindgen $locked but scripts/setup.sh pins $WASM_BINDGEN_VERSION: make them equal" >&2
    exit 1
  fi
  # The two builds side by side: each leaves a core idle for a while (its last crates, its
  # link), which the other fills.
  # No --locked for wasm-bindgen-cli: one of its locked dependencies is gone from the registry.
  ensure_cargo_tool wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION" wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" &
  local bindgen=$!
  ensure_cargo_tool trunk "trunk $TRUNK_VERSION" --locked trunk --version "$TRUNK_VERSION" ||
    { pkill -P "$bindgen" 2>/dev/null; kill "$bindgen" 2>/dev/null; exit 1; } # its cargo, then it
  wait "$bindgen"
  ensure_wasm_opt
}

# Everything else: downloads and installs (apt, PyPI, npm), bound by the network and the disk.
ensure_packages() {
  ensure_deploy_venv
  ensure_fuzz_venv
  ensure_podman
  ensure_checkov_venv
  ensure_moto_venv
  ensure_azurite
  ensure_spark_venv
  # The page's end-to-end test drives Debian's Chromium over WebDriver; wrk and nginx are for
  # the benchmarks and the deployment rehearsal (bench/, scripts/rehearse-deploy.sh); bc is the
  # rehearsal's and the container check's time arithmetic.
  apt_install chromium chromium-driver wrk nginx-light bc
}

main() {
  cd "$ROOT"
  # Node.js and npm first: both groups below need them, and only one may run apt at a time.
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  case "${1:-}" in
    deploy) ensure_deploy_venv; return 0 ;;
    fuzz) ensure_fuzz_venv; return 0 ;;
    containers) ensure_podman; return 0 ;;
    checkov) ensure_checkov_venv; return 0 ;;
    moto) ensure_moto_venv; return 0 ;;
    azurite) ensure_azurite; return 0 ;;
    spark) ensure_spark_venv; return 0 ;;
    build) ensure_build_tools; return 0 ;;
    packages) ensure_packages; log "packages ready"; return 0 ;;
    "") ;;
    *) echo "setup: unknown group '$1' (see the head of $0)" >&2; exit 2 ;;
  esac
  # The packages in the background while the Rust tools compile: one waits on the network,
  # the other on the cores. Their output is shown when both are done.
  local out
  out="$(mktemp)"
  background "$out" ensure_packages
  ensure_build_tools
  join_background "$out" "setup: installing the packages"
  log "ready"
}

main "$@"
