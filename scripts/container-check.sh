#!/usr/bin/env bash
# Builds Segue's images (the Dockerfile's `server` and `miner` runtime stages) from this test
# run's release binaries and page, renders an overlay with kustomize and runs it in real
# containers with `podman kube play`, then checks what a cluster would: the first mining pod
# publishes, servers started before it turn ready without a restart, the page, /docs and
# /api/recommend answer, a CronJob run publishes a second model that every server follows
# within two poll intervals under traffic, a server pod stopped with the manifest's grace
# period and started again costs no request, and every container runs with the manifest's
# uid, a read-only root file system, no capabilities, writing nothing outside its volumes.
# Part of scripts/test.sh. Cleans up everything it started, also on failure, and at its start
# whatever a run killed before its clean-up left (pods, volumes, the Secret).
#
#   scripts/container-check.sh                    MODE=volume: k8s/overlays/demo, the servers
#                                                 follow the shared volume
#   MODE=object-store scripts/container-check.sh  k8s/overlays/object-store: the miners publish
#       to S3 (moto_server, started here on the host's address, port 443, the port the
#       NetworkPolicies admit) and the servers follow it, keeping the last model in their
#       emptyDir cache; the server pod is restarted while the store refuses connections, and
#       serves from that cache
#   BREAK=page scripts/container-check.sh       the server image without its page: must fail
#   BREAK=model-dir scripts/container-check.sh  a wrong SEGUE_MODEL_DIR: must fail
#   scripts/container-check.sh clean            only remove what a killed run left (every
#                                               run does that first)
#
# Environment: MODE (volume), OVERLAY (k8s/overlays/demo or k8s/overlays/object-store),
# REPLICAS (server pods, at least 2; more if the manifest says so), TRAFFIC (seconds of wrk
# traffic, 45; 90 with the object store: more steps, three pods), CONNECTIONS (16), FACTS (1: print image sizes/files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/nginx.sh"
cd "$ROOT"

MODE="${MODE:-volume}"
case "$MODE" in
  volume) OVERLAY="${OVERLAY:-k8s/overlays/demo}" TRAFFIC="${TRAFFIC:-45}" ;;
  object-store) OVERLAY="${OVERLAY:-k8s/overlays/object-store}" TRAFFIC="${TRAFFIC:-90}" ;;
  *) echo "container-check: unknown MODE=$MODE (known: volume, object-store)" >&2; exit 2 ;;
esac
REPLICAS="${REPLICAS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
FACTS="${FACTS:-1}"
BREAK="${BREAK:-}"
TAG=container-check
BASE_IMAGE=localhost/segue-runtime-base:bookworm
INPUTS_IMAGE="localhost/segue-build-outputs:$TAG"
SERVER_IMAGE="localhost/segue-server:$TAG"
MINER_IMAGE="localhost/segue-miner:$TAG"
PODMAN=(podman --runtime runc)
WORK="$(mktemp -d /tmp/segue-container-check.XXXXXX)"
T0="$(date +%s.%N)"

log() { printf '[%6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
fail() {
  printf '\033[1;31mcontainer-check: FAILED: %s\033[0m\n' "$*" >&2
  for c in $("${PODMAN[@]}" ps -a --filter label=io.segue.check="$TAG" --format '{{.Names}}' 2>/dev/null); do
    echo "--- last lines of $c:" >&2
    "${PODMAN[@]}" logs --tail 8 "$c" 2>&1 | sed 's/^/    /' >&2 || true
  done
  exit 1
}

case "$BREAK" in
  "" | page | model-dir) ;;
  *) echo "container-check: unknown BREAK=$BREAK (known: page, model-dir)" >&2; exit 2 ;;
esac
[ "$REPLICAS" -ge 2 ] || { echo "container-check: REPLICAS must be at least 2" >&2; exit 2; }

