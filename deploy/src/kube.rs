//! The Kubernetes renderings (`kubectl kustomize` of k8s/base and every overlay) as YAML
//! values, and small accessors for them.

use std::process::Command;

use serde::Deserialize;
use serde_norway::Value;

use crate::root;

/// k8s/base and every overlay, rendered.
pub fn renderings() -> Vec<(String, Vec<Value>)> {
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

/// The string at `path` (dot-separated keys and indexes); panics if it is not one.
pub fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    get(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} is not a string"))
}

/// The value at `path` (dot-separated keys and indexes), `Null` if absent.
pub fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .try_fold(v, |v, key| match key.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(key),
        })
        .unwrap_or(&Value::Null)
}

/// A sequence's items (none if `v` is not a sequence).
pub fn list(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or(&[])
}

/// The documents of one `kind`.
pub fn by_kind<'a>(docs: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    docs.iter().filter(move |d| s(d, "kind") == kind)
}

/// A sequence of strings.
pub fn strings(v: &Value) -> Vec<String> {
    list(v)
        .iter()
        .map(|a| a.as_str().expect("string").to_owned())
        .collect()
}

/// A probe's or Service's port (a name or a number) as a number of `container`.
pub fn port_number(container: &Value, port: &Value) -> u64 {
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
