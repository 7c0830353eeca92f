//! The deployment files cannot drift from the binaries: every Kubernetes rendering (k8s/base
//! and each overlay, through `kubectl kustomize`) and the Dockerfile are checked against the
//! server's and the miner's clap definitions.
//!
//! A container's configuration is turned into the command line it amounts to (image ENV, then
//! envFrom ConfigMaps, then env; each SEGUE_* variable becomes the flag that reads it) and
//! parsed by the real parser, so unknown variables, flags, subcommands and bad values fail.

mod argocd;
mod dockerfile;
mod manifests;
