#!/usr/bin/env bash
# Validates the deployment files offline (no cluster, no Docker): renders k8s/base and every
# overlay with `kubectl kustomize`, validates every object against the Kubernetes JSON schemas
# of K8S_VERSION (kubernetes-validate, strict), and argocd/application.yaml against the vendored
# Argo CD Application CRD schema. Non-zero on any invalid object. scripts/test.sh runs it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# The newest Kubernetes whose schemas kubernetes-validate (pinned in scripts/setup.sh) bundles.
K8S_VERSION=1.37.0
ARGOCD_CRD=argocd/schema/application-crd-v3.5.1.yaml

command -v kubectl >/dev/null || { echo "validate-deploy: kubectl (with kustomize) is required" >&2; exit 1; }
scripts/setup.sh deploy
exec .tools/deploy-venv/bin/python scripts/validate_deploy.py "$ROOT" "$K8S_VERSION" "$ARGOCD_CRD"
