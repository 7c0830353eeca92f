"""Offline validation of Segue's deployment files (run by scripts/validate-deploy.sh).

- Every overlay under k8s/overlays (and k8s/base) is rendered with `kubectl kustomize`; every
  rendered object must validate against the Kubernetes JSON schemas of K8S_VERSION bundled
  with kubernetes-validate, in strict mode (unknown fields are errors). An object whose kind
  has no schema is an error too.
- argocd/application.yaml must validate against the openAPIV3Schema of the vendored Argo CD
  Application CRD, with unknown fields rejected (as the API server's strict field validation
  rejects them).

Prints what it validated; exits 1 on any invalid object.
"""

import collections
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml


def rendered(directory):
    out = subprocess.run(
        ["kubectl", "kustomize", str(directory)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def name(obj):
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def strict(schema):
    """The schema with `additionalProperties: false` wherever properties are listed and
    unknown fields are not explicitly preserved."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def validate_kubernetes(root, k8s_version):
    failures, total = 0, 0
    dirs = [root / "k8s" / "base"] + sorted(
        d for d in (root / "k8s" / "overlays").iterdir() if (d / "kustomization.yaml").is_file()
    )
    for directory in dirs:
        label = directory.relative_to(root)
        try:
            objects = rendered(directory)
        except subprocess.CalledProcessError as e:
            print(f"FAIL {label}: kubectl kustomize failed:\n{e.stderr}")
            failures += 1
            continue
        kinds = collections.Counter()
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, k8s_version, strict=True)
                kinds[obj["kind"]] += 1
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                print(f"FAIL {label}: {name(obj)}: {path}: {e.message}")
                failures += 1
            except kubernetes_validate.SchemaNotFoundError as e:
                print(f"FAIL {label}: {name(obj)}: {e.message}")
                failures += 1
        total += sum(kinds.values())
        summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        status = "ok  " if sum(kinds.values()) == len(objects) else "FAIL"
        print(f"{status} {label}: {sum(kinds.values())} of {len(objects)} objects valid ({summary})")
    return failures, total, len(dirs)


def validate_argocd(root, crd_path):
    crd = yaml.safe_load(crd_path.read_text())
    assert crd["kind"] == "CustomResourceDefinition", crd_path
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    schemas = {
        f"{group}/{v['name']}": strict(v["schema"]["openAPIV3Schema"])
        for v in crd["spec"]["versions"]
        if v.get("served")
    }
    failures, total = 0, 0
    path = root / "argocd" / "application.yaml"
    for obj in (doc for doc in yaml.safe_load_all(path.read_text()) if doc):
        total += 1
        schema = schemas.get(obj.get("apiVersion"))
        if obj.get("kind") != kind or schema is None:
            print(f"FAIL {path.relative_to(root)}: {name(obj)}: not a served {kind} version")
            failures += 1
            continue
        validator = jsonschema.Draft7Validator(schema)
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
        for e in errors:
            where = ".".join(str(p) for p in e.path)
            print(f"FAIL {path.relative_to(root)}: {name(obj)}: {where}: {e.message}")
        failures += bool(errors)
    if not failures:
        print(f"ok   {path.relative_to(root)}: {total} Application valid against {crd_path.relative_to(root)}")
    return failures, total


def main():
    root, k8s_version = Path(sys.argv[1]), sys.argv[2]
    crd = root / sys.argv[3]
    k_failures, k_total, dirs = validate_kubernetes(root, k8s_version)
    a_failures, a_total = validate_argocd(root, crd)
    failures = k_failures + a_failures
    print(
        f"deploy: {k_total} Kubernetes objects in {dirs} renderings (Kubernetes {k8s_version}, "
        f"strict) and {a_total} Argo CD Application validated; {failures} invalid"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
