//! Every Kubernetes rendering against the binaries: each container's configuration parses,
//! mounts, ports, probes, the drain and the Service agree.

use std::collections::BTreeMap;
use std::path::Path;

use deploy::cli::{argv, parse};
use deploy::docker::{dockerfile, stage};
use deploy::kube::{by_kind, get, list, port_number, renderings, s, strings};
use serde_norway::Value;

#[test]
fn manifests_match_the_binaries() {
    let stages = dockerfile();
    for (dir, docs) in renderings() {
        let config_maps: BTreeMap<&str, &Value> = by_kind(&docs, "ConfigMap")
            .map(|c| (s(c, "metadata.name"), get(c, "data")))
            .collect();
        let claims: Vec<&str> = by_kind(&docs, "PersistentVolumeClaim")
            .map(|c| s(c, "metadata.name"))
            .collect();
        assert_eq!(claims.len(), 1, "{dir}: one volume");
        let mut model_dirs = Vec::new();
        let mut server_pods = 0;
        for doc in &docs {
            let pod = match s(doc, "kind") {
                "Deployment" | "Job" => get(doc, "spec.template"),
                "CronJob" => get(doc, "spec.jobTemplate.spec.template"),
                _ => continue,
            };
            let what = format!("{dir}: {}/{}", s(doc, "kind"), s(doc, "metadata.name"));
            let spec = get(pod, "spec");
            for container in list(get(spec, "containers")) {
                let binary = s(container, "name");
                let what = format!("{what}: container {binary}");
                let image = s(container, "image");
                assert!(image.contains(binary), "{what}: image {image}");
                assert!(
                    get(container, "command").is_null(),
                    "{what}: the image's ENTRYPOINT runs"
                );
                let image_stage = stage(&stages, binary);
                let args = match get(container, "args") {
                    Value::Null if image_stage.all("CMD").next().is_some() => {
                        image_stage.json_list("CMD")
                    }
                    Value::Null => Vec::new(),
                    args => strings(args),
                };
                let mut env = image_stage.env();
                for source in list(get(container, "envFrom")) {
                    if !get(source, "secretRef").is_null() {
                        // Credentials for the cloud's SDK (AWS_*, ...): not Segue's settings,
                        // and optional where workload identity provides them.
                        assert_eq!(
                            get(source, "secretRef.optional").as_bool(),
                            Some(true),
                            "{what}: optional credentials"
                        );
                        continue;
                    }
                    let name = s(source, "configMapRef.name");
                    let data = config_maps
                        .get(name)
                        .unwrap_or_else(|| panic!("{what}: no ConfigMap {name}"));
                    for (k, v) in data.as_mapping().expect("data") {
                        env.push((
                            k.as_str().unwrap().to_owned(),
                            v.as_str().unwrap().to_owned(),
                        ));
                    }
                }
                for var in list(get(container, "env")) {
                    env.push((s(var, "name").to_owned(), s(var, "value").to_owned()));
                }
                let argv = argv(binary, &args, &env, &what);
                let parsed = parse(binary, &argv, &what);

                let object_store = parsed.store.as_deref().filter(|u| u.contains("://"));
                if let Some(url) = object_store {
                    // Object storage: the server mounts no claim, and keeps its cache on an
                    // emptyDir mounted where SEGUE_CACHE_DIR says; credentials come from the
                    // ServiceAccount or a Secret, never from a Segue flag.
                    assert!(!url.contains('@'), "{what}: credentials in the URL");
                    if let Some(config) = &parsed.server {
                        check_object_store_server(&what, spec, container, config);
                    }
                    model_dirs.push(std::path::PathBuf::from(url));
                } else {
                    check_model_volume(
                        &what,
                        spec,
                        container,
                        &parsed.model_dir,
                        claims[0],
                        binary,
                    );
                    model_dirs.push(parsed.model_dir.clone());
                }

                if let Some(config) = parsed.server {
                    server_pods += 1;
                    check_server(&what, &docs, doc, pod, container, &config);
                }
            }
        }
        // The server, the first mining Job, the periodic miner; with Spark also the import.
        let expected = 3 + usize::from(dir.ends_with("spark"));
        assert!(
            server_pods == 1 && model_dirs.len() == expected,
            "{dir}: {model_dirs:?}"
        );
        assert!(
            model_dirs.windows(2).all(|w| w[0] == w[1]),
            "{dir}: {model_dirs:?}"
        );
    }
}

