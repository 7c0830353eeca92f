#!/usr/bin/env bash
# A rehearsal of the Kubernetes deployment without a cluster: three server replicas on
# 127.0.0.1 behind nginx (standing in for the Service), sharing one model directory (the
# volume), while the real miner publishes new models and one replica is restarted the way a
# rolling update does it (SIGTERM, drain, start again), all under wrk traffic.
#
#   scripts/rehearse-deploy.sh [SECONDS]                     default 45
#   MODE=object-store scripts/rehearse-deploy.sh [SECONDS]   default 60
#
# SECONDS: the least time under traffic; the events are spread over it, and the traffic goes
# on until the last of them is over.
# Reports wrk's totals (failed requests = non-2xx + socket errors) and, for every publication,
# how long each replica took to serve the new model: from the pointer file's modification
# time to the replica's own "model loaded" log line (the bound is 2 poll intervals).
# Fails unless no request failed and every switch met the bound.
# Environment: PORT (nginx, default 31000), POLL (server poll interval, default 1s),
# PLAYLISTS (generated playlists, default 20000), CONNECTIONS (default 32), FS_EVENTS
# (default false: replicas notice new models by polling alone, as on a network volume),
# SERVER_BIN and MINER_BIN (the binaries; default: this tree's release build, built first;
# scripts/test.sh passes the debug ones its test step built).
#
# MODE=object-store: the same on object storage, as k8s/overlays/object-store runs it: the
# replicas follow s3://segue-rehearsal/production on moto_server (scripts/lib/moto.sh, on a
# free 127.0.0.1 port), each with its own cache directory (SEGUE_CACHE_DIR, the emptyDir),
# and the miner publishes with --store. One replica restarts mid-way as above; later the
# store is made unreachable, another replica restarts and must serve its cached model
# (ready, on the current model) until the store is back. A switch is timed from the moment
# the pointer was written (bracketed by a watcher reading the pointer every 50 ms, taking the start of
# its last poll that still saw the old pointer: an upper bound on the switch time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
source "$ROOT/scripts/lib/nginx.sh"
MODE="${MODE:-directory}"
SECONDS_TOTAL="${1:-$([ "$MODE" = object-store ] && echo 60 || echo 45)}"
case "$MODE" in directory | object-store) ;; *) echo "MODE is directory or object-store, not $MODE" >&2; exit 2 ;; esac
PORT="${PORT:-31000}"
POLL="${POLL:-1s}"
PLAYLISTS="${PLAYLISTS:-20000}"
CONNECTIONS="${CONNECTIONS:-32}"
FS_EVENTS="${FS_EVENTS:-false}"
REPLICAS=(31001 31002 31003)

for tool in nginx wrk curl python3 bc; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/setup.sh" >&2; exit 1; }
done
if [ -z "${SERVER_BIN:-}" ] || [ -z "${MINER_BIN:-}" ]; then
  # The same build as scripts/demo.sh and the container check: a no-op after them (the same
  # packages, so the same feature unification).
  (cd "$ROOT" && cargo build --locked --release -p server -p miner --quiet)
fi
SERVER="${SERVER_BIN:-$ROOT/target/release/server}"
MINER="${MINER_BIN:-$ROOT/target/release/miner}"
# Refused before anything is made or started.
for p in "$PORT" "${REPLICAS[@]}"; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" || ss -Hltn "sport = :$p" | grep -q .; then
    echo "rehearsal: port $p is taken (a server or container left from an earlier run?); stop it first" >&2
    exit 1
  fi
