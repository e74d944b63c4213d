"""The live YAML of what runs for a deployed service: its workload and the objects we made beside it,
as the API server has them, with ``managedFields`` folded away and Secret values masked. Calls out.
"""

from __future__ import annotations

from typing import Any

from core.clusters.kube import Kube
from core.conventions import INSTANCE_LABEL
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
from core.deploy.applying import object_path
from core.manifests.yamldocs import to_yaml
from core.operate.finding import find_workload
from core.secrets.masking import redact

KINDS = ("ConfigMap", "Secret", "Service", "PersistentVolumeClaim")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def fold(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without ``managedFields`` (one line naming the managers instead)."""
    meta = dict(obj.get("metadata") or {})
    managers = sorted({str(m.get("manager")) for m in meta.pop("managedFields", None) or ()})
    if managers:
        meta["managedFields"] = f"(folded: {', '.join(managers)})"
    annotations = dict(meta.get("annotations") or {})
    if LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = "(folded)"
        meta["annotations"] = annotations
    return {**obj, "metadata": meta}


def live_objects(kube: Kube, namespace: str, service: str) -> list[dict[str, Any]]:
    """The workload, then every ConfigMap, Secret, Service and claim we made for it."""
    w = find_workload(kube, namespace, service)
    out = [{"apiVersion": "apps/v1", **w.obj, "kind": w.kind}]
    selector = f"{MANAGED_BY}={MANAGER_VALUE},{INSTANCE_LABEL}={w.name}"
    for kind in KINDS:
        items = kube.list_all(
            object_path(kind, None, namespace),
            {"labelSelector": selector},
            what=f"listing {kind}s of {w.name}",
        )
        out += [
            {"apiVersion": "v1", **item, "kind": kind}
            for item in sorted(items, key=lambda i: i["metadata"]["name"])
        ]
    return list(redact([fold(o) for o in out]))  # Secret values masked, and hunted down elsewhere


def live_yaml(kube: Kube, namespace: str, service: str) -> str:
    return to_yaml(live_objects(kube, namespace, service))
