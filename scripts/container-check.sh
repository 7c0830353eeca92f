#!/usr/bin/env bash
# Builds Segue's images (the Dockerfile's `server` and `miner` runtime stages) from this test
# run's release binaries and page, renders the demo overlay with kustomize and runs it in real
# containers with `podman kube play`, then checks what a cluster would: the first mining pod
# publishes, servers started before it turn ready without a restart, the page, /docs and
# /api/recommend answer, a CronJob run publishes a second model that every server follows
# within two poll intervals under traffic, a server pod stopped with the manifest's grace
# period and started again costs no request, and every container runs with the manifest's
# uid, a read-only root file system, no capabilities, writing nothing outside its volumes.
# Part of scripts/test.sh. Cleans up everything it started, also on failure.
#
#   scripts/container-check.sh            MODE=volume (the only mode so far: the servers
#                                         follow the shared volume)
#   BREAK=page scripts/container-check.sh       the server image without its page: must fail
#   BREAK=model-dir scripts/container-check.sh  a wrong SEGUE_MODEL_DIR: must fail
#
# Environment: MODE (volume), OVERLAY (k8s/overlays/demo), REPLICAS (server pods, at least 2),
# TRAFFIC (seconds of wrk traffic, 45), CONNECTIONS (16), FACTS (1: print image sizes/files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

MODE="${MODE:-volume}"
OVERLAY="${OVERLAY:-k8s/overlays/demo}"
REPLICAS="${REPLICAS:-2}"
TRAFFIC="${TRAFFIC:-45}"
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

case "$MODE" in
  volume) ;;
  *) echo "container-check: unknown MODE=$MODE (known: volume)" >&2; exit 2 ;;
esac
case "$BREAK" in
  "" | page | model-dir) ;;
  *) echo "container-check: unknown BREAK=$BREAK (known: page, model-dir)" >&2; exit 2 ;;
esac
[ "$REPLICAS" -ge 2 ] || { echo "container-check: REPLICAS must be at least 2" >&2; exit 2; }

