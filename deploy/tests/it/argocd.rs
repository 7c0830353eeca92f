//! The Argo CD Application against the overlays.

use deploy::kube::s;
use deploy::root;
use serde_norway::Value;

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