# --- clean-up (also on failure) -------------------------------------------------------------
WRK_PID=""
MOTO_PID=""
STORE_ADDR=""
STORE_ENDPOINT=""
OUTAGE=""
# What this check makes outlives it if it is killed before its clean-up (podman runs the
# containers under conmon, nginx is a daemon): its pods would hold the hostPorts, its claim's
# volume would make the next run refuse to start. The pods, the claim's volume and the Secret
# carry the check's label (the pods' emptyDir volumes go with them); the store's outage rule
# carries a comment; nginx and moto_server have pid files in WORK.
remove_labelled_pods() { # [what to log before each]
  local pod
  for pod in $("${PODMAN[@]}" pod ps --filter label=io.segue.check="$TAG" --format '{{.Name}}' 2>/dev/null); do
    [ -n "${1:-}" ] && log "removing pod $pod, $1"
    "${PODMAN[@]}" pod rm -f -t 0 "$pod" >/dev/null 2>&1 || true
  done
}
remove_leftovers() {
  local v s
  remove_labelled_pods "left by an earlier check"
  for v in $("${PODMAN[@]}" volume ls -q --filter label=io.segue.check="$TAG" 2>/dev/null); do
    log "removing volume $v, left by an earlier check"
    "${PODMAN[@]}" volume rm -f "$v" >/dev/null 2>&1 || true
  done
  for s in $("${PODMAN[@]}" secret ls --format '{{.Name}}' 2>/dev/null); do # podman 4.3: no label filter
    [ "$("${PODMAN[@]}" secret inspect --format '{{index .Spec.Labels "io.segue.check"}}' "$s" 2>/dev/null)" = "$TAG" ] ||
      continue
    log "removing secret $s, left by an earlier check"
    "${PODMAN[@]}" secret rm "$s" >/dev/null 2>&1 || true
  done
  # Its work directory, and the processes recorded there: nginx (a daemon, outside the run's
  # process group) and moto_server.
  local dir name pid
  for dir in /tmp/segue-container-check.*; do
    [ -d "$dir" ] && [ "$dir" != "$WORK" ] || continue
    for name in nginx moto_server; do
      pid="$(cat "$dir/${name%_server}.pid" 2>/dev/null)" || continue
      # Only that program: after a reboot the pid may be another's.
      { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "$name" || continue
      log "stopping $name (pid $pid), left by an earlier check"
      kill "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
  done
  # The store's outage: an iptables rule on the host, taken out by the trap.
  if command -v iptables >/dev/null; then
    local rule
    while read -r rule; do
      log "removing iptables rule '$rule', left by an earlier check"
      eval "iptables -w ${rule/#-A/-D}" || true
    done < <(iptables -w -S INPUT 2>/dev/null | grep -- '--comment segue-container-check' || true)
  fi
}
if [ "${1:-}" = clean ]; then
  rm -rf "$WORK"
  command -v podman >/dev/null || exit 0
  remove_leftovers
  exit 0
fi
cleanup() {
  set +e
  [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
  [ -n "$OUTAGE" ] && iptables -w "${OUTAGE_RULE[@]/#-I/-D}" 2>/dev/null
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  for play in miner-run first-mining servers; do
    [ -f "$WORK/$play.yaml" ] && "${PODMAN[@]}" kube down "$WORK/$play.yaml" >/dev/null 2>&1
  done
  remove_labelled_pods
  # The volumes the plays made (the claim's, and one per emptyDir name).
  if [ -f "$WORK/volumes-before" ]; then
    for v in $("${PODMAN[@]}" volume ls -q 2>/dev/null); do
      grep -qxF "$v" "$WORK/volumes-before" || "${PODMAN[@]}" volume rm -f "$v" >/dev/null 2>&1
    done
  fi
  [ -f "$WORK/secret.created" ] && "${PODMAN[@]}" secret rm "$(cat "$WORK/secret.created")" >/dev/null 2>&1
  [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
  "${PODMAN[@]}" rmi -f "$SERVER_IMAGE" "$MINER_IMAGE" "$INPUTS_IMAGE" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

for tool in podman kubectl nginx wrk curl python3 bc mmdebstrap; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
scripts/setup.sh deploy >/dev/null # the venv with PyYAML for the transformation
PY="$ROOT/.tools/deploy-venv/bin/python"
if [ "$MODE" = object-store ]; then
  scripts/setup.sh moto >/dev/null # moto_server, and boto3 in its venv
  command -v iptables >/dev/null || fail "iptables is missing: run scripts/setup.sh"
fi
remove_leftovers
if "${PODMAN[@]}" pod exists segue-server-pod-0 2>/dev/null || "${PODMAN[@]}" volume exists segue-data 2>/dev/null; then
  fail "podman already has a segue-server pod or a segue-data volume that this check did not make (a demo of your own?): remove them first (podman pod rm -f segue-server-pod-0; podman volume rm segue-data)"
fi
if curl -s -o /dev/null "http://127.0.0.1:31000/"; then
  fail "something already listens on 127.0.0.1:31000 (the Service's port here): stop it first"
fi

# --- images ---------------------------------------------------------------------------------
# The distroless-like runtime base: glibc, libgcc, CA certificates and time zones from
# Debian 12's packages (what gcr.io/distroless/cc-debian12 holds), plus its /etc/passwd
# entries and a world-writable /tmp. Made once per machine (about 15 s), kept.
make_base() {
  "${PODMAN[@]}" image exists "$BASE_IMAGE" && return 0
  log "making the runtime base $BASE_IMAGE (mmdebstrap, Debian 12 packages)"
  mmdebstrap --quiet --variant=extract --include=libc6,libgcc-s1,ca-certificates,tzdata \
    bookworm "$WORK/base.tar" || fail "mmdebstrap could not make the runtime base (no Debian mirror?)"
  # As distroless: what the packages' maintainer scripts and distroless's own layer add (the
  # extract variant runs no scripts): the CA bundle, the users, a home for nonroot; and none
  # of the programs the dependencies bring (openssl, debconf's scripts), no manuals.
  local root="$WORK/base-root"
  mkdir -p "$root"
  tar -xf "$WORK/base.tar" -C "$root"
  rm -rf "$root"/usr/bin/* "$root"/usr/sbin/* "$root"/usr/share/man "$root"/usr/share/perl5 "$root"/var/lib/dpkg/info
  mkdir -p "$root/etc/ssl/certs" "$root/home/nonroot"
  cat "$root"/usr/share/ca-certificates/*/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  chown 65532:65532 "$root/home/nonroot"
  tar -C "$root" -cf "$WORK/base.tar" .
  rm -rf "$root"
  "${PODMAN[@]}" import -q "$WORK/base.tar" "$BASE_IMAGE" >/dev/null
  rm -f "$WORK/base.tar"
}

build_images() {
  log "building the release binaries and the page (no-ops after the test run's own builds)"
  # scripts/demo.sh's command: after it (in scripts/test.sh) a no-op, where `-p server -p
  # miner` would unify features differently and relink both (fat LTO, minutes).
  cargo build --locked --release -p server -p miner --quiet
  [ -f dist/index.html ] || trunk build --release --offline --quiet
  # The Dockerfile's BINARIES and PAGE: an image with the test run's outputs at the paths the
  # `build` and `web` stages leave them.
  mkdir -p "$WORK/inputs/src/target/release"
  cp target/release/server target/release/miner "$WORK/inputs/src/target/release/"
  if [ "$BREAK" = page ]; then
    log "BREAK: the page is left out of the server image's inputs"
    mkdir -p "$WORK/inputs/src/dist"
  else
    cp -r dist "$WORK/inputs/src/dist"
  fi
  tar -C "$WORK/inputs" -cf "$WORK/inputs.tar" src
  "${PODMAN[@]}" import -q "$WORK/inputs.tar" "$INPUTS_IMAGE" >/dev/null
  local target image args=(--build-arg "RUNTIME_IMAGE=$BASE_IMAGE" --build-arg "BINARIES=$INPUTS_IMAGE" --build-arg "PAGE=$INPUTS_IMAGE")
  for target in server miner; do
    image="localhost/segue-$target:$TAG"
    log "podman build --target $target ${args[*]} -t $image ."
    "${PODMAN[@]}" build -q --target "$target" "${args[@]}" -t "$image" . >/dev/null ||
      fail "podman build --target $target failed"
  done
}

image_facts() {
  local image size files gz
  for image in "$SERVER_IMAGE" "$MINER_IMAGE"; do
    size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$image")"
    gz="$("${PODMAN[@]}" save --format docker-archive "$image" 2>/dev/null | gzip -6 | wc -c)"
    local c
    c="$("${PODMAN[@]}" create -q "$image")"
    files="$("${PODMAN[@]}" export "$c" | tar -t | grep -vc '/$')"
    "${PODMAN[@]}" rm -f "$c" >/dev/null
    log "image $image: $((size / 1000)) kB uncompressed, $((gz / 1000)) kB gzip-compressed, $files files"
  done
}

preflight() {
  local out
  out="$("${PODMAN[@]}" run --rm --read-only --user 65532:65532 --cap-drop=all --network none \
    "$MINER_IMAGE" --version 2>&1)" ||
    fail "podman cannot run containers on this machine: $out
  (this check needs root podman with runc and /etc/containers/containers.conf from scripts/setup.sh)"
  log "podman runs containers: $out"
}

# --- the object store (MODE=object-store) ---------------------------------------------------
# moto_server on the host's own address (pods reach it over their bridge; 127.0.0.1 is each
# pod's own), on port 443: the NetworkPolicies let the pods out to the store on 443 only, and
# only the endpoint is adapted, never a policy. Plain HTTP (AWS_ALLOW_HTTP in the Secret).
start_store() {
  STORE_ADDR="$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')"
  [ -n "$STORE_ADDR" ] || fail "the host has no IPv4 address with a route for the pods to reach moto_server on"
  STORE_ENDPOINT="http://$STORE_ADDR:443"
  curl -s -o /dev/null --max-time 2 "$STORE_ENDPOINT/" && fail "something already listens on $STORE_ADDR:443 (the store's port here): stop it first"
  [ -x "$SEGUE_MOTO_SERVER" ] || fail "moto_server is missing at $SEGUE_MOTO_SERVER: run scripts/setup.sh moto"
  "$SEGUE_MOTO_SERVER" -H "$STORE_ADDR" -p 443 >"$WORK/moto.log" 2>&1 &
  MOTO_PID=$!
  echo "$MOTO_PID" >"$WORK/moto.pid"
  for _ in $(seq 1 300); do curl -s -o /dev/null --max-time 1 "$STORE_ENDPOINT/" && break; sleep 0.1; done
  curl -s -o /dev/null --max-time 1 "$STORE_ENDPOINT/" || fail "moto_server did not listen on $STORE_ENDPOINT: $(tail -n 3 "$WORK/moto.log")"
  log "moto_server (the S3 API) on $STORE_ENDPOINT"
}

s3() { # mkbucket | get KEY (the object, nothing if missing) | ls (key and size) -- in MODEL_STORE
  "$ROOT/.tools/moto-venv/bin/python" - "$STORE_ENDPOINT" "$MODEL_STORE" "$@" <<'PY'
import sys
import boto3
endpoint, url, op, *rest = sys.argv[1:]
bucket, _, prefix = url.removeprefix("s3://").partition("/")
c = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="segue-container-check", aws_secret_access_key="segue-container-check-secret")
if op == "mkbucket":
    c.create_bucket(Bucket=bucket)
elif op == "get":
    try:
        sys.stdout.write(c.get_object(Bucket=bucket, Key=f"{prefix}/{rest[0]}")["Body"].read().decode())
    except c.exceptions.NoSuchKey:
        pass
elif op == "ls":
    for o in c.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", []):
        print(o["Key"][len(prefix) + 1:], o["Size"])
PY
}

# The store refuses connections (as a stopped server does; stopping moto_server itself would
# lose its objects, which it keeps in memory): a REJECT rule for its address and port.
OUTAGE_RULE=()
store_reachable() { # yes | no
  OUTAGE_RULE=(-I INPUT -p tcp -d "$STORE_ADDR" --dport 443 -m comment --comment segue-container-check -j REJECT --reject-with tcp-reset)
  if [ "$1" = no ]; then
    iptables -w "${OUTAGE_RULE[@]}" || fail "could not cut the store off"
    OUTAGE=1
  else
    iptables -w "${OUTAGE_RULE[@]/#-I/-D}" || fail "could not restore the store"
    OUTAGE=""
  fi
}

# Where the models are, in either mode: `current`'s model id, and where that is.
current_model() {
  if [ -n "$MODEL_STORE" ]; then s3 get current; else cat "$MODEL_HOST/current" 2>/dev/null || true; fi |
    sed -n 's#^models/\(.*\)\.segue$#\1#p'
}
store_name() { if [ -n "$MODEL_STORE" ]; then echo "SEGUE_MODEL_STORE=$MODEL_STORE"; else echo "SEGUE_MODEL_DIR=$MODEL_DIR on the volume"; fi; }

# When a container logged a message (the first line with it, and field=value if given), in
# seconds since the epoch; the servers' and miners' lines, text or JSON (SEGUE_LOG_FORMAT).
log_time() { # container message [field value]
  "${PODMAN[@]}" logs "$1" 2>&1 | python3 -c '
import datetime, json, sys
message, field = sys.argv[1], sys.argv[2:]
for line in sys.stdin:
    if line.startswith("{"):
        j = json.loads(line)
        f = j.get("fields", {})
        if f.get("message") == message and (not field or str(f.get(field[0])) == field[1]):
            ts = j["timestamp"]
            break
    elif message in line and (not field or f"{field[0]}={field[1]}" in line):
        ts = line.split()[0]
        break
else:
    sys.exit(0)
print(datetime.datetime.fromisoformat(ts).timestamp())
' "${@:2}"
}

# When `current` was written: its modification time on the volume; with an object store, the
# miner's "published" line (logged right after the pointer's write; S3 keeps whole seconds).
published_at() { # miner pod
  if [ -n "$MODEL_STORE" ]; then log_time "$1-miner" published; else stat -c %.9Y "$MODEL_HOST/current"; fi
}

# --- the rendering, adapted -----------------------------------------------------------------
render() {
  log "kubectl kustomize $OVERLAY; adapting what cannot exist outside a cluster:"
  kubectl kustomize "$OVERLAY" >"$WORK/rendered.yaml"
  local breaking=""
  [ "$BREAK" = model-dir ] && breaking=model-dir
  "$PY" scripts/kube_to_podman.py "$WORK/rendered.yaml" "$WORK" "$SERVER_IMAGE" "$MINER_IMAGE" "$REPLICAS" $breaking \
    ${STORE_ENDPOINT:+--store-endpoint "$STORE_ENDPOINT"} || fail "could not adapt the rendering"
  # shellcheck source=/dev/null
  source "$WORK/facts.sh"
  if [ -n "$STORE_SECRET" ]; then
    "${PODMAN[@]}" secret inspect "$STORE_SECRET" >/dev/null 2>&1 &&
      fail "podman already has a secret $STORE_SECRET (a run of your own?): remove it first"
    "${PODMAN[@]}" secret create --label io.segue.check="$TAG" "$STORE_SECRET" "$WORK/secret.json" >/dev/null ||
      fail "podman secret create $STORE_SECRET"
    echo "$STORE_SECRET" >"$WORK/secret.created"
  fi
  # Every pod this check starts, and the claim's volume, carry its label, for the clean-up.
  for f in servers first-mining miner-run; do
    "$PY" - "$WORK/$f.yaml" "$TAG" <<'PY'
import sys, yaml
path, tag = sys.argv[1:]
docs = list(yaml.safe_load_all(open(path)))
for d in docs:
    if d["kind"] in ("Pod", "PersistentVolumeClaim"):
        d["metadata"].setdefault("labels", {})["io.segue.check"] = tag
yaml.safe_dump_all(docs, open(path, "w"), sort_keys=False)
PY
  done
}

play() { # name [kube play options]
  local name="$1"
  shift
  "${PODMAN[@]}" kube play --quiet "$@" "$WORK/$name.yaml" >"$WORK/$name.play.txt" 2>&1 ||
    fail "podman kube play $name.yaml: $(cat "$WORK/$name.play.txt")"
}

# --- what the kubelet and kube-proxy would do -----------------------------------------------
server_pods() { tr ' ' '\n' <<<"$SERVER_PODS"; }
container_of() { echo "$1-server"; } # pod -> its server container
addr_of() { # pod -> the 127.0.0.1 address its container port is published on
  local pods=($SERVER_PODS) ports=($HOST_PORTS) i
  for i in "${!pods[@]}"; do
    if [ "${pods[$i]}" = "$1" ]; then echo "127.0.0.1:${ports[$i]}"; fi
  done
}
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true; }
version_at() {
  curl -sf --max-time 2 "$1/api/model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' 2>/dev/null || true
}
started_at() { "${PODMAN[@]}" inspect --format '{{.State.StartedAt}} restarts={{.RestartCount}}' "$(container_of "$1")"; }

wait_exit() { # pod container seconds -> exit code
  local c="$1-$2" i state
  for i in $(seq 1 $(($3 * 10))); do
    state="$("${PODMAN[@]}" inspect --format '{{.State.Status}}' "$c" 2>/dev/null || echo missing)"
    [ "$state" = exited ] && { "${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$c"; return 0; }
    sleep 0.1
  done
  fail "$c did not finish within $3 s"
}

nginx_service() {
  local addrs=() pod
  for pod in $(server_pods); do addrs+=("$(addr_of "$pod")"); done
  nginx_front "$WORK" "$SERVICE_PORT" 32 "${addrs[@]}" || fail "nginx (the Service's stand-in) did not start"
}

# A NetworkPolicy as iptables rules in a pod's network namespace (podman enforces none):
# ingress to the allowed ports, egress to the allowed ports (and ipBlocks), answers to both;
# nothing else. Shown to bite: a connection out of the pod to a server pod goes through before
# the rules and not after them.
pid_of() { "${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$1"; }
pod_ip() { "${PODMAN[@]}" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(container_of "$1")"; }
apply_network_policy() { # what, pid in the pod's netns, ingress specs, egress specs, a server pod to probe
  local ns=(nsenter -t "$2" -n) probe before after spec
  probe="http://$(pod_ip "$5"):$SERVER_PORT/healthz"
  before="$("${ns[@]}" curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$probe" || true)"
  "${ns[@]}" iptables -w -P INPUT DROP
  "${ns[@]}" iptables -w -P OUTPUT DROP
  for chain in INPUT OUTPUT; do
    "${ns[@]}" iptables -w -A "$chain" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  done
  "${ns[@]}" iptables -w -A INPUT -i lo -j ACCEPT
  "${ns[@]}" iptables -w -A OUTPUT -o lo -j ACCEPT
  for spec in $3; do
    "${ns[@]}" iptables -w -A INPUT -p "${spec#*/}" --dport "${spec%/*}" -j ACCEPT
  done
  for spec in $4; do # port/proto or port/proto@cidr
    local to=() port="${spec%%@*}"
    [[ "$spec" == *@* ]] && to=(-d "${spec#*@}")
    "${ns[@]}" iptables -w -A OUTPUT -p "${port#*/}" --dport "${port%/*}" "${to[@]}" -j ACCEPT
  done
  [ "$before" = 200 ] || fail "$1: before the NetworkPolicy rules, $probe answered $before (expected 200)"
  after="$("${ns[@]}" curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$probe" || true)"
  [ "$after" = 000 ] || fail "$1: the NetworkPolicy rules do not block egress ($probe answered $after)"
  echo "  $1: NetworkPolicy applied (ingress ${3:-none}, egress $4); egress to $probe: $before before, blocked after"
}
server_policy() { # pod
  apply_network_policy "$1" "$(pid_of "$(container_of "$1")")" "$SERVER_INGRESS" "$SERVER_EGRESS" \
    "$(server_pods | grep -vx "$1" | head -n1)"
}

# A miner pod: with no network when its policy admits DNS only; otherwise its policy is set in
# its network namespace (the infra container's) before its container starts.
play_miner() { # play, pod
  if [ -n "$MINER_EGRESS" ]; then
    play "$1" --start=false
    local infra
    infra="$("${PODMAN[@]}" pod inspect --format '{{.InfraContainerID}}' "$2")"
    "${PODMAN[@]}" start "$infra" >/dev/null || fail "podman start $2's infra container"
    apply_network_policy "$2" "$(pid_of "$infra")" "" "$MINER_EGRESS" "$(server_pods | head -n1)"
    "${PODMAN[@]}" pod start "$2" >/dev/null || fail "podman pod start $2"
  else
    play "$1" ${MINER_NETWORK:+--network "$MINER_NETWORK"}
  fi
}

# --- the checks -----------------------------------------------------------------------------
check_security() { # container run_as
  local c="$1" user ro caps pid status
  user="$("${PODMAN[@]}" inspect --format '{{.Config.User}}' "$c")"
  ro="$("${PODMAN[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$c")"
  caps="$("${PODMAN[@]}" inspect --format '{{.EffectiveCaps}}' "$c")"
  [ "$user" = "$RUN_AS" ] || [ "$user" = "${RUN_AS%%:*}" ] || fail "$c runs as '$user', the manifest says $RUN_AS"
  [ "$ro" = true ] || fail "$c: the root file system is writable (readOnlyRootFilesystem is true in the manifest)"
  [ "$caps" = "[]" ] || fail "$c has capabilities $caps (the manifest drops ALL)"
  # Inside: the kernel's view of the container's own process.
  pid="$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$c")"
  if [ "$pid" -gt 0 ] 2>/dev/null && [ -r "/proc/$pid/status" ]; then
    status="$(cat "/proc/$pid/status")"
    grep -qE "^Uid:\s+${RUN_AS%%:*}\s+${RUN_AS%%:*}\s+${RUN_AS%%:*}\s+${RUN_AS%%:*}$" <<<"$status" ||
      fail "$c: inside, the process's uids are $(grep ^Uid <<<"$status")"
    grep -qE "^Gid:\s+${RUN_AS##*:}\s" <<<"$status" || fail "$c: inside, $(grep ^Gid <<<"$status")"
    for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
      grep -qE "^$cap:\s+0+$" <<<"$status" || fail "$c: inside, $(grep "^$cap" <<<"$status")"
    done
    grep -qE '^NoNewPrivs:\s+1$' <<<"$status" || fail "$c: inside, privilege escalation is possible (NoNewPrivs 0)"
    grep -qE '^Seccomp:\s+2$' <<<"$status" || fail "$c: inside, no seccomp filter (RuntimeDefault in the manifest)"
    awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/$pid/mountinfo" | grep -qx ro ||
      fail "$c: inside, / is not mounted read-only"
    # Listening sockets (the NetworkPolicy's premise): the server listens on its port only.
    local listening
    listening="$(awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6" |
      while read -r hex; do echo $((16#$hex)); done | sort -u | tr '\n' ' ')"
    echo "$c: inside: $(grep -E '^(Uid|Gid):' <<<"$status" | tr -s '\t ' ' ' | tr '\n' ';') CapEff 0, NoNewPrivs 1, seccomp filter, / read-only; listening on: ${listening:-nothing}"
    if [ "$2" = server ]; then
      [ "$listening" = "$SERVER_PORT " ] || fail "$c listens on ports '$listening', the NetworkPolicy admits $SERVER_PORT only"
    fi
  else
    echo "$c: podman inspect: user $user, read-only root file system, capabilities $caps (it has exited)"
  fi
  # Changes to the container's own file system: podman makes the mount points (and their
  # parents) when it creates the container; anything else was written by the process.
  local diff mounts
  mounts="$("${PODMAN[@]}" inspect --format '{{range .Mounts}}{{.Destination}} {{end}}' "$c")"
  diff="$("${PODMAN[@]}" diff --format '{{.Path}}' "$c" 2>/dev/null || "${PODMAN[@]}" diff "$c" | awk '{print $2}')"
  local path unexpected=""
  for path in $diff; do
    case " $mounts /etc /run /run/.containerenv /etc/hosts /etc/hostname /etc/resolv.conf " in
      *" $path "*) ;;
      *) unexpected+="$path " ;;
    esac
  done
  [ -z "$unexpected" ] || fail "$c wrote outside its volumes: $unexpected"
  echo "$c: podman diff: nothing written outside the volumes ($(echo $diff | wc -w) mount points and podman-made files: $(echo $diff))"
}

main() {
  log "container check, mode $MODE${BREAK:+, deliberately broken: $BREAK}"
  "${PODMAN[@]}" info >/dev/null 2>&1 || fail "podman cannot run here: $("${PODMAN[@]}" info 2>&1 | tail -n 3)"
  make_base
  build_images
  [ "$FACTS" = 1 ] && image_facts
  preflight
  [ "$MODE" = object-store ] && start_store
  render
  if [ -n "$MODEL_STORE" ]; then
    s3 mkbucket || fail "could not create the bucket of $MODEL_STORE on $STORE_ENDPOINT"
    log "bucket of $MODEL_STORE created (what an operator does once; the pods only read and write objects)"
  fi

  "${PODMAN[@]}" volume ls -q >"$WORK/volumes-before"
  # 1. The servers first, on an empty volume: alive, not ready.
  local t_play pod ip
  t_play="$(date +%s.%N)"
  log "podman kube play servers.yaml (the ConfigMaps, the volume, $(server_pods | wc -l) server pods)"
  play servers
  local vol_dir
  vol_dir="$("${PODMAN[@]}" volume inspect --format '{{.Mountpoint}}' "$VOLUME")"
  MODEL_HOST="$vol_dir/${MODEL_DIR#"$DATA_MOUNT"}"
  for pod in $(server_pods); do
    ip="$(addr_of "$pod")"
    for _ in $(seq 1 300); do [ "$(code_of "http://$ip/healthz")" = 200 ] && break; sleep 0.1; done
    [ "$(code_of "http://$ip/healthz")" = 200 ] || fail "$pod does not answer /healthz on $ip"
    [ "$(code_of "http://$ip/readyz")" = 503 ] || fail "$pod is ready before any model was published"
    started_at "$pod" >"$WORK/$pod.started"
  done
  log "$(server_pods | wc -l) server pods alive (/healthz 200) $(printf %.1f "$(echo "$(date +%s.%N) - $t_play" | bc)") s after kube play, not ready (/readyz 503): no model yet"
  nginx_service
  for pod in $(server_pods); do server_policy "$pod"; done

  # 2. The first mining publishes; the servers turn ready without a restart.
  log "podman kube play first-mining.yaml"
  play_miner first-mining "$FIRST_POD"
  local code
  code="$(wait_exit "$FIRST_POD" miner 300)"
  [ "$code" = 0 ] || fail "the first mining pod exited with $code: $("${PODMAN[@]}" logs --tail 3 "$FIRST_POD-miner" 2>&1 | tr '\n' ' ')"
  local first_model
  first_model="$(current_model)" || fail "could not read current from $(store_name)"
  [ -n "$first_model" ] || fail "the first mining pod published nothing at $(store_name)"
  if [ -n "$MODEL_STORE" ]; then
    log "the first mining pod exited 0 and published model ${first_model:0:12} to $MODEL_STORE ($(s3 ls | awk '{print $1}' | tr '\n' ' '))"
  else
    log "the first mining pod exited 0 and published model ${first_model:0:12} (owner $(stat -c %u:%g "$MODEL_HOST/current") on the volume)"
  fi
  local t_ready=""
  for pod in $(server_pods); do
    ip="$(addr_of "$pod")"
    for _ in $(seq 1 200); do [ "$(code_of "http://$ip/readyz")" = 200 ] && break; sleep 0.05; done
    [ "$(code_of "http://$ip/readyz")" = 200 ] ||
      fail "$pod is not ready 10 s after the first model was published (does it read $(store_name)?)"
    [ -n "$t_ready" ] || t_ready="$(date +%s.%N)"
    [ "$(started_at "$pod")" = "$(cat "$WORK/$pod.started")" ] || fail "$pod was restarted: $(started_at "$pod")"
  done
  log "every server pod ready without a restart; from kube play to the first ready pod: $(printf %.1f "$(echo "$t_ready - $t_play" | bc)") s (mining included)"

  # 3. The Service, and what the README shows.
  local base="http://127.0.0.1:$SERVICE_PORT"
  local page
  page="$(curl -s -w '\n%{http_code}' "$base/")" || fail "GET / failed"
  grep -q "<title>Segue</title>" <<<"$page" ||
    fail "GET / is not the page (HTTP $(tail -n1 <<<"$page")): the server image lacks the page at its SEGUE_WEB_DIR ($("${PODMAN[@]}" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$SERVER_IMAGE" | sed -n 's/^SEGUE_WEB_DIR=//p'))"
  local wasm
  wasm="$(grep -o '/[A-Za-z0-9_-]*_bg\.wasm' <<<"$page" | head -n1)"
  [ -n "$wasm" ] && curl -sf -o /dev/null "$base$wasm" || fail "GET / does not link a wasm that answers: the page in the server image is incomplete"
  curl -sf "$base/docs/" | grep -qi swagger || fail "GET /docs/ is not the Swagger UI"
  # The README's question: a song that has rules (a sample of 20; the demo's support keeps few).
  local songs answer
  songs="$(curl -sf "$base/api/tracks?sample=20&seed=1")" || fail "GET /api/tracks failed"
  answer="$(python3 - "$base" "$songs" <<'PY'
import json, sys, urllib.request
base, songs = sys.argv[1], json.loads(sys.argv[2])["tracks"]
for t in songs:
    body = json.dumps({"songs": [t["name"]], "k": 5}).encode()
    req = urllib.request.Request(base + "/api/recommend", body, {"Content-Type": "application/json"})
    a = json.load(urllib.request.urlopen(req, timeout=5))
    assert len(a["tracks"]) == 5 and a["resolved"], a
    if any(x["source"] == "rule" for x in a["tracks"]):
        print("for %r: %s" % (a["resolved"][0]["name"], ", ".join(a["songs"])))
        break
else:
    sys.exit("none of 20 sampled songs got a recommendation by a rule")
PY
)" || fail "POST /api/recommend: $answer"
  echo "  /api/recommend $answer"
  log "through the Service: / (the page and its wasm), /docs/, /api/tracks and /api/recommend answer"

  # 4. Traffic; the CronJob's pod publishes a second model; a server pod restarts.
  curl -s "$base/api/tracks?sample=100&seed=1" >"$WORK/sample.json"
  python3 bench/wrk/bodies.py "$WORK/sample.json" known >"$WORK/bodies.txt"
  BODIES="$WORK/bodies.txt" wrk -t1 -c"$CONNECTIONS" -d"${TRAFFIC}s" -s bench/wrk/recommend.lua "$base" \
    >"$WORK/wrk.txt" 2>"$WORK/wrk-errors.txt" &
  WRK_PID=$!
  local t_traffic
  t_traffic="$(date +%s)"
  log "wrk: $CONNECTIONS connections for ${TRAFFIC}s through the Service"
  sleep 3
  # A second dataset, as an operator copies one in: the CronJob mines the next one in the
  # rotation (one dataset alone would give the same model again). Named by SEGUE_GLOB, written
  # into SEGUE_DATASETS by the miner image itself, as the pods' user.
  local second_name="${DATASETS_GLOB/\*/second}" format=csv
  [[ "$second_name" == *.csv ]] || format=baskets
  log "a second dataset: podman run $MINER_IMAGE synth --format $format --out $DATASETS/$second_name (as $RUN_AS, the volume mounted)"
  "${PODMAN[@]}" run --rm --user "$RUN_AS" --read-only --cap-drop all --network none -v "$VOLUME:$DATA_MOUNT" \
    "$MINER_IMAGE" synth --playlists "$SYNTH_IF_EMPTY" --seed 2 --format "$format" --out "$DATASETS/$second_name" >/dev/null 2>"$WORK/synth.txt" ||
    fail "could not write a second dataset: $(cat "$WORK/synth.txt")"
  log "podman kube play miner-run.yaml (the CronJob's pod, once)"
  play_miner miner-run "$MANUAL_POD"
  code="$(wait_exit "$MANUAL_POD" miner 300)"
  [ "$code" = 0 ] || fail "the CronJob's pod exited with $code"
  local second published poll_s
  second="$(current_model)" || fail "could not read current from $(store_name)"
  published="$(published_at "$MANUAL_POD")"
  [ "$second" != "$first_model" ] || fail "the CronJob's pod published no new model"
  [ -n "$published" ] || fail "the CronJob's pod logged no 'published' line"
  poll_s="$(python3 -c 'import re,sys; m=re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", sys.argv[1]); print(float(m[1]) / (1000 if m[2] == "ms" else 1))' "$POLL_INTERVAL")"
  log "the CronJob's pod exited 0 and published model ${second:0:12}"
  # Each pod's switch: from the pointer's modification time to the pod's own "model loaded"
  # log line (what it serves is then checked through its port).
  for pod in $(server_pods); do
    ip="$(addr_of "$pod")"
    until [ "$(version_at "http://$ip")" = "$second" ]; do
      (($(echo "$(date +%s.%N) - $published > 5 * $poll_s" | bc))) && fail "$pod still serves the old model $(echo "5 * $poll_s" | bc) s after the publication"
      sleep 0.1
    done
    local loaded took
    loaded="$(log_time "$(container_of "$pod")" "model loaded" model "$second")"
    [ -n "$loaded" ] || fail "$pod serves $second but logged no 'model loaded' line for it"
    took="$(echo "$loaded - $published" | bc)"
    log "  $pod serves it; loaded $(printf %.2f "$took") s after the publication (bound: 2 poll intervals = $(echo "2 * $poll_s" | bc) s)"
    (($(echo "$took <= 2 * $poll_s" | bc))) || fail "$pod switched after $took s, more than 2 poll intervals"
  done

  if [ -n "$CACHE_VOLUME" ]; then # each server pod's emptyDir cache keeps the model it serves
    # (written after the swap, in the background: given up to 10 s)
    local cached deadline
    for pod in $(server_pods); do
      deadline=$((SECONDS + 10))
      until cached="$(cat "$("${PODMAN[@]}" volume inspect --format '{{.Mountpoint}}' "$pod-$CACHE_VOLUME")/current" 2>/dev/null || true)"
        [ "$cached" = "models/$second.segue" ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$pod's cache ($CACHE_VOLUME, SEGUE_CACHE_DIR) holds '$cached', not the model it serves, 10 s after it serves it"
        sleep 0.1
      done
    done
    log "  every server pod's emptyDir cache holds models/${second:0:12}….segue"
  fi

  pod="$(server_pods | head -n1)"
  if [ -n "$MODEL_STORE" ]; then
    store_reachable no
    log "the store refuses connections from now on (an iptables REJECT on $STORE_ADDR:443: a store that is down)"
  fi
  log "podman pod stop -t $GRACE $pod (the manifest's grace period), then start it again"
  local t_stop
  t_stop="$(date +%s.%N)"
  "${PODMAN[@]}" pod stop -t "$GRACE" "$pod" >/dev/null || fail "podman pod stop $pod"
  local exit_code
  exit_code="$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$(container_of "$pod")")"
  log "  stopped after $(printf %.1f "$(echo "$(date +%s.%N) - $t_stop" | bc)") s, exit code $exit_code (SIGTERM, drained)"
  [ "$exit_code" = 0 ] || fail "$pod exited with $exit_code after SIGTERM (a drain exits 0)"
  "${PODMAN[@]}" pod start "$pod" >/dev/null || fail "podman pod start $pod"
  ip="$(addr_of "$pod")"
  for _ in $(seq 1 600); do [ "$(code_of "http://$ip/readyz")" = 200 ] && break; sleep 0.05; done
  [ "$(code_of "http://$ip/readyz")" = 200 ] || fail "$pod is not ready 30 s after its restart${OUTAGE:+ (the store is down: does it serve its cache?)}"
  server_policy "$pod"
  log "  $pod ready again on $ip, serving $(version_at "http://$ip" | cut -c1-12)"
  [ "$(version_at "http://$ip")" = "$second" ] || fail "$pod serves $(version_at "http://$ip") after its restart, not $second"
  if [ -n "$OUTAGE" ]; then
    [ -n "$(log_time "$(container_of "$pod")" "serving the cached model until the store answers" model "$second")" ] ||
      fail "$pod is ready while the store is down, but did not log serving its cache"
    log "  it serves the last model from its emptyDir cache while the store is down"
    store_reachable yes
    log "the store answers again"
  fi
  (($(date +%s) - t_traffic < TRAFFIC - 2)) || fail "the events took longer than the ${TRAFFIC}s of traffic: raise TRAFFIC"
  wait "$WRK_PID" || true
  WRK_PID=""
  grep -E "requests in|Requests/sec|Non-2xx|Socket errors" "$WORK/wrk.txt" | sed 's/^/  wrk: /'
  local non2xx sockerr
  non2xx="$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$WORK/wrk.txt")"
  sockerr="$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$WORK/wrk.txt" | awk '{print $1+$2+$3+$4}')"
  grep -q "requests in" "$WORK/wrk.txt" || fail "wrk reported nothing: $(cat "$WORK/wrk-errors.txt")"
  [ "$((${non2xx:-0} + ${sockerr:-0}))" -eq 0 ] || fail "requests failed under traffic: non-2xx ${non2xx:-0}, socket errors ${sockerr:-0}"
  log "zero failed requests through the publication and the restart"

  # 5. Every container: the manifest's uid, read-only root, no capabilities, no writes.
  for pod in $(server_pods); do check_security "$(container_of "$pod")" server; done
  check_security "$FIRST_POD-miner" miner
  check_security "$MANUAL_POD-miner" miner
  # The volumes the plays made (the claim's, the emptyDirs): everything in them written by
  # the pods' uid.
  local v dir owners
  for v in $("${PODMAN[@]}" volume ls -q | grep -vxF -f "$WORK/volumes-before"); do
    dir="$("${PODMAN[@]}" volume inspect --format '{{.Mountpoint}}' "$v")"
    owners="$(find "$dir" -mindepth 1 -printf '%U:%G\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    [ "$(find "$dir" -mindepth 1 ! -uid "${RUN_AS%%:*}" | wc -l)" -eq 0 ] ||
      fail "volume $v holds files not written by uid ${RUN_AS%%:*}: $owners"
    echo "  volume $v: ${owners:- empty;}"
  done
  log "the volumes: every file in them written by the pods' uid"
  log "container check passed (mode $MODE)"
}

main