/// The model directory is the volume, mounted where SEGUE_MODEL_DIR says (read-only for the
/// server).
fn check_model_volume(
    what: &str,
    spec: &Value,
    container: &Value,
    model_dir: &Path,
    claim: &str,
    binary: &str,
) {
    let mount = list(get(container, "volumeMounts"))
        .iter()
        .find(|m| Path::new(s(m, "mountPath")) == model_dir)
        .unwrap_or_else(|| panic!("{what}: nothing mounted at {}", model_dir.display()));
    assert!(get(mount, "subPath").is_null(), "{what}: the whole volume");
    let volume = list(get(spec, "volumes"))
        .iter()
        .find(|v| get(v, "name") == get(mount, "name"))
        .expect("volume");
    assert_eq!(
        s(volume, "persistentVolumeClaim.claimName"),
        claim,
        "{what}"
    );
    let read_only = get(mount, "readOnly").as_bool() == Some(true);
    assert_eq!(
        read_only,
        binary == "server",
        "{what}: only the miner writes"
    );
}

/// A server following object storage: no claim, the cache on an emptyDir.
fn check_object_store_server(what: &str, spec: &Value, container: &Value, config: &server::Config) {
    let volumes = list(get(spec, "volumes"));
    assert!(
        volumes
            .iter()
            .all(|v| get(v, "persistentVolumeClaim").is_null()),
        "{what}: a server following object storage mounts no claim"
    );
    let cache = config
        .cache_dir
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no SEGUE_CACHE_DIR"));
    let mount = list(get(container, "volumeMounts"))
        .iter()
        .find(|m| Path::new(s(m, "mountPath")) == cache)
        .unwrap_or_else(|| panic!("{what}: nothing mounted at {}", cache.display()));
    let volume = volumes
        .iter()
        .find(|v| get(v, "name") == get(mount, "name"))
        .expect("volume");
    assert!(
        !get(volume, "emptyDir").is_null(),
        "{what}: the cache is an emptyDir"
    );
    assert!(
        get(mount, "readOnly").as_bool() != Some(true),
        "{what}: the cache is written"
    );
}

fn check_server(
    what: &str,
    docs: &[Value],
    deployment: &Value,
    pod: &Value,
    container: &Value,
    config: &server::Config,
) {
    let port = u64::from(config.listen.port());
    assert_eq!(port, 31000, "{what}: the original's port");
    let ports: Vec<u64> = list(get(container, "ports"))
        .iter()
        .map(|p| get(p, "containerPort").as_u64().expect("containerPort"))
        .collect();
    assert_eq!(ports, [port], "{what}: container ports");
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        let get_ = get(container, &format!("{probe}.httpGet"));
        assert_eq!(s(get_, "path"), path, "{what}: {probe}");
        assert_eq!(
            port_number(container, get(get_, "port")),
            port,
            "{what}: {probe}"
        );
    }
    // The drain: the pause, then SEGUE_SHUTDOWN_TIMEOUT, within the grace period.
    let pause = get(container, "lifecycle.preStop.sleep.seconds")
        .as_u64()
        .expect("preStop sleep");
    let grace = get(pod, "spec.terminationGracePeriodSeconds")
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        grace > pause + config.shutdown_timeout.as_secs(),
        "{what}: grace {grace} s <= pause {pause} s + shutdown {:?}",
        config.shutdown_timeout
    );
    // The Service reaches this port on the node port the original used.
    let labels = get(pod, "metadata.labels").as_mapping().expect("labels");
    let services: Vec<&Value> = by_kind(docs, "Service").collect();
    assert_eq!(services.len(), 1, "{what}: one Service");
    let service = services[0];
    for (k, v) in get(service, "spec.selector")
        .as_mapping()
        .expect("selector")
    {
        assert_eq!(labels.get(k), Some(v), "{what}: Service selector {k:?}");
    }
    assert_eq!(s(service, "spec.type"), "NodePort");
    let service_ports = list(get(service, "spec.ports"));
    assert_eq!(service_ports.len(), 1);
    assert_eq!(get(&service_ports[0], "nodePort").as_u64(), Some(31000));
    assert_eq!(
        port_number(container, get(&service_ports[0], "targetPort")),
        port,
        "{what}: Service targetPort"
    );
    for hpa in by_kind(docs, "HorizontalPodAutoscaler") {
        assert_eq!(
            s(hpa, "spec.scaleTargetRef.name"),
            s(deployment, "metadata.name")
        );
    }
}

