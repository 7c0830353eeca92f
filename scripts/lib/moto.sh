# Sourced by scripts/rehearse-deploy.sh (MODE=object-store) and bench/store-switch.sh: a real
# S3 API on this machine, as the tests have it (testkit::s3): moto_server on a free 127.0.0.1
# port behind a TCP relay that can be stopped (the store unreachable: connections refused)
# and started again without moto losing its objects.
#
#   moto_start WORK BUCKET   starts both, creates BUCKET, exports the AWS_* variables that
#                            object_store's builders read; sets MOTO_ENDPOINT (moto itself),
#                            S3_ENDPOINT (the relay: what replicas follow), MOTO_PID, RELAY_PID
#   store_down / store_up    stop / start the relay
# The caller kills MOTO_PID and RELAY_PID on exit.

MOTO_PY="$(dirname "${SEGUE_MOTO_SERVER:?source scripts/env.sh first}")/python"
S3TOOL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/s3tool.py"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # port
  local i
  for i in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1 after 30 s" >&2
  return 1
}

moto_start() { # work bucket
  [ -x "$SEGUE_MOTO_SERVER" ] || {
    echo "moto_server not found at $SEGUE_MOTO_SERVER: run scripts/setup.sh moto" >&2
    return 1
  }
  local port
  port="$(free_port)"
  "$SEGUE_MOTO_SERVER" -H 127.0.0.1 -p "$port" >"$1/moto.log" 2>&1 &
  MOTO_PID=$!
  wait_port "$port"
  MOTO_ENDPOINT="http://127.0.0.1:$port"
  RELAY_PORT="$(free_port)"
  RELAY_LOG="$1/relay.log"
  store_up
  S3_ENDPOINT="http://127.0.0.1:$RELAY_PORT"
  export AWS_ACCESS_KEY_ID=segue-rehearsal AWS_SECRET_ACCESS_KEY=segue-rehearsal-secret
  export AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true
  "$MOTO_PY" "$S3TOOL" bucket "$MOTO_ENDPOINT" "$2"
}

store_up() {
  "$MOTO_PY" "$S3TOOL" relay "$RELAY_PORT" "${MOTO_ENDPOINT#http://127.0.0.1:}" >>"$RELAY_LOG" 2>&1 &
  RELAY_PID=$!
  wait_port "$RELAY_PORT"
}

store_down() {
  kill "$RELAY_PID" 2>/dev/null || true
  wait "$RELAY_PID" 2>/dev/null || true
}
