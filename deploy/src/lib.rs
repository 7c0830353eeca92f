//! Test support for the checks of the deployment files (`Dockerfile`, `k8s/`, `argocd/`)
//! against the binaries they run: the kustomize renderings as YAML values, the Dockerfile's
//! stages, `.dockerignore` matching, and a container's configuration turned into the command
//! line it amounts to and parsed by the server's and the miner's real clap definitions.
//!
//! The checks themselves are this crate's integration tests (`tests/it/`). Helpers panic
//! with a message that names the file and field, as test helpers do.

pub mod cli;
pub mod docker;
pub mod kube;

use std::path::{Path, PathBuf};

/// The workspace's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}
