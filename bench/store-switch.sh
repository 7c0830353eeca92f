#!/usr/bin/env bash
# Time from the pointer write to the last of three replicas (REPLICA_COUNT) serving a new model, for models of
# MPD scale (2M tracks, 1M rules, about 150 MB; engine's `mpd_blob` example), on an S3 API
# (moto_server on 127.0.0.1: scripts/lib/moto.sh, as the rehearsal has it). Three servers
# follow s3://segue-bench/production (each with its own cache directory); `miner rollback`
# points `current` at the other model, ROUNDS times, alternating; each switch is timed from
# just before `miner rollback` starts (so the figure includes the miner's own start and its
# check that the blob is published) and from its exit right after the pointer write (the
# issue's measure: "from the miner's pointer write") to the first answer of each replica's /api/model naming
# the new model (after the download, the checksum, the full decode, indexing and the swap;
# polled every 20 ms or so by one long-lived bench/switch_probe.py per switch).
#
#   bench/store-switch.sh [ROUNDS]       default 4
#
# Environment: POLL (the servers' poll interval, default 1s), REPLICA_COUNT (default 3: how a
# switch goes when one replica has a node of its own is REPLICA_COUNT=1), BLOBS (a directory holding
# mpd-1/ and mpd-2/ from earlier runs, to skip generating them), SERVER_BIN and MINER_BIN (release
# binaries to time, say of two commits; built from this tree when not both given).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
source "$ROOT/scripts/lib/moto.sh"
ROUNDS="${1:-4}"
POLL="${POLL:-1s}"
REPLICAS=()
for i in $(seq "${REPLICA_COUNT:-3}"); do REPLICAS+=("$((31100 + i))"); done
if [ -z "${SERVER_BIN:-}" ] || [ -z "${MINER_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --locked --release -p server -p miner --quiet)
fi
SERVER="${SERVER_BIN:-$ROOT/target/release/server}"
MINER="${MINER_BIN:-$ROOT/target/release/miner}"
WORK="$(mktemp -d /tmp/segue-store-switch.XXXXXX)"
BLOBS="${BLOBS:-$WORK}"
PIDS=()
MOTO_PID="" RELAY_PID="" PROBE_PID=""
cleanup() {
  local status=$?
  for p in "${PIDS[@]}" $PROBE_PID $RELAY_PID $MOTO_PID; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK/cache-"*
  # Blobs generated here are kept for BLOBS= next time; the logs only when the run failed.
  if [ "$BLOBS" = "$WORK" ]; then
    echo "store-switch: the generated blobs stay in $WORK (BLOBS=$WORK skips generating them)" >&2
  elif [ "$status" -eq 0 ]; then
    rm -rf "$WORK"
  else
    echo "store-switch: its logs are in $WORK" >&2
  fi
}
trap cleanup EXIT
# Interrupted (Ctrl-C, a kill), it stops everything it started and keeps its logs.
trap 'exit 143' TERM INT

for seed in 1 2; do
  if [ ! -f "$BLOBS/mpd-$seed/current" ]; then
    (cd "$ROOT" && cargo run --locked --release --quiet -p engine --example mpd_blob -- "$BLOBS/mpd-$seed" "$seed")
  fi
done
id_of() { sed -n 's#^models/\(.*\)\.segue$#\1#p' "$BLOBS/mpd-$1/current"; }
A="$(id_of 1)" B="$(id_of 2)"

moto_start "$WORK" segue-bench
export AWS_ENDPOINT="$MOTO_ENDPOINT" # no relay: a Python relay would be the bottleneck
STORE=s3://segue-bench/production
for seed in 1 2; do
  id="$(id_of "$seed")"
  "$MOTO_PY" "$S3TOOL" put "$MOTO_ENDPOINT" segue-bench "production/models/$id.segue" "$BLOBS/mpd-$seed/models/$id.segue"
done
"$MINER" rollback "$A" --store "$STORE" >/dev/null
echo "blobs: $(stat -c %s "$BLOBS/mpd-1/models/$A.segue") and $(stat -c %s "$BLOBS/mpd-2/models/$B.segue") bytes; poll $POLL; load $(cut -d' ' -f1-3 /proc/loadavg)"

for p in "${REPLICAS[@]}"; do
  SEGUE_LOG_FORMAT=json "$SERVER" --listen "127.0.0.1:$p" --store "$STORE" --cache-dir "$WORK/cache-$p" \
    --web-dir "$ROOT/dist" --poll-interval "$POLL" >"$WORK/server-$p.log" 2>&1 &
  PIDS+=("$!")
done
# The model a replica serves (one curl and a grep: a python per check would add tenths of a
# second to every sweep of the replicas).
version_of() { curl -sf "http://127.0.0.1:$1/api/model" | grep -o '"version":"[^"]*"' | head -n1 | cut -d'"' -f4 || true; }
for p in "${REPLICAS[@]}"; do
  until [ "$(version_of "$p")" = "$A" ]; do sleep 0.2; done
done
# A switch is timed from rest: every replica has built the search index of the model it serves
# (built after the swap, at a lower priority) before the next pointer write.
settle() {
  for p in "${REPLICAS[@]}"; do
    until [ "$(grep -c '"search index built"' "$WORK/server-$p.log")" -ge "$1" ]; do sleep 0.2; done
  done
}
settle 1
echo "${#REPLICAS[@]} replicas serve $A"

target="$B"
for round in $(seq "$ROUNDS"); do
  # The probe connects and polls before the pointer write, so that its start is not timed.
  python3 "$ROOT/bench/switch_probe.py" "$target" "${REPLICAS[@]}" >"$WORK/probe.out" &
  PROBE_PID=$!
  sleep 0.2
  t0="$(date +%s.%N)"
  "$MINER" rollback "$target" --store "$STORE" >/dev/null
  t1="$(date +%s.%N)"
  wait "$PROBE_PID"
  PROBE_PID=""
  read -r -a served <"$WORK/probe.out"
  times=() after_write=()
  for at in "${served[@]}"; do
    times+=("$(printf '%.2f' "$(echo "$at - $t0" | bc)")")
    after_write+=("$(printf '%.2f' "$(echo "$at - $t1" | bc)")")
  done
  last="$(printf '%s\n' "${times[@]}" | sort -g | tail -n1)"
  last_after_write="$(printf '%s\n' "${after_write[@]}" | sort -g | tail -n1)"
  printf 'round %s: pointer written %.3f s after the start of miner rollback; replicas serving after %s s; last %s s; from the pointer write: %s s; last %s s\n' \
    "$round" "$(echo "$t1 - $t0" | bc)" "${times[*]}" "$last" "${after_write[*]}" "$last_after_write"
  [ "$target" = "$B" ] && target="$A" || target="$B"
  settle "$((round + 1))"
done
# What a switch is made of: each replica's decode (its "model loaded" seconds: checksum, full
# decode, indexing, without the search index; the initial load first, then one per round) and the download alone
# (three concurrent GETs of one blob, as the replicas make them); the rest is the poll.
for p in "${REPLICAS[@]}"; do
  printf 'replica %s decode seconds: %s\n' "$p" "$(grep '"model loaded"' "$WORK/server-$p.log" |
    python3 -c 'import json,sys; print(" ".join("%.2f" % json.loads(l)["fields"]["seconds"] for l in sys.stdin))')"
done
url="$MOTO_ENDPOINT/segue-bench/production/models/$A.segue"
gets=()
for _ in 1 2 3; do
  curl -s -o /dev/null -w '%{time_total}\n' "$url" >>"$WORK/downloads.txt" &
  gets+=("$!")
done
wait "${gets[@]}"
echo "download alone, three concurrent GETs of $(stat -c %s "$BLOBS/mpd-1/models/$A.segue") bytes: $(sort -g "$WORK/downloads.txt" | tr '\n' ' ')s"
