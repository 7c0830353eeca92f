"""Turns a kustomize rendering into what `podman kube play` can run, changing only what cannot
exist outside a cluster, and prints every change. Part of scripts/container-check.sh.

    kube_to_podman.py RENDERED.yaml OUT_DIR SERVER_IMAGE MINER_IMAGE REPLICAS [BREAK]

Writes OUT_DIR/servers.yaml (the ConfigMaps, the volume, one Pod per server replica), first-mining.yaml
(the first mining Job's pod), miner-run.yaml (the CronJob's pod, run once as `kubectl create
job --from=cronjob` would) and facts.sh (values the check reads from the manifests, as shell
assignments). BREAK deliberately breaks the rendering for the check's negative runs:
`model-dir` sets a wrong SEGUE_MODEL_DIR in the shared ConfigMap.
"""

import copy
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
    for c in pod_spec["containers"]:
        for prefix, local in mapping.items():
            if c["image"].split(":")[0] == prefix:
                say(f"{what}: image {c['image']} -> {local}")
                c["image"] = local
                break
        else:
            sys.exit(f"kube_to_podman: {what}: image {c['image']} is neither segue-server nor segue-miner")


def main():
    rendered, out, server_image, miner_image, replicas = sys.argv[1:6]
    breaking = sys.argv[6] if len(sys.argv) > 6 else ""
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

    # NetworkPolicies: podman enforces none. The miners' (no ingress, DNS-only egress) become
    # pods with no network at all, which is stricter; the servers' become iptables rules in
    # each server pod's network namespace (scripts/container-check.sh applies them).
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
        return sorted({f"{p['port']}/{p.get('protocol', 'TCP')}" for r in policy["spec"].get("egress", []) for p in r.get("ports", [])})

    miner_network = ""
    for mp in (first, manual):
        policy = policy_of(mp["metadata"]["labels"])
        if not policy["spec"].get("ingress") and egress_ports(policy) == ["53/TCP", "53/UDP"]:
            miner_network = "none"
            say(f"NetworkPolicy/{policy['metadata']['name']} (no ingress, egress DNS only) -> Pod/{mp['metadata']['name']} "
                "played with --network none (no network at all: stricter; podman enforces no NetworkPolicy)")
        else:
            sys.exit(f"kube_to_podman: NetworkPolicy/{policy['metadata']['name']} lets the miner do more than DNS: teach the check")
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

    env = {}
    for cm in config_maps:
        env.update(cm.get("data", {}))
    ctx = pod_spec["securityContext"]
    mount = next(m for m in server["volumeMounts"] if m["name"] == "data")
    facts = {
        "GRACE": grace,
        "PRE_STOP": pre_stop,
        "SERVER_PORT": port,
        "SERVICE_PORT": sport["nodePort"],
        "POLL_INTERVAL": env["SEGUE_POLL_INTERVAL"],
        "MODEL_DIR": env["SEGUE_MODEL_DIR"],
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
        "FIRST_POD": first["metadata"]["name"],
        "MANUAL_POD": manual["metadata"]["name"],
    }
    with open(f"{out}/facts.sh", "w") as f:
        for k, v in facts.items():
            f.write(f"{k}={shlex.quote(str(v))}\n")


main()
