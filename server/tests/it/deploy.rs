//! The deployment files cannot drift from the binaries: every Kubernetes rendering (k8s/base
//! and each overlay, through `kubectl kustomize`) and the Dockerfile are checked against the
//! server's and the miner's clap definitions.
//!
//! A container's configuration is turned into the command line it amounts to (image ENV, then
//! envFrom ConfigMaps, then env; each SEGUE_* variable becomes the flag that reads it) and
//! parsed by the real parser, so unknown variables, flags, subcommands and bad values fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{ArgAction, Parser};
use serde::Deserialize;
use serde_norway::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// k8s/base and every overlay, rendered.
fn renderings() -> Vec<(String, Vec<Value>)> {
    let mut dirs = vec!["k8s/base".to_owned()];
    let mut overlays: Vec<String> = std::fs::read_dir(root().join("k8s/overlays"))
        .expect("k8s/overlays")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("kustomization.yaml").is_file())
        .map(|p| format!("k8s/overlays/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    overlays.sort();
    assert!(overlays.len() >= 2, "overlays: {overlays:?}");
    dirs.extend(overlays);
    dirs.into_iter()
        .map(|dir| {
            let out = Command::new("kubectl")
                .args(["kustomize", &dir])
                .current_dir(root())
                .output()
                .expect("kubectl (with kustomize) must be on PATH for the deployment tests");
            assert!(
                out.status.success(),
                "kubectl kustomize {dir}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).expect("utf-8");
            let docs = serde_norway::Deserializer::from_str(&text)
                .map(|d| Value::deserialize(d).expect("yaml"))
                .filter(|v| !v.is_null())
                .collect();
            (dir, docs)
        })
        .collect()
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    get(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} is not a string"))
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .try_fold(v, |v, key| match key.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(key),
        })
        .unwrap_or(&Value::Null)
}

fn list(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or(&[])
}

fn by_kind<'a>(docs: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    docs.iter().filter(move |d| s(d, "kind") == kind)
}

/// One stage of the Dockerfile: its name and instructions (keyword, rest of the line).
#[derive(Debug)]
struct Stage {
    name: String,
    instructions: Vec<(String, String)>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.instructions
            .iter()
            .filter(move |(k, _)| k == keyword)
            .map(|(_, rest)| rest.as_str())
    }

    fn one<'a>(&'a self, keyword: &'a str) -> &'a str {
        let found: Vec<&str> = self.all(keyword).collect();
        assert_eq!(found.len(), 1, "stage {}: one {keyword}", self.name);
        found[0]
    }

    /// ENV lines (`K=V` pairs; no quoting in our Dockerfile).
    fn env(&self) -> Vec<(String, String)> {
        self.all("ENV")
            .flat_map(|rest| rest.split_whitespace())
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("ENV K=V");
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn json_list(&self, keyword: &str) -> Vec<String> {
        serde_json::from_str(self.one(keyword))
            .unwrap_or_else(|e| panic!("stage {}: {keyword} as a JSON list: {e}", self.name))
    }
}

fn dockerfile() -> Vec<Stage> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let mut stages: Vec<Stage> = Vec::new();
    let mut line = String::new();
    for raw in text.lines() {
        let raw = raw.trim();
        if raw.starts_with('#') || (raw.is_empty() && line.is_empty()) {
            continue;
        }
        if let Some(part) = raw.strip_suffix('\\') {
            line.push_str(part);
            line.push(' ');
            continue;
        }
        line.push_str(raw);
        let full = std::mem::take(&mut line);
        let Some((keyword, rest)) = full.trim().split_once(char::is_whitespace) else {
            continue;
        };
        let (keyword, rest) = (keyword.to_ascii_uppercase(), rest.trim().to_owned());
        if keyword == "FROM" {
            let name = rest
                .split_once(" AS ")
                .map(|(_, n)| n.trim().to_owned())
                .unwrap_or_default();
            stages.push(Stage {
                name,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push((keyword, rest));
        }
    }
    stages
}

fn stage<'a>(stages: &'a [Stage], name: &str) -> &'a Stage {
    stages
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("Dockerfile has no stage {name}"))
}

