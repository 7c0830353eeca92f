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

                // The model directory is the volume, mounted where SEGUE_MODEL_DIR says
                // (read-only for the server).
                let mount = list(get(container, "volumeMounts"))
                    .iter()
                    .find(|m| Path::new(s(m, "mountPath")) == parsed.model_dir)
                    .unwrap_or_else(|| {
                        panic!("{what}: nothing mounted at {}", parsed.model_dir.display())
                    });
                assert!(get(mount, "subPath").is_null(), "{what}: the whole volume");
                let volume = list(get(spec, "volumes"))
                    .iter()
                    .find(|v| get(v, "name") == get(mount, "name"))
                    .expect("volume");
                assert_eq!(
                    s(volume, "persistentVolumeClaim.claimName"),
                    claims[0],
                    "{what}"
                );
                let read_only = get(mount, "readOnly").as_bool() == Some(true);
                assert_eq!(
                    read_only,
                    binary == "server",
                    "{what}: only the miner writes"
                );
                model_dirs.push(parsed.model_dir.clone());

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
