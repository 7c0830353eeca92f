#!/usr/bin/env bash
# Runs the README's run command (scripts/demo.sh) as a user would, waits until it serves,
# loads the page and asks for a recommendation, then stops it with SIGTERM and expects a
# clean exit. Part of scripts/test.sh.
#
#   scripts/demo-check.sh [PORT]      default 31000, the product's port
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${1:-31000}"
BASE="http://127.0.0.1:$PORT"
LOG="$ROOT/target/demo-check.log"
mkdir -p "$ROOT/target"

if curl -s -o /dev/null "$BASE/healthz"; then
  echo "demo-check: something already listens on port $PORT; stop it or pass another port" >&2
  exit 1
fi
SEGUE_LISTEN="127.0.0.1:$PORT" "$ROOT/scripts/demo.sh" >"$LOG" 2>&1 &
DEMO=$!
fail() {
  echo "demo-check: $*" >&2
  tail -n 30 "$LOG" >&2
  kill "$DEMO" 2>/dev/null || true
  exit 1
}

# The demo builds in release mode first: allow it time.
for _ in $(seq 1 1800); do
  curl -sf -o /dev/null "$BASE/readyz" && break
  kill -0 "$DEMO" 2>/dev/null || fail "scripts/demo.sh exited before serving"
  sleep 1
done
curl -sf -o /dev/null "$BASE/readyz" || fail "not ready after 30 minutes"

page="$(curl -sf "$BASE/")" || fail "GET / failed"
grep -q "<title>Segue</title>" <<<"$page" || fail "GET / is not the page"
wasm="$(grep -o '/[A-Za-z0-9_-]*_bg\.wasm' <<<"$page" | head -n1)"
[ -n "$wasm" ] || fail "the page links no wasm"
curl -sf -o /dev/null -H 'Accept-Encoding: br' "$BASE$wasm" || fail "GET $wasm failed"

song="$(curl -sf "$BASE/api/tracks?sample=1&seed=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tracks"][0]["name"])')" ||
  fail "GET /api/tracks failed"
answer="$(curl -sf -X POST "$BASE/api/recommend" -H 'Content-Type: application/json' \
  -d "$(python3 -c 'import json,sys; print(json.dumps({"songs": [sys.argv[1]], "k": 5}))' "$song")")" ||
  fail "POST /api/recommend failed"
python3 - "$answer" <<'PY' || fail "unexpected answer: $answer"
import json, sys
a = json.loads(sys.argv[1])
assert len(a["tracks"]) == 5 and len(a["songs"]) == 5 and a["resolved"], a
assert any(t["source"] == "rule" for t in a["tracks"]), a
print("demo-check: answer for %r: %s" % (a["resolved"][0]["name"], ", ".join(a["songs"])))
PY

kill -TERM "$DEMO"
status=0
wait "$DEMO" || status=$?
[ "$status" -eq 0 ] || fail "the server exited with $status after SIGTERM"
echo "demo-check: scripts/demo.sh served on :$PORT, answered, and stopped cleanly"
