"""Turns a kustomize rendering into what `podman kube play` can run, changing only what cannot
exist outside a cluster, and prints every change. Part of scripts/container-check.sh.

    kube_to_podman.py RENDERED.yaml OUT_DIR SERVER_IMAGE MINER_IMAGE REPLICAS [BREAK]
        [--store-endpoint URL]

Writes OUT_DIR/servers.yaml (the ConfigMaps, the volume, one Pod per server replica), first-mining.yaml
(the first mining Job's pod), miner-run.yaml (the CronJob's pod, run once as `kubectl create
job --from=cronjob` would) and facts.sh (values the check reads from the manifests, as shell
assignments). BREAK deliberately breaks the rendering for the check's negative runs:
`model-dir` sets a wrong SEGUE_MODEL_DIR in the shared ConfigMap.

A rendering whose ConfigMaps set SEGUE_MODEL_STORE (the object-store overlay) needs
--store-endpoint: the S3 endpoint the check runs (moto_server on the host). The credentials
Secret the pods read (optional in the manifests; an operator's `kubectl create secret`) is then
written as OUT_DIR/secret.json, pointing at that endpoint, for `podman secret create`.
"""

import base64
import copy
import json
import shlex
import sys

import yaml


def say(what):
    print(f"  transform: {what}")


def pod_of(kind, doc, name):
    """A Job's or CronJob's pod template as a Pod (podman plays no Jobs)."""
    template = doc["spec"]["template"] if kind == "Job" else doc["spec"]["jobTemplate"]["spec"]["template"]
    say(f"{kind}/{doc['metadata']['name']} -> Pod/{name} (its pod template; podman kube play runs no {kind}s)")
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": template["metadata"].get("labels", {})},
        "spec": copy.deepcopy(template["spec"]),
    }


def kubelet_parts(pod_spec, what):
    """Probes and lifecycle hooks are the kubelet's: dropped, the check plays them."""
    for c in pod_spec["containers"]:
        for key in ("startupProbe", "readinessProbe", "livenessProbe", "lifecycle"):
            if c.pop(key, None) is not None:
                say(f"{what}: container {c['name']}: {key} removed (the kubelet's; the check polls the paths itself)")


def images(pod_spec, what, mapping):
    """The rendering's image names (`segue-server:dev`, `registry.example.com/segue/server:0.1.0`)
    -> the images this check built."""
    for c in pod_spec["containers"]:
        for prefix, local in mapping.items():
            name = c["image"].split("@")[0].rsplit(":", 1)[0]
            if name == prefix or name.endswith("/" + prefix.replace("-", "/")):
                say(f"{what}: image {c['image']} -> {local}")
                c["image"] = local
                break
        else:
            sys.exit(f"kube_to_podman: {what}: image {c['image']} is neither segue-server nor segue-miner")


def empty_dirs(pod):
    """podman 4.3 makes an emptyDir a named volume called after the pod's volume, shared by
    every pod that names one alike (`cache`, `tmp`): each pod gets its own, as in a cluster."""
    spec = pod["spec"]
    renamed = {}
    for v in spec.get("volumes", []):
        if "emptyDir" in v:
            renamed[v["name"]] = f"{pod['metadata']['name']}-{v['name']}"
            v["name"] = renamed[v["name"]]
    for c in spec["containers"]:
        for m in c.get("volumeMounts", []):
            m["name"] = renamed.get(m["name"], m["name"])
    return renamed


