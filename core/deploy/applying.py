"""Server-side apply of plain-dict manifests, with a field manager and optional dry run.

Objects are sent as they are (no client-side models), to the path their kind lives at. Kinds we
produce are listed in ``KINDS``; anything else is refused with a clear message rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.clusters.apishapes import AppliedObject
from core.clusters.kube import Kube
from core.conventions import FIELD_MANAGER
from core.deploy.changes import Change, changed_paths
from core.errors import InvalidInput, NotFound

APPLY_PATCH = "application/apply-patch+yaml"

# kind -> (API prefix, plural, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("/api/v1", "namespaces", False),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Secret": ("/api/v1", "secrets", True),
    "Service": ("/api/v1", "services", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "Pod": ("/api/v1", "pods", True),
    "Endpoints": ("/api/v1", "endpoints", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
    "DaemonSet": ("/apis/apps/v1", "daemonsets", True),
    "Job": ("/apis/batch/v1", "jobs", True),
    "CronJob": ("/apis/batch/v1", "cronjobs", True),
    "Ingress": ("/apis/networking.k8s.io/v1", "ingresses", True),
    "NetworkPolicy": ("/apis/networking.k8s.io/v1", "networkpolicies", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "EndpointSlice": ("/apis/discovery.k8s.io/v1", "endpointslices", True),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
}


def object_path(kind: str, name: str | None, namespace: str | None) -> str:
    try:
        prefix, plural, namespaced = KINDS[kind]
    except KeyError as exc:
        raise InvalidInput(
            f"kind {kind!r} is not one ushadow-ops applies", hint=f"known: {', '.join(KINDS)}"
        ) from exc
    base = f"{prefix}/namespaces/{namespace}/{plural}" if namespaced else f"{prefix}/{plural}"
    if namespaced and not namespace:
        raise InvalidInput(f"{kind} {name!r} needs a namespace")
    return f"{base}/{name}" if name else base


def apply_object(
    kube: Kube, obj: Mapping[str, Any], *, live: Mapping[str, Any] | None, dry_run: bool, force: bool = True
) -> tuple[Change, dict[str, Any]]:
    """Server-side apply one object (its namespace set); the change against ``live``, and the result."""
    kind = str(obj["kind"])
    meta = obj["metadata"]
    path = object_path(kind, meta["name"], meta.get("namespace"))
    query = {"fieldManager": FIELD_MANAGER, "force": "true" if force else "false"}
    if dry_run:
        query["dryRun"] = "All"
    where = f" in {meta['namespace']}" if meta.get("namespace") else ""
    after = kube.send(
        "PATCH",
        path,
        kind=kind,
        shape=AppliedObject,
        query=query,
        body=json.dumps(obj),
        content_type=APPLY_PATCH,
        what=f"applying {kind} {meta['name']}{where}",
    )
    paths = tuple(changed_paths(live, after)) if live is not None else ()
    action = "created" if live is None else ("configured" if paths else "unchanged")
    return Change(kind, meta["name"], meta.get("namespace"), action, paths), after


def apply(
    kube: Kube, obj: Mapping[str, Any], *, namespace: str | None = None, dry_run: bool = False
) -> Change:
    """Read the live object, then server-side apply ``obj`` (in ``namespace`` when it has none)."""
    kind = str(obj.get("kind"))
    meta = dict(obj.get("metadata") or {})
    if not meta.get("name"):
        raise InvalidInput(f"a {kind} manifest has no metadata.name")
    namespaced = KINDS.get(kind, ("", "", True))[2]
    if namespaced and not meta.get("namespace") and namespace:
        obj = {**obj, "metadata": {**meta, "namespace": namespace}}
        meta = dict(obj["metadata"])
    try:
        live: dict[str, Any] | None = kube.get_json(object_path(kind, meta["name"], meta.get("namespace")))
    except NotFound:
        live = None
    change, _after = apply_object(kube, obj, live=live, dry_run=dry_run)
    return change


def delete(
    kube: Kube, kind: str, name: str, namespace: str | None, *, propagation: str = "Background"
) -> bool:
    """Delete one object; False when it was already gone."""
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
    try:
        kube.send(
            "DELETE", object_path(kind, name, namespace), kind=None, body=body, what=f"deleting {kind} {name}"
        )
    except NotFound:
        return False
    return True
