"""Drift of a deployed service, two kinds. Calls out.

*Cluster drift*: someone changed what we manage. The recorded manifests of the last deploy are sent
again as a server-side apply **dry run** under our field manager; every field the dry run would
change is drift (a ``kubectl edit`` of an env value or of the replicas). A record holds no Secret
values, so a Secret is judged by the pod template's ``ushadow.io/env-hash`` (a digest of the
ConfigMap and Secret data): a live digest that differs while the ConfigMap did not means the
Secret's values were changed. Secret values are never shown.

*Source drift*: the compose file, or the scan it is wired to, now renders something other than what
was deployed: image, env keys, ports, probes and resources of each container, and the Service's
ports (``core.operate.rendering`` re-renders).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from core.clusters.apishapes import AppliedObject
from core.clusters.kube import Kube
from core.conventions import ENV_HASH_ANNOTATION, FIELD_MANAGER
from core.deploy.applying import object_path
from core.deploy.reconciling import read
from core.errors import NotFound
from core.naming import short_hash
from core.secrets.sensitivity import MASK, is_sensitive
from core.store.records import Deployment

WORKLOAD_KINDS = ("Deployment", "StatefulSet")
_SERVER_FIELDS = {"resourceVersion", "managedFields", "generation", "creationTimestamp", "uid", "selfLink"}


@dataclass(frozen=True)
class Drift:
    field: str
    deployed: Any
    live: Any
    would_render: Any
    kind: str  # cluster or source

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "deployed": self.deployed,
            "live": self.live,
            "would_render": self.would_render,
            "kind": self.kind,
        }


def recorded_objects(record: Deployment) -> list[dict[str, Any]]:
    """The manifests a deployment record keeps (Secret values masked), namespace set."""
    docs = [d for d in yaml.safe_load_all(record.manifests or "") if isinstance(d, dict)]
    for doc in docs:
        doc.setdefault("metadata", {})["namespace"] = record.namespace
    return [d for d in docs if d.get("kind") != "Namespace"]


# -- diffing ----------------------------------------------------------------------------------------


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    return {k: v for k, v in obj.items() if k not in ("status", "metadata")} | {"metadata": meta}


def _named(items: list[Any]) -> dict[str, Any] | None:
    """A list of objects with unique ``name`` keys (containers, env, ports) keyed by name."""
    names = [i.get("name") for i in items if isinstance(i, dict)]
    if len(names) != len(items) or None in names or len(set(names)) != len(names):
        return None
    return {str(i["name"]): i for i in items}


def diff(before: Any, after: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(path, before, after) of every leaf that differs; named lists are compared by name."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            text = str(key)
            path = f"{prefix}[{text}]" if any(c in text for c in "./ ") else f"{prefix}.{text}".lstrip(".")
            out += diff(before.get(key), after.get(key), path)
        return out
    if isinstance(before, list) and isinstance(after, list):
        named_before, named_after = _named(before), _named(after)
        if named_before is not None and named_after is not None:
            out = []
            for key in sorted(set(named_before) | set(named_after)):
                out += diff(named_before.get(key), named_after.get(key), f"{prefix}[{key}]")
            return out
    return [(prefix, before, after)]


def _mask(path: str, value: Any, *, secret: bool) -> Any:
    """A value as it may be shown: anything of a Secret, and sensitive env values, masked."""
    if value is None:
        return None
    if secret:
        return MASK
    if ".env[" in path and path.endswith(".value"):
        name = path.rsplit(".env[", 1)[1].split("]", 1)[0]
        if is_sensitive(name, str(value)):
            return MASK
    if isinstance(value, str) and MASK in value:
        return MASK
    return value


# -- cluster drift ----------------------------------------------------------------------------------


def _dry_run(kube: Kube, obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return kube.send(
        "PATCH",
        object_path(str(obj["kind"]), meta["name"], meta.get("namespace")),
        kind=str(obj["kind"]),
        shape=AppliedObject,
        query={"fieldManager": FIELD_MANAGER, "force": "true", "dryRun": "All"},
        body=json.dumps(obj),
        content_type="application/apply-patch+yaml",
        what=f"checking {obj['kind']} {meta['name']} for drift (dry run)",
    )


def env_digest(kube: Kube, objects: Sequence[Mapping[str, Any]], namespace: str) -> str | None:
    """The ``env-hash`` the live ConfigMap and Secret of a recorded deploy would have (None when
    one of them is gone)."""
    data = []
    for obj in objects:
        if obj.get("kind") not in ("ConfigMap", "Secret"):
            continue
        name = obj["metadata"]["name"]
        live = read(kube, object_path(str(obj["kind"]), name, namespace), f"reading {obj['kind']} {name}")
        if live is None:
            return None
        data.append(live.get("data"))
    return short_hash(json.dumps(data, sort_keys=True), 16)


def _template_hash(obj: Mapping[str, Any] | None) -> str | None:
    meta = (((obj or {}).get("spec") or {}).get("template") or {}).get("metadata") or {}
    value = (meta.get("annotations") or {}).get(ENV_HASH_ANNOTATION)
    return str(value) if value else None


def _secret_drift(kube: Kube, obj: Mapping[str, Any], ref: str) -> list[Drift]:
    """Keys added or removed by hand (by name), and changed values (by the env digest)."""
    name = obj["metadata"]["name"]
    live = read(kube, object_path("Secret", name, obj["metadata"]["namespace"]), f"reading Secret {name}")
    if live is None:
        return [Drift(ref, "present", None, None, "cluster")]
    recorded = set(obj.get("stringData") or {}) | set(obj.get("data") or {})
    now = set(live.get("data") or {})
    if recorded != now:
        return [Drift(f"{ref} keys", sorted(recorded), sorted(now), None, "cluster")]
    return []


def cluster_drift(kube: Kube, objects: Sequence[Mapping[str, Any]]) -> list[Drift]:
    """What a dry-run apply of the recorded ``objects`` would change in the cluster."""
    out: list[Drift] = []
    env_objects = [o for o in objects if o.get("kind") in ("ConfigMap", "Secret")]
    config_drifted = False
    workload: Mapping[str, Any] | None = None
    for obj in objects:
        kind, name, ns = str(obj["kind"]), obj["metadata"]["name"], obj["metadata"]["namespace"]
        ref = f"{kind}/{name}"
        if kind in WORKLOAD_KINDS:
            workload = obj
        if kind == "Secret":
            out += _secret_drift(kube, obj, ref)
            continue
        live = read(kube, object_path(kind, name, ns), f"reading {kind} {name}")
        if live is None:
            out.append(Drift(ref, "present", None, None, "cluster"))
            continue
        after = _dry_run(kube, obj)
        for path, now, wanted in diff(_comparable(live), _comparable(after)):
            deployed = _mask(path, wanted, secret=False)
            if deployed == MASK and isinstance(wanted, str) and MASK in wanted:
                continue  # the record masked a secret value here: nothing to judge by
            out.append(Drift(f"{ref} {path}", deployed, _mask(path, now, secret=False), None, "cluster"))
            config_drifted = config_drifted or kind == "ConfigMap"
    recorded_hash = _template_hash(workload)
    secrets = [o for o in env_objects if o.get("kind") == "Secret"]
    if secrets and recorded_hash and not config_drifted and not any("keys" in d.field for d in out):
        live_hash = env_digest(kube, env_objects, str(objects[0]["metadata"]["namespace"]))
        if live_hash is not None and live_hash != recorded_hash:
            ref = f"Secret/{secrets[0]['metadata']['name']} data"
            out.append(Drift(ref, f"{MASK} (env-hash {recorded_hash})", f"{MASK} (changed)", None, "cluster"))
    return out


def latest_record(records: Sequence[Deployment], namespace: str, service: str) -> Deployment | None:
    """The newest applied (not dry-run, not failed) record of ``service`` (name or id) in ``namespace``."""
    for record in records:  # newest first
        if record.namespace != namespace or record.dry_run or record.status == "failed":
            continue
        if service in (record.name, record.service_id):
            return record
    return None


def require_record(records: Sequence[Deployment], namespace: str, service: str) -> Deployment:
    found = latest_record(records, namespace, service)
    if found is None:
        raise NotFound(
            f"no recorded deploy of {service} in namespace {namespace}",
            hint="`ushadow-ops deployments CLUSTER` lists what was deployed; drift compares with those",
        )
    return found