done
WORK="$(mktemp -d /tmp/segue-rehearsal.XXXXXX)"
MODELS="$WORK/volume"
PIDS=()
declare -A PID_OF
MOTO_PID="" RELAY_PID="" WATCH_PID=""
cleanup() {
  local status=$?
  for p in "${PIDS[@]}" $WATCH_PID $RELAY_PID $MOTO_PID; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  # Its logs (servers, miner, nginx, wrk) are kept when it failed, to look into.
  if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "rehearsal: its logs are in $WORK" >&2; fi
}
trap cleanup EXIT
# A signal (scripts/test.sh's time limit, Ctrl-C) still stops everything started here.
trap 'exit 143' TERM INT
T0="$(date +%s.%N)"
log() { printf '[%6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
# Every wait is bounded: a CI run once waited here for two hours on replicas that never
# answered (another program held their ports).
wait_for() { # seconds, what, command...
  local limit="$1" deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "rehearsal: FAILED: not within ${limit} s: $what" >&2; exit 1; }
    sleep 0.05
  done
}
ready() { curl -sf -o /dev/null "http://127.0.0.1:$1/readyz"; }
serves() { [ "$(version_of "$1")" = "$2" ]; }
pointer_seen() { grep -q "^$1 " "$WORK/pointer-writes.txt"; }
poll_s="$(python3 -c 'import re,sys; m=re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", sys.argv[1]); print(float(m[1]) / (1000 if m[2] == "ms" else 1))' "$POLL")"

if [ "$MODE" = object-store ]; then
  source "$ROOT/scripts/lib/moto.sh"
  BUCKET=segue-rehearsal
  STORE="s3://$BUCKET/production"
  moto_start "$WORK" "$BUCKET"
  log "moto_server at $MOTO_ENDPOINT, replicas follow $STORE through $S3_ENDPOINT"
  # Where the miner publishes (moto itself: the relay is the replicas' network path).
  TARGET=(--store "$STORE")
  MINER_ENV=(env "AWS_ENDPOINT=$MOTO_ENDPOINT")
else
  TARGET=(--out "$MODELS")
  MINER_ENV=(env)
fi

log "generating $PLAYLISTS playlists and mining the first model"
"$MINER" synth --playlists "$PLAYLISTS" --seed 7 --format csv --out "$WORK/playlists.csv" >/dev/null 2>&1
# The supports of the first model and of the three published under traffic: rising rule
# counts (the publish guard refuses a model that lost most of its rules). On object storage
# the models stay small (under 1 MB), so that a switch is the poll and not the download.
if [ "$MODE" = object-store ]; then SUPPORTS=(0.01 0.008 0.007 0.006); else SUPPORTS=(0.005 0.004 0.003 0.002); fi
"${MINER_ENV[@]}" "$MINER" mine --input "$WORK/playlists.csv" "${TARGET[@]}" --min-support "${SUPPORTS[0]}" >"$WORK/miner.log" 2>&1
if [ "$MODE" = object-store ]; then
  "$MOTO_PY" "$S3TOOL" watch "$MOTO_ENDPOINT" "$BUCKET" production "$WORK/pointer-writes.txt" &
  WATCH_PID=$!
fi

start_replica() { # port
  if [ "$MODE" = object-store ]; then
    SEGUE_LOG_FORMAT=json AWS_ENDPOINT="$S3_ENDPOINT" "$SERVER" --listen "127.0.0.1:$1" --store "$STORE" \
      --cache-dir "$WORK/cache-$1" --web-dir "$ROOT/dist" --poll-interval "$POLL" --shutdown-timeout 10s \
      >>"$WORK/server-$1.log" 2>&1 &
  else
    SEGUE_LOG_FORMAT=json SEGUE_FS_EVENTS="$FS_EVENTS" "$SERVER" --listen "127.0.0.1:$1" --model-dir "$MODELS" \
      --web-dir "$ROOT/dist" --poll-interval "$POLL" --shutdown-timeout 10s >>"$WORK/server-$1.log" 2>&1 &
  fi
  PID_OF[$1]=$!
  PIDS+=("$!")
}

for p in "${REPLICAS[@]}"; do start_replica "$p"; done
addrs=()
for p in "${REPLICAS[@]}"; do addrs+=("127.0.0.1:$p"); done
nginx_front "$WORK" "$PORT" 64 "${addrs[@]}"

