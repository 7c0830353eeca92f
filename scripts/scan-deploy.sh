#!/usr/bin/env bash
# Scans the production rendering (`kubectl kustomize k8s/overlays/production`) with checkov,
# pinned in scripts/setup.sh, and fails on any finding that k8s/checkov-skips.yaml does not
# list with its reason, or on a listed skip that no longer matches a finding. Part of
# scripts/test.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

OVERLAY="${1:-k8s/overlays/production}"
command -v kubectl >/dev/null || { echo "scan-deploy: kubectl (with kustomize) is required" >&2; exit 1; }
scripts/setup.sh checkov
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
kubectl kustomize "$OVERLAY" >"$WORK/rendered.yaml"
# --skip-download: no Prisma Cloud look-ups (no internet here; the checks are bundled).
.tools/checkov-venv/bin/checkov -f "$WORK/rendered.yaml" --framework kubernetes --skip-download \
  --quiet --output json >"$WORK/checkov.json" 2>"$WORK/checkov.err" || true
.tools/checkov-venv/bin/python - "$WORK/checkov.json" k8s/checkov-skips.yaml "$OVERLAY" <<'PY' ||
import json, sys, yaml
report, skips_path, overlay = sys.argv[1:]
try:
    data = json.load(open(report))
except ValueError:
    sys.exit("scan-deploy: checkov produced no report")
results = data["results"]
skips = yaml.safe_load(open(skips_path))
allowed = {(s["check"], r): s["reason"] for s in skips for r in s["resources"]}
found = {(f["check_id"], f["resource"]): f["check_name"] for f in results["failed_checks"]}
new = sorted(set(found) - set(allowed))
stale = sorted(set(allowed) - set(found))
print(f"scan-deploy: checkov on {overlay}: {data['summary']['passed']} passed, "
      f"{len(found)} failed, of which {len(found) - len(new)} explained in {skips_path}")
for key in sorted(set(found) & set(allowed)):
    print(f"  skip {key[0]} {key[1]}: {found[key]}")
for key in new:
    print(f"  NEW FINDING {key[0]} {key[1]}: {found[key]} (fix it, or explain it in {skips_path})")
for key in stale:
    print(f"  STALE SKIP {key[0]} {key[1]}: no longer found; remove it from {skips_path}")
sys.exit(1 if new or stale else 0)
PY
  { tail -n 5 "$WORK/checkov.err" >&2; exit 1; }
