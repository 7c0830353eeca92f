#!/usr/bin/env bash
# Segue's miner against pyfim (Borgelt's C FP-growth, from PyPI) on the same generated baskets,
# support and max length, in one run on one machine. Reports wall time and peak RSS of
# Segue's whole run (read, mine, rules, publish) and of pyfim's read + mine.
#
#   bench/compare_pyfim.sh [PLAYLISTS...]      default: 100000 1000000
#
# Environment: SUPPORT (default 0.005), MAX_LEN (default 3), WORK (default /tmp/segue-bench).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYFIM_VERSION=6.28
SUPPORT="${SUPPORT:-0.005}"
MAX_LEN="${MAX_LEN:-3}"
WORK="${WORK:-/tmp/segue-bench}"
SIZES=("${@:-100000 1000000}")
read -r -a SIZES <<<"${SIZES[*]}"

mkdir -p "$WORK"
VENV="$ROOT/.tools/bench-venv"
# fim has no __version__: ask the installed distribution.
if ! "$VENV/bin/python" -c "import importlib.metadata as m; assert m.version('pyfim') == '$PYFIM_VERSION'" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "pyfim==$PYFIM_VERSION"
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
(cd "$ROOT" && cargo build --locked --release -p miner --quiet)
MINER="$ROOT/target/release/miner"

peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{printf "%.2f GB", $1/1048576}'; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }

printf '\nmachine: %s, %s cores, %s\n' "$(lscpu | sed -n 's/Model name: *//p')" "$(nproc)" \
  "$(free -g | awk '/Mem:/ {print $2 " GiB"}')"
printf 'support %s, max length %s\n\n' "$SUPPORT" "$MAX_LEN"
printf '| playlists | Segue whole run | Segue peak RSS | pyfim read + mine | pyfim peak RSS | itemsets (identical in both) |\n'
printf '|---|---|---|---|---|---|\n'
for n in "${SIZES[@]}"; do
  data="$WORK/baskets-$n.dat"
  [ -s "$data" ] || "$MINER" synth --playlists "$n" --seed 1 --format baskets --out "$data" >/dev/null
  rm -rf "$WORK/models-$n"
  /usr/bin/time -v "$MINER" mine --input "$data" --out "$WORK/models-$n" --min-support "$SUPPORT" \
    --max-len "$MAX_LEN" --itemsets "$WORK/itemsets-$n.tsv" >"$WORK/segue-$n.out" 2>"$WORK/segue-$n.time"
  /usr/bin/time -v "$VENV/bin/python" "$ROOT/bench/pyfim_mine.py" "$data" "$SUPPORT" "$MAX_LEN" \
    "$WORK/pyfim-itemsets-$n.tsv" >"$WORK/pyfim-$n.out" 2>"$WORK/pyfim-$n.time"
  segue_sets=$(wc -l <"$WORK/itemsets-$n.tsv")
  pyfim_sets=$(python3 -c "import json,sys; print(sum(json.load(open(sys.argv[1]))['itemsets_by_size'].values()))" "$WORK/pyfim-$n.out")
  printf '| %s | %s | %s | %s (%s) | %s | %s / %s |\n' "$n" "$(wall "$WORK/segue-$n.time")" "$(peak "$WORK/segue-$n.time")" \
    "$(wall "$WORK/pyfim-$n.time")" "$(tr -d '\n' <"$WORK/pyfim-$n.out")" "$(peak "$WORK/pyfim-$n.time")" "$segue_sets" "$pyfim_sets"
  # Exact agreement: the same itemsets with the same counts.
  if ! cmp -s <(LC_ALL=C sort "$WORK/itemsets-$n.tsv") <(LC_ALL=C sort "$WORK/pyfim-itemsets-$n.tsv"); then
    echo "Segue and pyfim disagree at $n playlists: compare $WORK/itemsets-$n.tsv and $WORK/pyfim-itemsets-$n.tsv" >&2
    exit 1
  fi
done
