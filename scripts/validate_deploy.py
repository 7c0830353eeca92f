"""Offline validation of Segue's deployment files (run by scripts/validate-deploy.sh).

- Every overlay under k8s/overlays (and k8s/base) is rendered with `kubectl kustomize`; every
  rendered object must validate against the Kubernetes JSON schemas of K8S_VERSION bundled
  with kubernetes-validate, in strict mode (unknown fields are errors). An object whose kind
  has no schema is an error too.
- Objects of the Kubeflow spark-operator (sparkoperator.k8s.io/v1beta2: ScheduledSparkApplication,
  SparkApplication) have no bundled Kubernetes schema: they validate against the operator's
  API models in kubeflow-spark-api (pinned in scripts/setup.sh), types by pydantic and unknown
  fields rejected by walking the models' declared fields.
- argocd/application.yaml must validate against the openAPIV3Schema of the vendored Argo CD
  Application CRD, with unknown fields rejected (as the API server's strict field validation
  rejects them).

Prints what it validated; exits 1 on any invalid object.
"""

import collections
import subprocess
import sys
from pathlib import Path

import typing

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


SPARK_KINDS = {
    ("sparkoperator.k8s.io/v1beta2", "ScheduledSparkApplication"): "SparkV1beta2ScheduledSparkApplication",
    ("sparkoperator.k8s.io/v1beta2", "SparkApplication"): "SparkV1beta2SparkApplication",
}


def unknown_fields(obj, cls, path=""):
    """Paths of the fields of `obj` that the pydantic model `cls` does not declare (by alias),
    recursively through nested models, lists and maps of models."""
    import pydantic

    if not (isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)) or not isinstance(obj, dict):
        return []
    by_alias = {(f.alias or n): f.annotation for n, f in cls.model_fields.items()}
    errors = []
    for key, value in obj.items():
        where = f"{path}.{key}" if path else key
        if key not in by_alias:
            errors.append(f"{where}: unknown field")
            continue
        errors += unknown_in(value, by_alias[key], where)
    return errors


def unknown_in(value, annotation, path):
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        return next((e for e in (unknown_in(value, a, path) for a in args if a is not type(None))), [])
    if origin in (list, typing.List) and isinstance(value, list):
        return [e for i, v in enumerate(value) for e in unknown_in(v, args[0], f"{path}[{i}]")]
    if origin in (dict, typing.Dict) and isinstance(value, dict) and len(args) == 2:
        return [e for k, v in value.items() for e in unknown_in(v, args[1], f"{path}.{k}")]
    return unknown_fields(value, annotation, path)


def validate_spark(obj):
    """Errors of a spark-operator object against kubeflow-spark-api's models."""
    import kubeflow_spark_api.models as models
    import pydantic

    cls = getattr(models, SPARK_KINDS[(obj.get("apiVersion"), obj.get("kind"))])
    errors = unknown_fields(obj, cls)
    try:
        cls.from_dict(obj)
    except pydantic.ValidationError as e:
        errors += [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()]
    return errors


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
            if (obj.get("apiVersion"), obj.get("kind")) in SPARK_KINDS:
                errors = validate_spark(obj)
                for e in errors:
                    print(f"FAIL {label}: {name(obj)}: {e}")
                failures += bool(errors)
                kinds[obj["kind"]] += not errors
                continue
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