/// Every container's image in every rendering is what the kustomizations say: the images as
/// the base's files name them, then each kustomization's `images:` entries from the base out
/// to the rendered directory, applied as kustomize does (an entry matches the name as the
/// kustomizations before it left it). Every entry must take effect: an entry that matches
/// nothing is how production once deployed `:latest` (the base had already renamed the image,
/// so the overlay's entry for the original name matched nothing). Outside the base, every
/// image has a tag or digest.
#[test]
fn images_follow_each_kustomization() {
    for (dir, docs) in renderings() {
        let chain = kustomization_chain(&deploy::root().join(&dir));
        let mut images: BTreeMap<String, String> = BTreeMap::new();
        for kustomization in &chain {
            // This level's own objects (its resource files and its components'), then its
            // images entries, which apply to everything at and below it.
            for file in resource_files(kustomization) {
                let text = std::fs::read_to_string(&file).expect("resource");
                let values: Vec<Value> = serde_norway::Deserializer::from_str(&text)
                    .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
                    .filter(|v: &Value| !v.is_null())
                    .collect();
                images.extend(containers(&values).map(|(k, i)| (k, i.to_owned())));
            }
            let entries = list(get(kustomization, "images"));
            for entry in entries {
                let name = s(entry, "name");
                let mut used = false;
                for image in images.values_mut() {
                    let current = image.split([':', '@']).next().expect("name").to_owned();
                    if current != name {
                        continue;
                    }
                    used = true;
                    let new_name = get(entry, "newName").as_str().unwrap_or(name);
                    *image = match (get(entry, "digest").as_str(), get(entry, "newTag").as_str()) {
                        (Some(digest), Some(tag)) => format!("{new_name}:{tag}@{digest}"),
                        (Some(digest), None) => format!("{new_name}@{digest}"),
                        (None, Some(tag)) => format!("{new_name}:{tag}"),
                        (None, None) => panic!("{dir}: images entry {name} sets no tag or digest"),
                    };
                }
                assert!(
                    used,
                    "{dir}: images entry {name} matches no container image (an earlier kustomization renamed it?)"
                );
            }
        }
        for (key, image) in containers(&docs) {
            assert_eq!(
                Some(image),
                images.get(&key).map(String::as_str),
                "{dir}: {key}: the image its kustomizations set"
            );
            if dir != "k8s/base" {
                assert!(
                    image.contains([':', '@']),
                    "{dir}: {key}: {image} has no tag or digest"
                );
            }
        }
    }
}

/// The kustomizations that make `dir`'s rendering, the innermost base first (resources that
/// are directories are bases; this repository's overlays have one each).
fn kustomization_chain(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("kustomization.yaml")).expect("kustomization.yaml");
    let this: Value = serde_norway::from_str(&text).expect("kustomization.yaml");
    let mut chain = Vec::new();
    for resource in strings(get(&this, "resources")) {
        let path = dir.join(&resource);
        if path.is_dir() {
            chain.extend(kustomization_chain(&path));
        }
    }
    let mut this = this;
    this.as_mapping_mut()
        .expect("kustomization")
        .insert("dir".into(), dir.display().to_string().into());
    chain.push(this);
    chain
}

/// The resource files (not bases) of a kustomization in the chain, and those of its
/// components.
fn resource_files(kustomization: &Value) -> Vec<std::path::PathBuf> {
    let dir = Path::new(s(kustomization, "dir"));
    let mut files: Vec<std::path::PathBuf> = strings(get(kustomization, "resources"))
        .iter()
        .map(|r| dir.join(r))
        .filter(|p| p.is_file())
        .collect();
    for component in strings(get(kustomization, "components")) {
        let path = dir.join(&component);
        let text = std::fs::read_to_string(path.join("kustomization.yaml")).expect("component");
        let mut this: Value = serde_norway::from_str(&text).expect("component");
        this.as_mapping_mut()
            .expect("component")
            .insert("dir".into(), path.display().to_string().into());
        files.extend(resource_files(&this));
    }
    files
}

/// Each workload container as ("Kind/name/container", image).
fn containers(docs: &[Value]) -> impl Iterator<Item = (String, &str)> {
    docs.iter().flat_map(|doc| {
        let pod = match s(doc, "kind") {
            "Deployment" | "Job" => get(doc, "spec.template"),
            "CronJob" => get(doc, "spec.jobTemplate.spec.template"),
            _ => &Value::Null,
        };
        list(get(pod, "spec.containers")).iter().map(move |c| {
            (
                format!(
                    "{}/{}/{}",
                    s(doc, "kind"),
                    s(doc, "metadata.name"),
                    s(c, "name")
                ),
                s(c, "image"),
            )
        })
    })
}

