#!/usr/bin/env bash
# Spark local mode (spark/segue_itemsets.py) against `miner mine` on one input: wall time,
# CPU time and peak memory of each, and whether they found the same frequent itemsets.
#
#   bench/spark.sh INPUT MIN_SUPPORT [METHOD]
#
# METHOD: sql (default) or fpgrowth. MINER=path/to/miner (default target/release/miner).
# Peak memory is the largest sum of RSS over the command's process tree (the JVM is a child
# of the Python driver), sampled every 0.2 s; `miner mine` also reports its own peak RSS.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="$1"
SUPPORT="$2"
METHOD="${3:-sql}"
MINER="${MINER:-$ROOT/target/release/miner}"
PYTHON="$ROOT/.tools/spark-venv/bin/python"
[ -x "$PYTHON" ] || { echo "run scripts/setup.sh spark first" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Runs a command, printing: wall seconds, CPU seconds (user+sys of the tree), peak tree RSS (MB).
measure() {
  local start end peak=0 rss pid
  start=$(date +%s.%N)
  "$@" >"$WORK/out.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(ps -eo pid=,ppid=,rss= | awk -v root="$pid" '
      { parent[$1] = $2; mem[$1] = $3 }
      END { for (p in mem) { q = p; while (q != "" && q != root && q in parent && q != 1) q = parent[q]; if (q == root) s += mem[p] } print s + 0 }')
    if [ "$rss" -gt "$peak" ]; then peak=$rss; fi
    sleep 0.2
  done
  wait "$pid" || { cat "$WORK/out.log" >&2; return 1; }
  end=$(date +%s.%N)
  printf '%.2f %d\n' "$(echo "$end - $start" | bc)" "$((peak / 1024))"
}

cpu_before=$(awk '/^cpu /{print $2 + $3 + $4}' /proc/stat)
echo "== miner mine ($MINER)"
read -r mine_wall mine_peak < <(measure /usr/bin/time -f "%U %S" -o "$WORK/mine.cpu" \
  "$MINER" mine --input "$INPUT" --out "$WORK/models" --min-support "$SUPPORT" --itemsets "$WORK/native.txt")
grep -E "^(playlists|frequent|time|peak)" "$WORK/out.log" || true
echo "wall ${mine_wall}s  cpu $(awk '{print $1 + $2}' "$WORK/mine.cpu")s  peak tree RSS ${mine_peak} MB"

echo "== Spark local mode ($METHOD)"
read -r spark_wall spark_peak < <(measure /usr/bin/time -f "%U %S" -o "$WORK/spark.cpu" \
  env SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$PYTHON" "$PYTHON" "$ROOT/spark/segue_itemsets.py" \
  --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
  --conf spark.driver.memory="${SPARK_DRIVER_MEMORY:-4g}" \
  --out "$WORK/spark" --min-support "$SUPPORT" --method "$METHOD" "$INPUT")
grep -E "^wrote" "$WORK/out.log" || true
echo "wall ${spark_wall}s  cpu $(awk '{print $1 + $2}' "$WORK/spark.cpu")s (driver; the JVM's CPU is in the tree's)  peak tree RSS ${spark_peak} MB"
cpu_after=$(awk '/^cpu /{print $2 + $3 + $4}' /proc/stat)

echo "== same itemsets?"
env SPARK_LOCAL_IP=127.0.0.1 "$PYTHON" - "$WORK/spark/itemsets" "$WORK/native.txt" <<'EOF' 2>/dev/null
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate()
rows = spark.read.parquet(sys.argv[1]).collect()
spark_sets = sorted(f"{r['count']}\t{' '.join(sorted(r['items']))}" for r in rows)
native = sorted(line.rstrip("\n") for line in open(sys.argv[2]))
print(f"spark {len(spark_sets)} itemsets, miner {len(native)}: "
      + ("identical" if spark_sets == native else "DIFFERENT"))
spark.stop()
EOF
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  (host CPU jiffies during the two runs: $((cpu_after - cpu_before)))"
