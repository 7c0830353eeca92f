# A command run in the background, its output held back until it is joined (sourced by
# scripts/setup.sh and scripts/test.sh: the packages install while the Rust tools compile).
#
#   background LOG CMD...     starts CMD with its output in LOG (its pid in BACKGROUND_PID)
#   join_background LOG WHAT  waits for it, prints LOG and removes it; when CMD failed, says
#                             "WHAT failed (above)" and exits 1
background() {
  local log="$1"
  shift
  "$@" >"$log" 2>&1 &
  BACKGROUND_PID=$!
}
join_background() {
  local status=0
  wait "$BACKGROUND_PID" || status=$?
  cat "$1" >&2
  rm -f "$1"
  if [ "$status" -ne 0 ]; then
    echo "$2 failed (above)" >&2
    exit 1
  fi
}