/// Every workload's pods are selected by one NetworkPolicy that restricts both directions: the
/// server admits its HTTP port only, a miner admits nothing, and egress is DNS alone (with
/// models in object storage: also HTTPS, and the instance metadata address on port 80).
#[test]
fn network_policies_cover_every_pod() {
    for (dir, docs) in renderings() {
        let policies: Vec<&Value> = by_kind(&docs, "NetworkPolicy").collect();
        // Whether models live in object storage here (then servers and miners reach it).
        let follows_store = by_kind(&docs, "ConfigMap").any(|c| {
            get(c, "data.SEGUE_MODEL_STORE")
                .as_str()
                .is_some_and(|url| url.contains("://") && !url.starts_with("file://"))
        });
        for doc in &docs {
            let pod = match s(doc, "kind") {
                "Deployment" | "Job" => get(doc, "spec.template"),
                "CronJob" => get(doc, "spec.jobTemplate.spec.template"),
                _ => continue,
            };
            let what = format!("{dir}: {}/{}", s(doc, "kind"), s(doc, "metadata.name"));
            let labels = get(pod, "metadata.labels");
            let selecting: Vec<&&Value> = policies
                .iter()
                .filter(|p| selects(get(p, "spec.podSelector"), labels))
                .collect();
            assert_eq!(selecting.len(), 1, "{what}: NetworkPolicies selecting it");
            let policy = selecting[0];
            let mut types = strings(get(policy, "spec.policyTypes"));
            types.sort();
            assert_eq!(types, ["Egress", "Ingress"], "{what}: policyTypes");
            let container = &list(get(pod, "spec.containers"))[0];
            let ingress = list(get(policy, "spec.ingress"));
            if s(container, "name") == "server" {
                assert_eq!(ingress.len(), 1, "{what}: one ingress rule");
                let ports: Vec<u64> = list(get(&ingress[0], "ports"))
                    .iter()
                    .map(|p| port_number(container, get(p, "port")))
                    .collect();
                let own: Vec<u64> = list(get(container, "ports"))
                    .iter()
                    .map(|p| get(p, "containerPort").as_u64().expect("containerPort"))
                    .collect();
                assert_eq!(ports, own, "{what}: ingress to the server's port only");
            } else {
                assert!(ingress.is_empty(), "{what}: a miner admits no traffic");
            }
            for rule in list(get(policy, "spec.egress")) {
                for port in list(get(rule, "ports")) {
                    match get(port, "port").as_u64() {
                        // To the cluster's DNS: the peers must select kube-dns's pods as they
                        // are labelled (kustomize adds the base's labels to selectors).
                        Some(53) => {
                            let dns = kube_dns();
                            let to = list(get(rule, "to"));
                            assert!(!to.is_empty(), "{what}: DNS to anywhere");
                            for peer in to {
                                assert!(
                                    selects(get(peer, "podSelector"), &dns.0)
                                        && selects(get(peer, "namespaceSelector"), &dns.1),
                                    "{what}: a DNS peer that kube-dns does not match: {peer:?}"
                                );
                            }
                        }
                        // The object store's endpoint, when models live there.
                        Some(443) if follows_store => {}
                        // The instance metadata address only (workload identity's tokens).
                        Some(80) if follows_store => {
                            let to = list(get(rule, "to"));
                            assert_eq!(to.len(), 1, "{what}: port 80 to one address");
                            assert_eq!(
                                s(&to[0], "ipBlock.cidr"),
                                "169.254.169.254/32",
                                "{what}: port 80 to the instance metadata address only"
                            );
                        }
                        other => panic!(
                            "{what}: egress to port {other:?}: DNS only{}",
                            if follows_store {
                                ", HTTPS and the metadata address"
                            } else {
                                ""
                            }
                        ),
                    }
                }
            }
            if follows_store {
                let https = list(get(policy, "spec.egress")).iter().any(|rule| {
                    list(get(rule, "ports"))
                        .iter()
                        .any(|p| get(p, "port").as_u64() == Some(443))
                });
                assert!(
                    https,
                    "{what}: models in object storage, but no egress to HTTPS"
                );
            }
        }
    }
}

/// The labels of kube-dns's pods and of their namespace, as clusters set them.
fn kube_dns() -> (Value, Value) {
    (
        serde_norway::from_str("k8s-app: kube-dns").expect("YAML"),
        serde_norway::from_str("kubernetes.io/metadata.name: kube-system").expect("YAML"),
    )
}

/// Whether a label selector (matchLabels, matchExpressions with In) selects `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let by_labels = get(selector, "matchLabels")
        .as_mapping()
        .is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let by_expressions = list(get(selector, "matchExpressions")).iter().all(|e| {
        assert_eq!(s(e, "operator"), "In", "only In is understood here");
        let value = labels.get(s(e, "key")).and_then(Value::as_str);
        value.is_some_and(|v| strings(get(e, "values")).iter().any(|x| x == v))
    });
    by_labels && by_expressions
}