/// `*` within a path segment, `**` across segments, `?` one character (Docker's rules).
fn glob(pattern: &[u8], path: &[u8]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(b'*'), _) if pattern.get(1) == Some(&b'*') => {
            let rest = pattern[2..].strip_prefix(b"/").unwrap_or(&pattern[2..]);
            (0..=path.len()).any(|i| glob(rest, &path[i..]))
        }
        (Some(b'*'), _) => {
            glob(&pattern[1..], path)
                || (path.first().is_some_and(|&c| c != b'/') && glob(pattern, &path[1..]))
        }
        (Some(b'?'), Some(&c)) if c != b'/' => glob(&pattern[1..], &path[1..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[1..], &path[1..]),
        _ => false,
    }
}

/// Whether .dockerignore keeps `path` (relative, `/`-separated) out of the build context: the
/// last pattern that matches the path or one of its parent directories decides.
fn docker_ignored(path: &str) -> bool {
    let text = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    let mut ignored = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keep, pattern) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line),
        };
        let pattern = pattern.trim_matches('/');
        let mut prefix = String::new();
        let matched = path.split('/').any(|segment| {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            glob(pattern.as_bytes(), prefix.as_bytes())
        });
        if matched {
            ignored = !keep;
        }
    }
    ignored
}

fn is_truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

/// The command line a container amounts to: `binary args...` followed by one flag per SEGUE_*
/// variable (image ENV, overridden by envFrom ConfigMaps, overridden by env); panics on a
/// variable that the binary (or the subcommand it runs) does not read.
fn argv(binary: &str, args: &[String], env: &[(String, String)], what: &str) -> Vec<String> {
    let mut command = match binary {
        "server" => server::Config::command(),
        "miner" => miner::cli::command(),
        other => panic!("{what}: unknown binary {other}"),
    };
    command.build();
    let sub = args
        .first()
        .and_then(|a| command.find_subcommand(a))
        .cloned();
    let mut by_env: BTreeMap<String, clap::Arg> = BTreeMap::new();
    for arg in command
        .get_arguments()
        .chain(sub.iter().flat_map(|s| s.get_arguments()))
    {
        if let Some(name) = arg.get_env() {
            by_env.insert(name.to_string_lossy().into_owned(), arg.clone());
        }
    }
    let mut effective: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in env {
        effective.insert(k, v);
    }
    let mut out = vec![binary.to_owned()];
    out.extend(args.iter().cloned());
    for (name, value) in effective {
        assert!(
            name.starts_with("SEGUE_"),
            "{what}: {name} is not a SEGUE_* variable"
        );
        let scope = sub
            .as_ref()
            .map_or(binary.to_owned(), |s| format!("{binary} {}", s.get_name()));
        let arg = by_env
            .get(name)
            .unwrap_or_else(|| panic!("{what}: `{scope}` reads no {name}"));
        let long = format!("--{}", arg.get_long().expect("a long flag"));
        if args
            .iter()
            .any(|a| a == &long || a.starts_with(&format!("{long}=")))
        {
            continue; // a flag on the command line wins over the variable
        }
        match arg.get_action() {
            ArgAction::SetTrue if is_truthy(value) => out.push(long),
            ArgAction::SetTrue => {}
            _ => out.push(format!("{long}={value}")),
        }
    }
    out
}

/// What the deployment checks need from one parsed container.
struct Parsed {
    model_dir: PathBuf,
    server: Option<server::Config>,
}

