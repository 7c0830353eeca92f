# Sourced by the other scripts: puts the project's tools on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
# The object-store tests' S3 and Azure Blob endpoints (scripts/setup.sh installs them there).
export SEGUE_MOTO_SERVER="${SEGUE_MOTO_SERVER:-$ROOT/.tools/moto-venv/bin/moto_server}"
export SEGUE_AZURITE="${SEGUE_AZURITE:-$ROOT/.tools/azurite}"
