"""Envmaps: ConfigMap ``<svc>-config`` and Secret ``<svc>-secrets`` holding exactly a given environment,
split by sensitivity, and the live state a deploy keeps (replicas scaled by hand, env objects no
longer needed). Calls out (reads before writing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.clusters.kube import Kube
from core.clusters.registering import validate_namespace
from core.conventions import ANNOTATION_PREFIX, LABEL_PREFIX
from core.conventions import INSTANCE_LABEL as INSTANCE
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
from core.deploy.changes import Change, owns
from core.deploy.reconciling import apply_all, read_for_writing
from core.errors import InvalidInput
from core.manifests.volumes import b64
from core.naming import is_config_key, is_dns_label
from core.secrets.sensitivity import split_environment

WORKLOAD_KINDS = ("Deployment", "StatefulSet")


@dataclass(frozen=True)
class EnvmapResult:
    name: str
    namespace: str
    changes: list[Change]
    config_keys: list[str]
    secret_keys: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "config_keys": self.config_keys,
            "secret_keys": self.secret_keys,
            "resources": [c.to_json() for c in self.changes],
        }


def _our_meta(name: str, namespace: str, instance: str, live: Mapping[str, Any] | None) -> dict[str, Any]:
    """Metadata for an env object: ours, plus the labels and annotations it already has (so that an
    apply by the same field manager does not strip what the deploy put there)."""
    live_meta = (live or {}).get("metadata") or {}
    labels = {k: v for k, v in (live_meta.get("labels") or {}).items() if k.startswith(LABEL_PREFIX)}
    labels.update({MANAGED_BY: MANAGER_VALUE, INSTANCE: instance})
    annotations = {
        k: v for k, v in (live_meta.get("annotations") or {}).items() if k.startswith(ANNOTATION_PREFIX)
    }
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def env_objects(
    name: str, namespace: str, env: Mapping[str, str], *, live: Mapping[str, dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """ConfigMap ``<name>-config`` and Secret ``<name>-secrets`` for ``env``; an empty one only
    when it exists already (its keys must go)."""
    bad = [k for k in env if not is_config_key(k)]
    if bad:
        raise InvalidInput(
            f"not valid ConfigMap/Secret keys: {', '.join(bad)}", hint="use letters, digits, '-', '_' and '.'"
        )
    split = split_environment(env)
    config_name, secret_name = f"{name}-config", f"{name}-secrets"
    out: list[dict[str, Any]] = []
    if split.config or live.get(config_name) is not None:
        meta = _our_meta(config_name, namespace, name, live.get(config_name))
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": dict(split.config)})
    if split.secret or live.get(secret_name) is not None:
        meta = _our_meta(secret_name, namespace, name, live.get(secret_name))
        data = {k: b64(v) for k, v in split.secret.items()}
        out.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": data})
    return out


def write_envmap(
    kube: Kube, namespace: str, name: str, env: Mapping[str, str], *, dry_run: bool = False
) -> EnvmapResult:
    """Write ``<name>-config`` and ``<name>-secrets`` to hold exactly ``env``, split by sensitivity."""
    namespace = validate_namespace(namespace)
    if not is_dns_label(name):
        raise InvalidInput(
            f"{name!r} is not a service's Kubernetes name",
            hint="lowercase letters, digits and '-', starting and ending with a letter or digit, at most "
            "63 characters (`ushadow-ops status` lists the names)",
        )
    live = {
        n: read_for_writing(kube, namespace, kind, n, ["ConfigMap", "Secret"])
        for kind, n in (("ConfigMap", f"{name}-config"), ("Secret", f"{name}-secrets"))
    }
    objects = env_objects(name, namespace, env, live=live)
    changes = apply_all(kube, objects, namespace, dry_run=dry_run)
    split = split_environment(env)
    return EnvmapResult(name, namespace, changes, sorted(split.config), sorted(split.secret))


@dataclass
class Prepared:
    objects: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def prepare_objects(kube: Kube, objects: Sequence[Mapping[str, Any]], name: str, namespace: str) -> Prepared:
    """The compiled objects adjusted to the live state: live replica counts kept where someone
    scaled, and our env ConfigMap/Secret emptied when the service no longer has one."""
    out: list[dict[str, Any]] = [dict(o) for o in objects]
    kinds = [str(o["kind"]) for o in out] + ["ConfigMap", "Secret"]
    notes: list[str] = []
    present = {(o["kind"], o["metadata"]["name"]) for o in out}
    extra: list[dict[str, Any]] = []
    for kind, obj_name in (("ConfigMap", f"{name}-config"), ("Secret", f"{name}-secrets")):
        if (kind, obj_name) in present:
            continue
        live = read_for_writing(kube, namespace, kind, obj_name, kinds)
        labels = ((live or {}).get("metadata") or {}).get("labels") or {}
        if live is not None and labels.get(MANAGED_BY) == MANAGER_VALUE and labels.get(INSTANCE) == name:
            emptied: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": _our_meta(obj_name, namespace, name, live),
                "data": {},
            }
            if kind == "Secret":
                emptied["type"] = live.get("type") or "Opaque"
            extra.append(emptied)
            notes.append(f"{kind} {obj_name} is no longer needed: its keys are removed")
    for index, obj in enumerate(out):
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        live = read_for_writing(kube, namespace, obj["kind"], obj["metadata"]["name"], kinds)
        if live is not None and not owns(live, "spec", "replicas"):
            spec = {k: v for k, v in obj["spec"].items() if k != "replicas"}
            out[index] = {**obj, "spec": spec}
            count = (live.get("spec") or {}).get("replicas")
            notes.append(f"replicas kept at {count}: the {obj['kind']} was scaled outside the compose file")
    return Prepared(extra + out, notes)