fn parse(binary: &str, argv: &[String], what: &str) -> Parsed {
    match binary {
        "server" => {
            let config = server::Config::try_parse_from(argv)
                .unwrap_or_else(|e| panic!("{what}: {argv:?}: {e}"));
            Parsed {
                model_dir: config.model_dir.clone(),
                server: Some(config),
            }
        }
        _ => {
            let cli = miner::cli::Cli::try_parse_from(argv)
                .unwrap_or_else(|e| panic!("{what}: {argv:?}: {e}"));
            let model_dir = match cli.command {
                miner::cli::Command::Run(a) => a.settings.out,
                miner::cli::Command::Mine(a) => a.settings.out,
                other => panic!("{what}: the miner runs {other:?}, expected run or mine"),
            };
            Parsed {
                model_dir,
                server: None,
            }
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    list(v)
        .iter()
        .map(|a| a.as_str().expect("string").to_owned())
        .collect()
}

/// A probe's or Service's port (a name or a number) as a number of `container`.
fn port_number(container: &Value, port: &Value) -> u64 {
    match port {
        Value::Number(n) => n.as_u64().expect("port"),
        Value::String(name) => list(get(container, "ports"))
            .iter()
            .find(|p| get(p, "name").as_str() == Some(name))
            .and_then(|p| get(p, "containerPort").as_u64())
            .unwrap_or_else(|| panic!("no container port named {name}")),
        other => panic!("port {other:?}"),
    }
}

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
        assert!(
            server_pods == 1 && model_dirs.len() == 3,
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

#[test]
fn dockerfile_matches_the_repository_and_the_binaries() {
    let stages = dockerfile();
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    for (i, stage) in stages.iter().enumerate() {
        for copy in stage.all("COPY") {
            let words: Vec<&str> = copy.split_whitespace().collect();
            let (flags, paths): (Vec<&str>, Vec<&str>) =
                words.iter().partition(|w| w.starts_with("--"));
            assert!(paths.len() >= 2, "COPY {copy}");
            if let Some(from) = flags.iter().find_map(|f| f.strip_prefix("--from=")) {
                assert!(
                    names[..i].contains(&from),
                    "COPY --from={from}: not an earlier stage"
                );
                continue;
            }
            for source in &paths[..paths.len() - 1] {
                assert!(
                    root().join(source).exists(),
                    "COPY {source}: not in the repository"
                );
                assert!(
                    !docker_ignored(source),
                    "COPY {source}: excluded by .dockerignore"
                );
            }
        }
    }
    for binary in ["server", "miner"] {
        let stage = stage(&stages, binary);
        let user = stage.one("USER");
        let uid: u32 = user
            .split(':')
            .next()
            .and_then(|u| u.parse().ok())
            .unwrap_or_else(|| panic!("{binary}: USER {user} is not numeric"));
        assert_ne!(uid, 0, "{binary}: USER is root");
        let entrypoint = stage.json_list("ENTRYPOINT");
        let path = format!("/usr/local/bin/{binary}");
        assert_eq!(
            entrypoint,
            std::slice::from_ref(&path),
            "{binary}: ENTRYPOINT"
        );
        let copy = format!("--from=build /src/target/release/{binary} {path}");
        assert!(
            stage.all("COPY").any(|c| c == copy),
            "{binary}: COPY {copy}"
        );
        // The image alone (ENV + CMD) is a valid configuration.
        let args = if binary == "miner" {
            stage.json_list("CMD")
        } else {
            Vec::new()
        };
        let argv = argv(binary, &args, &stage.env(), &format!("Dockerfile {binary}"));
        let parsed = parse(binary, &argv, &format!("Dockerfile {binary}"));
        if let Some(config) = parsed.server {
            assert_eq!(
                stage.one("EXPOSE"),
                config.listen.port().to_string(),
                "EXPOSE"
            );
            let web = stage
                .all("COPY")
                .find_map(|c| c.strip_prefix("--from=web /src/dist "))
                .expect("the page is copied");
            assert_eq!(config.web_dir, Path::new(web), "SEGUE_WEB_DIR");
        }
    }
}

#[test]
fn dockerignore_matching() {
    for (path, ignored) in [
        ("Cargo.toml", false),
        ("scripts/setup.sh", false),
        ("scripts/test.sh", true),
        ("server/src/main.rs", false),
        ("server/target/debug/x", true),
        ("engine/fuzz/Cargo.toml", true),
        ("target/release/server", true),
        (".git/HEAD", true),
    ] {
        assert_eq!(docker_ignored(path), ignored, "{path}");
    }
}

#[test]
fn argocd_application_points_at_an_overlay() {
    let text = std::fs::read_to_string(root().join("argocd/application.yaml")).expect("reads");
    let app: Value = serde_norway::from_str(&text).expect("yaml");
    let path = s(&app, "spec.source.path");
    assert!(
        root().join(path).join("kustomization.yaml").is_file(),
        "spec.source.path {path}"
    );
    let base = std::fs::read_to_string(root().join("k8s/base/kustomization.yaml")).expect("reads");
    let base: Value = serde_norway::from_str(&base).expect("yaml");
    assert_eq!(s(&app, "spec.destination.namespace"), s(&base, "namespace"));
}