version_of() { curl -sf "http://127.0.0.1:$1/api/model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' 2>/dev/null || true; }
for p in "${REPLICAS[@]}" "$PORT"; do wait_for 120 "port $p ready" ready "$p"; done
log "3 replicas ready behind nginx on :$PORT, model $(version_of "$PORT"); poll $POLL, mode $MODE, file-system events $FS_EVENTS"

curl -s "http://127.0.0.1:$PORT/api/tracks?sample=100&seed=1" >"$WORK/sample.json"
python3 "$ROOT/bench/wrk/bodies.py" "$WORK/sample.json" known >"$WORK/bodies.txt"

# wrk runs until every event is over (at least SECONDS), then gets SIGINT, on which it stops
# and reports: on a slow machine the events take longer, and all of them stay under traffic.
TRAFFIC_START="$(date +%s)"
BODIES="$WORK/bodies.txt" wrk -t2 -c"$CONNECTIONS" -d"$((SECONDS_TOTAL * 10))s" --latency \
  -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" 2>"$WORK/wrk-errors.txt" &
WRK=$!
log "wrk: $CONNECTIONS connections, at least ${SECONDS_TOTAL}s and until the last event is over"

publish() { # support
  local before after
  before="$(version_of "$PORT")"
  "${MINER_ENV[@]}" "$MINER" mine --input "$WORK/playlists.csv" "${TARGET[@]}" --min-support "$1" >>"$WORK/miner.log" 2>&1
  if [ "$MODE" = object-store ]; then
    after="$("${MINER_ENV[@]}" "$MINER" models "${TARGET[@]}" --json | python3 -c 'import json,sys; print(next(m["id"] for m in json.load(sys.stdin)["models"] if m["current"]))')"
    # The watcher's bracket: written after the start of its last poll that saw the old one.
    wait_for 60 "the pointer watcher sees model $after" pointer_seen "$after"
    echo "$after $(awk -v m="$after" '$1 == m { print $2 }' "$WORK/pointer-writes.txt")" >>"$WORK/published.txt"
  else
    after="$(sed -n 's#^models/\(.*\)\.segue$#\1#p' "$MODELS/current")"
    echo "$after $(stat -c %.9Y "$MODELS/current")" >>"$WORK/published.txt"
  fi
  log "published support $1: model $after (was $before)"
  for p in "${REPLICAS[@]}"; do
    wait_for 60 "replica :$p serves model $after" serves "$p" "$after"
  done
  log "  every replica serves it"
}

restart() { # port
  # In the cluster the endpoint is removed and the preStop pause waits for kube-proxy before
  # SIGTERM; here nginx plays both parts: when the replica stops accepting, nginx passes
  # each request to another one. (Reloading nginx to drop the endpoint would make nginx
  # itself close client connections, which a Service does not do.)
  local r="$1"
  log "rolling restart of replica :$r: SIGTERM, drain, start again"
  kill -TERM "${PID_OF[$r]}"
  if wait "${PID_OF[$r]}"; then log "  it exited 0 after draining"; else log "  it exited with $?"; fi
  start_replica "$r"
  wait_for 60 "replica :$r ready again after its restart" ready "$r"
  log "  replica :$r ready again"
}

restart_offline() { # port
  # The store unreachable (connections refused), then a replica restarted: it must come up
  # on its cached model, the one every replica serves, and be ready.
  local r="$1" serving
  serving="$(version_of "$r")"
  log "the store is unreachable; rolling restart of replica :$r"
  store_down
  kill -TERM "${PID_OF[$r]}"
  if wait "${PID_OF[$r]}"; then log "  it exited 0 after draining"; else log "  it exited with $?"; fi
  start_replica "$r"
  local waited=0
  until curl -sf -o /dev/null "http://127.0.0.1:$r/readyz"; do
    sleep 0.1
    waited=$((waited + 1))
    [ "$waited" -lt 300 ] || { echo "rehearsal: replica :$r not ready after 30 s with the store unreachable" >&2; exit 1; }
  done
  local now
  now="$(version_of "$r")"
  grep -q "serving the cached model" "$WORK/server-$r.log" || { echo "rehearsal: replica :$r did not start from its cache" >&2; exit 1; }
  [ "$now" = "$serving" ] || { echo "rehearsal: replica :$r came back on $now, not the cached $serving" >&2; exit 1; }
  log "  replica :$r ready again on its cached model $now with the store unreachable"
  sleep 2
  store_up
  log "  the store answers again"
}

if [ "$MODE" = object-store ]; then
  step=$((SECONDS_TOTAL / 8))
  sleep "$step"; publish "${SUPPORTS[1]}"
  sleep "$step"; restart "${REPLICAS[1]}"
  sleep "$step"; publish "${SUPPORTS[2]}"
  sleep "$step"; restart_offline "${REPLICAS[2]}"
  sleep "$step"; publish "${SUPPORTS[3]}"
else
  step=$((SECONDS_TOTAL / 5))
  sleep "$step"; publish "${SUPPORTS[1]}"
  sleep "$step"; restart "${REPLICAS[1]}"
  sleep "$step"; publish "${SUPPORTS[2]}"
  sleep "$step"; publish "${SUPPORTS[3]}"
fi
# Every event must have happened under traffic: wrk still running, then 2 s more of it.
under_traffic=1
kill -0 "$WRK" 2>/dev/null || under_traffic=0
left=$((TRAFFIC_START + SECONDS_TOTAL - $(date +%s)))
[ "$left" -gt 2 ] && sleep "$left" || sleep 2
kill -INT "$WRK" 2>/dev/null || true
wait "$WRK"
log "wrk done"

echo
grep -E "requests in|Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" "$WORK/wrk.txt" | sed 's/^/  /'
non2xx="$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$WORK/wrk.txt")"
sockerr="$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$WORK/wrk.txt" | awk '{print $1+$2+$3+$4}')"
failed=$(( ${non2xx:-0} + ${sockerr:-0} ))