# --- clean-up (also on failure) -------------------------------------------------------------
WRK_PID=""
cleanup() {
  set +e
  [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  for play in miner-run first-mining servers; do
    [ -f "$WORK/$play.yaml" ] && "${PODMAN[@]}" kube down "$WORK/$play.yaml" >/dev/null 2>&1
  done
  for pod in $("${PODMAN[@]}" pod ps --filter label=io.segue.check="$TAG" --format '{{.Name}}' 2>/dev/null); do
    "${PODMAN[@]}" pod rm -f "$pod" >/dev/null 2>&1
  done
  # The volumes the plays made (the claim's, and one per emptyDir name).
  if [ -f "$WORK/volumes-before" ]; then
    for v in $("${PODMAN[@]}" volume ls -q 2>/dev/null); do
      grep -qxF "$v" "$WORK/volumes-before" || "${PODMAN[@]}" volume rm -f "$v" >/dev/null 2>&1
    done
  fi
  "${PODMAN[@]}" rmi -f "$SERVER_IMAGE" "$MINER_IMAGE" "$INPUTS_IMAGE" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in podman kubectl nginx wrk curl python3 bc mmdebstrap; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
scripts/setup.sh deploy >/dev/null # the venv with PyYAML for the transformation
PY="$ROOT/.tools/deploy-venv/bin/python"
if "${PODMAN[@]}" pod exists segue-server-pod-0 2>/dev/null || "${PODMAN[@]}" volume exists segue-data 2>/dev/null; then
  fail "podman already has a segue-server pod or a segue-data volume (a demo of your own?): remove them first"
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
  cargo build --locked --release --workspace --quiet
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

# --- the rendering, adapted -----------------------------------------------------------------
render() {
  log "kubectl kustomize $OVERLAY; adapting what cannot exist outside a cluster:"
  kubectl kustomize "$OVERLAY" >"$WORK/rendered.yaml"
  local breaking=""
  [ "$BREAK" = model-dir ] && breaking=model-dir
  "$PY" scripts/kube_to_podman.py "$WORK/rendered.yaml" "$WORK" "$SERVER_IMAGE" "$MINER_IMAGE" "$REPLICAS" $breaking ||
    fail "could not adapt the rendering"
  # shellcheck source=/dev/null
  source "$WORK/facts.sh"
  # Every pod this check starts carries its label, for the clean-up.
  for f in servers first-mining miner-run; do
    "$PY" - "$WORK/$f.yaml" "$TAG" <<'PY'
import sys, yaml
path, tag = sys.argv[1:]
docs = list(yaml.safe_load_all(open(path)))
for d in docs:
    if d["kind"] == "Pod":
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
  local upstreams="" pod
  for pod in $(server_pods); do
    upstreams+="    server $(addr_of "$pod") max_fails=1 fail_timeout=2s;"$'\n'
  done
  cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  upstream segue {
$upstreams    keepalive 32;
  }
  server {
    listen 127.0.0.1:$SERVICE_PORT;
    location / {
      proxy_pass http://segue;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # An endpoint that is gone or draining: the next one (kube-proxy drops a terminating
      # pod's endpoint during its preStop pause, which podman does not run).
      proxy_next_upstream error timeout http_503 non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
NGINX
  nginx -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon on;' || fail "nginx (the Service's stand-in) did not start"
}

# The server's NetworkPolicy as iptables rules in the pod's network namespace (podman enforces
# no NetworkPolicy): ingress to the allowed ports, egress to the allowed ports (DNS), answers
# to both; nothing else. Shown to bite: a connection out of the pod to another server pod
# goes through before the rules and not after them.
apply_network_policy() { # pod
  local pid ns probe before after spec
  pid="$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$(container_of "$1")")"
  ns=(nsenter -t "$pid" -n)
  local other
  other="$(server_pods | grep -vx "$1" | head -n1)"
  probe="http://$("${PODMAN[@]}" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(container_of "$other")"):$SERVER_PORT/healthz"
  before="$("${ns[@]}" curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$probe" || true)"
  "${ns[@]}" iptables -w -P INPUT DROP
  "${ns[@]}" iptables -w -P OUTPUT DROP
  for chain in INPUT OUTPUT; do
    "${ns[@]}" iptables -w -A "$chain" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  done
  "${ns[@]}" iptables -w -A INPUT -i lo -j ACCEPT
  "${ns[@]}" iptables -w -A OUTPUT -o lo -j ACCEPT
  for spec in $SERVER_INGRESS; do
    "${ns[@]}" iptables -w -A INPUT -p "${spec#*/}" --dport "${spec%/*}" -j ACCEPT
  done
  for spec in $SERVER_EGRESS; do
    "${ns[@]}" iptables -w -A OUTPUT -p "${spec#*/}" --dport "${spec%/*}" -j ACCEPT
  done
  [ "$before" = 200 ] || fail "$1: before the NetworkPolicy rules, $probe answered $before (expected 200)"
  after="$("${ns[@]}" curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$probe" || true)"
  [ "$after" = 000 ] || fail "$1: the NetworkPolicy rules do not block egress ($probe answered $after)"
  echo "  $1: NetworkPolicy applied (ingress $SERVER_INGRESS, egress $SERVER_EGRESS); egress to $probe: $before before, blocked after"
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
  render

  "${PODMAN[@]}" volume ls -q >"$WORK/volumes-before"
  # 1. The servers first, on an empty volume: alive, not ready.
  local t_play pod ip
  t_play="$(date +%s.%N)"
  log "podman kube play servers.yaml (the ConfigMaps, the volume, $REPLICAS server pods)"
  play servers
  local vol_dir
  vol_dir="$("${PODMAN[@]}" volume inspect --format '{{.Mountpoint}}' "$VOLUME")"
  local model_host="$vol_dir/${MODEL_DIR#"$DATA_MOUNT"}"
  for pod in $(server_pods); do
    ip="$(addr_of "$pod")"
    for _ in $(seq 1 300); do [ "$(code_of "http://$ip/healthz")" = 200 ] && break; sleep 0.1; done
    [ "$(code_of "http://$ip/healthz")" = 200 ] || fail "$pod does not answer /healthz on $ip"
    [ "$(code_of "http://$ip/readyz")" = 503 ] || fail "$pod is ready before any model was published"
    started_at "$pod" >"$WORK/$pod.started"
  done
  log "$REPLICAS server pods alive (/healthz 200) $(printf %.1f "$(echo "$(date +%s.%N) - $t_play" | bc)") s after kube play, not ready (/readyz 503): no model yet"
  nginx_service
  for pod in $(server_pods); do apply_network_policy "$pod"; done

  # 2. The first mining publishes; the servers turn ready without a restart.
  log "podman kube play first-mining.yaml"
  play first-mining ${MINER_NETWORK:+--network "$MINER_NETWORK"}
  local code
  code="$(wait_exit "$FIRST_POD" miner 300)"
  [ "$code" = 0 ] || fail "the first mining pod exited with $code: $("${PODMAN[@]}" logs --tail 3 "$FIRST_POD-miner" 2>&1 | tr '\n' ' ')"
  [ -s "$model_host/current" ] || fail "the first mining pod published nothing at SEGUE_MODEL_DIR=$MODEL_DIR on the volume"
  local first_model
  first_model="$(sed -n 's#^models/\(.*\)\.segue$#\1#p' "$model_host/current")"
  log "the first mining pod exited 0 and published model ${first_model:0:12} (owner $(stat -c %u:%g "$model_host/current") on the volume)"
  local t_ready=""
  for pod in $(server_pods); do
    ip="$(addr_of "$pod")"
    for _ in $(seq 1 200); do [ "$(code_of "http://$ip/readyz")" = 200 ] && break; sleep 0.05; done
    [ "$(code_of "http://$ip/readyz")" = 200 ] ||
      fail "$pod is not ready 10 s after the first model was published (does it read SEGUE_MODEL_DIR=$MODEL_DIR?)"
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
  play miner-run ${MINER_NETWORK:+--network "$MINER_NETWORK"}
  code="$(wait_exit "$MANUAL_POD" miner 300)"
  [ "$code" = 0 ] || fail "the CronJob's pod exited with $code"
  local second published poll_s
  second="$(sed -n 's#^models/\(.*\)\.segue$#\1#p' "$model_host/current")"
  published="$(stat -c %.9Y "$model_host/current")"
  [ "$second" != "$first_model" ] || fail "the CronJob's pod published no new model"
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
    loaded="$("${PODMAN[@]}" logs "$(container_of "$pod")" 2>&1 | grep "model loaded model=$second" | head -n1 | cut -d' ' -f1)"
    [ -n "$loaded" ] || fail "$pod serves $second but logged no 'model loaded' line for it"
    took="$(echo "$(date -d "$loaded" +%s.%N) - $published" | bc)"
    log "  $pod serves it; loaded $(printf %.2f "$took") s after the publication (bound: 2 poll intervals = $(echo "2 * $poll_s" | bc) s)"
    (($(echo "$took <= 2 * $poll_s" | bc))) || fail "$pod switched after $took s, more than 2 poll intervals"
  done

  pod="$(server_pods | head -n1)"
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
  for _ in $(seq 1 200); do [ "$(code_of "http://$ip/readyz")" = 200 ] && break; sleep 0.05; done
  [ "$(code_of "http://$ip/readyz")" = 200 ] || fail "$pod is not ready 10 s after its restart"
  apply_network_policy "$pod"
  log "  $pod ready again on $ip, serving $(version_at "http://$ip" | cut -c1-12)"
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
  local owners
  owners="$(find "$vol_dir" -printf '%U:%G\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
  [ "$(find "$vol_dir" -mindepth 1 ! -uid "${RUN_AS%%:*}" | wc -l)" -eq 0 ] ||
    fail "the volume holds files not written by uid ${RUN_AS%%:*}: $owners"
  log "the volume: every file written by the pods' uid ($owners)"
  log "container check passed (mode $MODE)"
}

main
