#!/usr/bin/env bash
# Two server builds side by side on one model, for a before/after comparison on a shared
# machine: both run at once, and short wrk runs of bench/server.sh's recommend mix alternate
# between them (A B, then B A, ...), so that both see the same load on the host. Prints each
# run and then, per build, the median of: requests/s, p50, p99, the server's CPU per request.
#
#   bench/ab.sh BIN_A BIN_B MODEL_DIR [ROUNDS] [DURATION] [CONNECTIONS]
#
# Defaults: 10 rounds of 5s runs per build, 64 connections, 2 wrk threads (WRK_THREADS).
# GET_PATH=/healthz: GET that path instead (what any request costs, ranking aside).
# Loopback only (127.0.0.1).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_A="$1"
BIN_B="$2"
MODEL_DIR="$3"
ROUNDS="${4:-10}"
DURATION="${5:-5s}"
CONNECTIONS="${6:-64}"
WRK_THREADS="${WRK_THREADS:-2}"
command -v wrk >/dev/null || { echo "wrk is needed (scripts/setup.sh installs it)" >&2; exit 1; }
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

declare -A PORT=([A]=31911 [B]=31912) PID=()
for side in A B; do
  bin="BIN_$side"
  "${!bin}" --listen "127.0.0.1:${PORT[$side]}" --model-dir "$MODEL_DIR" --web-dir "$WORK/no-page" \
    >"$WORK/$side.log" 2>&1 &
  PID[$side]=$!
  PIDS+=("$!")
done
for side in A B; do
  until curl -sf "http://127.0.0.1:${PORT[$side]}/readyz" >/dev/null; do
    kill -0 "${PID[$side]}"
    sleep 0.2
  done
done
curl -s "http://127.0.0.1:${PORT[A]}/api/tracks?sample=100&seed=1" >"$WORK/sample.json"
python3 "$ROOT/bench/wrk/bodies.py" "$WORK/sample.json" >"$WORK/bodies.txt"
export BODIES="$WORK/bodies.txt"

cpu() { awk -v tck="$(getconf CLK_TCK)" '{ print ($14 + $15) / tck }' "/proc/$1/stat"; }
run() { # side, label
  local side="$1" before after out
  before="$(cpu "${PID[$side]}")"
  if [ -n "${GET_PATH:-}" ]; then
    out="$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
      "http://127.0.0.1:${PORT[$side]}$GET_PATH")"
  else
    out="$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
      -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:${PORT[$side]}")"
  fi
  after="$(cpu "${PID[$side]}")"
  awk -v side="$side" -v label="$2" -v before="$before" -v after="$after" '
    / requests in / { n = $1 } /Requests\/sec/ { rps = $2 } / 50%/ { p50 = $2 } / 99%/ { p99 = $2 }
    /Non-2xx|Socket errors/ { bad = bad " " $0 }
    END { printf "%s %s rps %.0f p50 %s p99 %s cpu %.1f%s\n", label, side, rps, p50, p99, (after - before) / n * 1e6, bad }' <<<"$out"
}
for side in A B; do run "$side" warm-up >/dev/null; done
echo "${GET_PATH:-POST /api/recommend}: A = $BIN_A"
echo "B = $BIN_B"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for side in $order; do run "$side" "round $round"; done
done | tee "$WORK/runs.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/runs.txt" <<'EOF'
import statistics, sys
def ms(v):
    return float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-2]) if v.endswith("ms") else float(v[:-1]) * 1000
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault(f[2], []).append((float(f[4]), ms(f[6]), ms(f[8]), float(f[10])))
for side, r in sorted(runs.items()):
    med = [statistics.median(x[i] for x in r) for i in range(4)]
    print(f"median {side}: {med[0]:.0f} rps, p50 {med[1]:.2f} ms, p99 {med[2]:.2f} ms, "
          f"server CPU {med[3]:.1f} us per request ({len(r)} runs)")
EOF