# Each replica's switch: from the pointer's mtime to its own "model loaded" log line.
python3 - "$WORK" "${REPLICAS[@]}" >"$WORK/switch-times.txt" <<'PY'
import datetime, json, sys
work, ports = sys.argv[1], sys.argv[2:]
published = dict(line.split() for line in open(f"{work}/published.txt"))
for port in ports:
    loads = {}
    for line in open(f"{work}/server-{port}.log"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("fields", {}).get("message") == "model loaded":
            t = datetime.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp()
            loads.setdefault(e["fields"]["model"], t)
    for model, at in published.items():
        if model in loads:
            print(f"{port} {model[:12]} {loads[model] - float(at):.3f}")
PY
awk '{printf "  switch: replica :%s to %s after %s s\n", $1, $2, $3}' "$WORK/switch-times.txt"
slowest="$(awk '{print $3}' "$WORK/switch-times.txt" | sort -g | tail -n1)"
echo "  failed requests: $failed (non-2xx ${non2xx:-0}, socket errors ${sockerr:-0})"
echo "  model switches: $(wc -l <"$WORK/switch-times.txt"), slowest ${slowest} s (bound $(echo "2 * $poll_s" | bc) s)"
[ "$under_traffic" -eq 1 ] || { echo "rehearsal: wrk stopped before the last event" >&2; exit 1; }
[ "$failed" -eq 0 ] || { echo "rehearsal: requests failed" >&2; head -5 "$WORK/wrk-errors.txt" >&2; exit 1; }
[ "$(echo "$slowest <= 2 * $poll_s" | bc)" -eq 1 ] || { echo "rehearsal: a replica switched too late" >&2; exit 1; }
echo "rehearsal: zero failed requests; every replica switched within 2 poll intervals"