def store_secret(pod_specs, endpoint):
    """The credentials Secret the pods name (optional in the manifests, made by an operator):
    here, moto_server's endpoint and test keys, as podman 4.3 reads a Secret for envFrom (its
    data as JSON; podman kube play of a Secret object stores YAML, which envFrom cannot read)."""
    names = {e["secretRef"]["name"] for spec in pod_specs for c in spec["containers"]
             for e in c.get("envFrom", []) if "secretRef" in e}
    if len(names) != 1:
        sys.exit(f"kube_to_podman: the pods name {len(names)} Secrets ({', '.join(sorted(names))}); expected one for the store")
    (name,) = names
    data = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "segue-container-check",
        "AWS_SECRET_ACCESS_KEY": "segue-container-check-secret",
        "AWS_REGION": "us-east-1",
    }
    say(f"Secret/{name} (the overlay's `kubectl create secret`; not in the rendering) -> podman secret {name}: "
        f"AWS_ENDPOINT_URL={endpoint} (moto_server on the host, on the port the NetworkPolicies admit), "
        "AWS_ALLOW_HTTP=true (moto speaks plain HTTP), AWS_REGION, test keys")
    return name, {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}


def main():
    args = sys.argv[1:]
    endpoint = ""
    if "--store-endpoint" in args:
        i = args.index("--store-endpoint")
        endpoint = args[i + 1]
        del args[i:i + 2]
    rendered, out, server_image, miner_image, replicas = args[:5]
    breaking = args[5] if len(args) > 5 else ""
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    by = {}
    for d in docs:
        by.setdefault(d["kind"], []).append(d)
    mapping = {"segue-server": server_image, "segue-miner": miner_image}

    config_maps = by.get("ConfigMap", [])
    if breaking == "model-dir":
        for cm in config_maps:
            if "SEGUE_MODEL_DIR" in cm.get("data", {}):
                say(f"BREAK: ConfigMap/{cm['metadata']['name']}: SEGUE_MODEL_DIR {cm['data']['SEGUE_MODEL_DIR']} -> /model")
                cm["data"]["SEGUE_MODEL_DIR"] = "/model"

    (pvc,) = by["PersistentVolumeClaim"]
    (deployment,) = by["Deployment"]
    (job,) = by["Job"]
    (cron,) = by["CronJob"]
    (service,) = by["Service"]

    # fsGroup makes a fresh volume writable by the pods' group in a cluster; podman applies
    # no fsGroup to a volume it creates, so the volume is created owned by it.
    fs_group = job["spec"]["template"]["spec"]["securityContext"].get("fsGroup")
    if fs_group is not None:
        ann = pvc["metadata"].setdefault("annotations", {})
        ann["volume.podman.io/uid"] = str(job["spec"]["template"]["spec"]["securityContext"]["runAsUser"])
        ann["volume.podman.io/gid"] = str(fs_group)
        say(f"PersistentVolumeClaim/{pvc['metadata']['name']}: the volume is created owned by "
            f"{ann['volume.podman.io/uid']}:{fs_group} (what the pods' fsGroup {fs_group} does in a cluster)")

    want = int(replicas)
    spec = deployment["spec"]
    name = deployment["metadata"]["name"]
    count = spec.get("replicas", 1)
    if count < want:
        say(f"Deployment/{name}: replicas {count} -> {want} (a pod restart without failed requests "
            "needs a second pod, as a rolling update's surge pod is in a cluster)")
        count = want
    pod_spec = spec["template"]["spec"]
    images(pod_spec, f"Deployment/{name}", mapping)
    (server,) = pod_spec["containers"]
    grace = pod_spec.get("terminationGracePeriodSeconds", 30)
    pre_stop = server.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    kubelet_parts(pod_spec, f"Deployment/{name}")
    port = server["ports"][0]["containerPort"]
    (sport,) = service["spec"]["ports"]
    # podman 4.3 publishes every containerPort on the host, so the replicas of one Deployment
    # would collide on one host port: one Pod per replica, each published on its own port.
    server_pods = []
    host_ports = []
    for i in range(count):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"{name}-pod-{i}", "labels": spec["template"]["metadata"].get("labels", {})},
            "spec": copy.deepcopy(pod_spec),
        }
        host_port = sport["nodePort"] + 1 + i
        pod["spec"]["containers"][0]["ports"][0].update({"hostIP": "127.0.0.1", "hostPort": host_port})
        host_ports.append(str(host_port))
        server_pods.append(pod)
    say(f"Deployment/{name} -> Pods {', '.join(p['metadata']['name'] for p in server_pods)}, container port {port} "
        f"published on 127.0.0.1:{', '.join(host_ports)} (podman publishes container ports on the host, so replicas would collide)")
    say(f"Service/{service['metadata']['name']} (NodePort {sport['nodePort']}) -> nginx on 127.0.0.1:{sport['nodePort']} "
        f"over those ports (no kube-proxy here)")

    first = pod_of("Job", job, job["metadata"]["name"])
    images(first["spec"], f"Pod/{first['metadata']['name']}", mapping)
    manual = pod_of("CronJob", cron, cron["metadata"]["name"] + "-manual")
    images(manual["spec"], f"Pod/{manual['metadata']['name']}", mapping)
    for p in server_pods + [first, manual]:
        renamed = empty_dirs(p)
        if renamed:
            say(f"Pod/{p['metadata']['name']}: emptyDir {', '.join(f'{k} -> volume {v}' for k, v in renamed.items())} "
                "(podman 4.3 would share one volume per name between pods)")

    env = {}
    for cm in config_maps:
        env.update(cm.get("data", {}))
    model_store = env.get("SEGUE_MODEL_STORE", "")
    secret = None
    if model_store:
        if not endpoint:
            sys.exit("kube_to_podman: the rendering sets SEGUE_MODEL_STORE: pass --store-endpoint")
        for sa in by.get("ServiceAccount", []):
            say(f"ServiceAccount/{sa['metadata']['name']}: not played (its workload-identity annotations need a cloud; "
                "the Secret below carries the credentials instead, the overlay's other way)")
        secret = store_secret([p["spec"] for p in server_pods + [first, manual]], endpoint)

    # NetworkPolicies: podman enforces none. They become iptables rules in each pod's network
    # namespace (scripts/container-check.sh applies them; a miner pod's before its container
    # starts), by port and ipBlock (the DNS rule's namespace/pod selectors are not modelled). A
    # miner policy that admits DNS only becomes a pod with no network at all, which is stricter.
    policies = by.get("NetworkPolicy", [])

    def policy_of(labels):
        def selects(sel):
            ok = all(labels.get(k) == v for k, v in sel.get("matchLabels", {}).items())
            for e in sel.get("matchExpressions", []):
                assert e["operator"] == "In", e
                ok = ok and labels.get(e["key"]) in e["values"]
            return ok
        found = [p for p in policies if selects(p["spec"]["podSelector"])]
        if len(found) != 1:
            sys.exit(f"kube_to_podman: {len(found)} NetworkPolicies select pods labelled {labels}")
        return found[0]

    def egress_ports(policy):
        """`port/PROTO`, or `port/PROTO@cidr` where the rule names ipBlocks only."""
        specs = set()
        for r in policy["spec"].get("egress", []):
            blocks = [t["ipBlock"]["cidr"] for t in r.get("to", []) if "ipBlock" in t]
            if blocks and len(blocks) != len(r["to"]):
                sys.exit(f"kube_to_podman: NetworkPolicy/{policy['metadata']['name']} mixes ipBlocks and selectors in one rule")
            for p in r.get("ports", []):
                spec = f"{p['port']}/{p.get('protocol', 'TCP')}"
                specs.update(f"{spec}@{b}" for b in blocks) if blocks else specs.add(spec)
        return sorted(specs)

    miner_network = ""
    miner_egress = ""
    for mp in (first, manual):
        policy = policy_of(mp["metadata"]["labels"])
        if policy["spec"].get("ingress"):
            sys.exit(f"kube_to_podman: NetworkPolicy/{policy['metadata']['name']} admits ingress to a miner: teach the check")
        if egress_ports(policy) == ["53/TCP", "53/UDP"]:
            miner_network = "none"
            say(f"NetworkPolicy/{policy['metadata']['name']} (no ingress, egress DNS only) -> Pod/{mp['metadata']['name']} "
                "played with --network none (no network at all: stricter; podman enforces no NetworkPolicy)")
        else:
            miner_egress = " ".join(egress_ports(policy))
            say(f"NetworkPolicy/{policy['metadata']['name']} (no ingress; egress {', '.join(egress_ports(policy))}) -> "
                f"iptables rules in Pod/{mp['metadata']['name']}'s network namespace, set before its container starts")
    server_policy = policy_of(spec["template"]["metadata"]["labels"])
    ingress = server_policy["spec"].get("ingress", [])
    ingress_ports = []
    for rule in ingress:
        assert not rule.get("from"), "ingress from anywhere"
        for p in rule["ports"]:
            named = {q.get("name"): q["containerPort"] for q in server["ports"]}
            ingress_ports.append(str(named.get(p["port"], p["port"])) + "/" + p.get("protocol", "TCP"))
    say(f"NetworkPolicy/{server_policy['metadata']['name']} (ingress {', '.join(ingress_ports)}; egress "
        f"{', '.join(egress_ports(server_policy))}) -> iptables rules in each server pod's network namespace")

    def write(name, objs):
        with open(f"{out}/{name}", "w") as f:
            yaml.safe_dump_all(objs, f, sort_keys=False)

    write("servers.yaml", config_maps + [pvc] + server_pods)
    write("first-mining.yaml", config_maps + [first])
    write("miner-run.yaml", config_maps + [manual])

    if secret:
        with open(f"{out}/secret.json", "w") as f:
            json.dump(secret[1], f)
    ctx = pod_spec["securityContext"]
    # Where the claim is mounted: the servers' too in the volume mode, the miners' only with
    # an object store.
    mount = next(m for m in first["spec"]["containers"][0]["volumeMounts"] if m["name"] == "data")
    cache = next((m["name"] for m in server.get("volumeMounts", []) if m["mountPath"] == env.get("SEGUE_CACHE_DIR")), "")
    facts = {
        "GRACE": grace,
        "PRE_STOP": pre_stop,
        "SERVER_PORT": port,
        "SERVICE_PORT": sport["nodePort"],
        "POLL_INTERVAL": env["SEGUE_POLL_INTERVAL"],
        "MODEL_DIR": env.get("SEGUE_MODEL_DIR", ""),
        "MODEL_STORE": model_store,
        "STORE_SECRET": secret[0] if secret else "",
        "CACHE_VOLUME": cache,
        "DATASETS": env["SEGUE_DATASETS"],
        "DATASETS_GLOB": env["SEGUE_GLOB"],
        "SYNTH_IF_EMPTY": next((e["value"] for e in first["spec"]["containers"][0].get("env", [])
                                if e["name"] == "SEGUE_SYNTH_IF_EMPTY"), "5000"),
        "DATA_MOUNT": mount["mountPath"],
        "RUN_AS": f"{ctx['runAsUser']}:{ctx.get('runAsGroup', ctx['runAsUser'])}",
        "VOLUME": pvc["metadata"]["name"],
        "SERVER_PODS": " ".join(p["metadata"]["name"] for p in server_pods),
        "HOST_PORTS": " ".join(host_ports),
        "SERVER_INGRESS": " ".join(ingress_ports),
        "SERVER_EGRESS": " ".join(egress_ports(server_policy)),
        "MINER_NETWORK": miner_network,
        "MINER_EGRESS": miner_egress,
        "FIRST_POD": first["metadata"]["name"],
        "MANUAL_POD": manual["metadata"]["name"],
    }
    with open(f"{out}/facts.sh", "w") as f:
        for k, v in facts.items():
            f.write(f"{k}={shlex.quote(str(v))}\n")


main()
