"""Server-side apply of plain-dict manifests, with a field manager and optional dry run.

Objects are sent as they are (no client-side models), to the path their kind lives at. Kinds we
produce are listed in ``KINDS``; anything else is refused with a clear message rather than guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput
from core.kube import Kube

FIELD_MANAGER = "ushadow"
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


@dataclass(frozen=True)
class Applied:
    kind: str
    name: str
    namespace: str | None
    action: str  # created, configured, unchanged
    object: dict[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


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


def _live(kube: Kube, path: str) -> dict[str, Any] | None:
    from core.errors import NotFound

    try:
        found: dict[str, Any] = kube.get_json(path)
        return found
    except NotFound:
        return None


def apply(
    kube: Kube,
    obj: dict[str, Any],
    *,
    namespace: str | None = None,
    dry_run: bool = False,
    field_manager: str = FIELD_MANAGER,
    force: bool = True,
) -> Applied:
    """Server-side apply one object; report whether it was created, changed or left as it was."""
    kind = str(obj.get("kind"))
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise InvalidInput(f"a {kind} manifest has no metadata.name")
    _prefix, _plural, namespaced = KINDS.get(kind, ("", "", True))
    ns = (meta.get("namespace") or namespace) if namespaced else None
    if namespaced and ns and meta.get("namespace") != ns:
        obj = {**obj, "metadata": {**meta, "namespace": ns}}
    path = object_path(kind, name, ns)
    before = _live(kube, path)
    query = {"fieldManager": field_manager, "force": "true" if force else "false"}
    if dry_run:
        query["dryRun"] = "All"
    after = kube.request_json(
        "PATCH",
        path,
        query=query,
        body=json.dumps(obj),
        content_type=APPLY_PATCH,
        what=f"applying {kind} {name}" + (f" in {ns}" if ns else ""),
    )
    if before is None:
        action = "created"
    elif _spec_of(before) == _spec_of(after):
        action = "unchanged"
    else:
        action = "configured"
    return Applied(kind, name, ns, action, after)


def _spec_of(obj: dict[str, Any]) -> Any:
    """What counts as a change: everything but status and server-managed metadata."""
    meta = dict(obj.get("metadata") or {})
    for key in ("resourceVersion", "managedFields", "generation", "creationTimestamp", "uid"):
        meta.pop(key, None)
    return {k: v for k, v in obj.items() if k not in ("status", "metadata")} | {"metadata": meta}


def delete(
    kube: Kube, kind: str, name: str, namespace: str | None, *, propagation: str = "Background"
) -> bool:
    """Delete one object; False when it was already gone."""
    from core.errors import NotFound

    body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
    try:
        kube.request_json(
            "DELETE", object_path(kind, name, namespace), body=body, what=f"deleting {kind} {name}"
        )
    except NotFound:
        return False
    return True
