"""Removing what ushadow deployed for a service. Calls out.

Undeploy removes the objects labelled ``app.kubernetes.io/managed-by=ushadow`` and
``app.kubernetes.io/instance=<name>``; claims (PVCs, also those of a StatefulSet's claim
templates) are kept unless ``delete_volumes``. Claims kept by an earlier undeploy are still found
(by their labels, or by the ``<template>-<name>-<ordinal>`` name of a StatefulSet's claims), so
``undeploy --delete-volumes`` removes them once the workload is gone. A claim several services of
one file share (``ushadow.io/shared-by``) is found for each of them, and kept, even with
``delete_volumes``, while a workload of another of ours still mounts it ("kept: used by ...").
"""

from __future__ import annotations

import re
from typing import Any

from core.clusters.kube import Kube
from core.conventions import INSTANCE_LABEL as INSTANCE
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
from core.conventions import SERVICE_ID_ANNOTATION, SHARED_BY_ANNOTATION
from core.deploy.applying import object_path
from core.deploy.changes import Change
from core.deploy.reconciling import check_access, resource_of, send
from core.errors import Forbidden, NotFound
from core.manifests.compilations import kube_name
from core.operate.finding import OURS, WORKLOADS, Workload, find_workload, list_labelled

# What undeploy removes, in order (workloads first, so their pods stop before their config goes).
UNDEPLOY_KINDS = (
    "Deployment", "StatefulSet", "CronJob", "Job", "Service", "NetworkPolicy", "ConfigMap", "Secret"
)  # fmt: skip


def _claims(kube: Kube, namespace: str, name: str, workloads: list[Workload]) -> list[dict[str, Any]]:
    """Our PVCs, and those made from our StatefulSets' claim templates (``<tpl>-<sts>-<n>``)."""
    prefixes = [
        f"{(t.get('metadata') or {}).get('name')}-{w.name}-"
        for w in workloads
        if w.kind == "StatefulSet"
        for t in (w.obj.get("spec") or {}).get("volumeClaimTemplates") or ()
    ]
    template_claim = re.compile(rf"^[a-z0-9][a-z0-9.-]*-{re.escape(name)}-[0-9]+$")
    found = list_labelled(kube, "PersistentVolumeClaim", namespace, f"{INSTANCE}={name}")
    out = []
    for pvc in found:
        meta = pvc.get("metadata") or {}
        labels = meta.get("labels") or {}
        claim = str(meta.get("name"))
        if (
            labels.get(MANAGED_BY) == MANAGER_VALUE
            or any(claim.startswith(p) for p in prefixes)
            or (not workloads and template_claim.match(claim))
        ):
            out.append(pvc)
    return out


def _shared_claims(kube: Kube, namespace: str, name: str) -> list[dict[str, Any]]:
    """Our claims shared by services of one file, one of which is ``name`` (its Kubernetes name)."""
    out = []
    for pvc in list_labelled(kube, "PersistentVolumeClaim", namespace, OURS):
        sharers = str(((pvc.get("metadata") or {}).get("annotations") or {}).get(SHARED_BY_ANNOTATION) or "")
        if any(kube_name(s.split(":", 1)[-1]) == name for s in sharers.split(",") if s):
            out.append(pvc)
    return out


def _claim_users(kube: Kube, namespace: str, leaving: set[str]) -> dict[str, list[str]]:
    """claim name -> the service ids of our other workloads (not in ``leaving``) that mount it."""
    users: dict[str, list[str]] = {}
    for kind in WORKLOADS:
        for obj in list_labelled(kube, kind, namespace, OURS):
            meta = obj.get("metadata") or {}
            if f"{kind}/{meta.get('name')}" in leaving:
                continue
            body = obj.get("spec") or {}
            body = ((body.get("jobTemplate") or {}).get("spec") or body) if kind == "CronJob" else body
            pod = (body.get("template") or {}).get("spec") or {}
            sid = str((meta.get("annotations") or {}).get(SERVICE_ID_ANNOTATION) or meta.get("name"))
            for volume in pod.get("volumes") or ():
                claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
                if claim and sid not in users.get(claim, []):
                    users.setdefault(claim, []).append(sid)
    return users


def _with_shared(
    kube: Kube,
    namespace: str,
    name: str,
    claims: list[dict[str, Any]],
    targets: list[tuple[str, dict[str, Any]]],
) -> dict[str, list[str]]:
    """Add to ``claims`` those ``name`` shares with services of its file; claim -> the services whose
    workloads (other than ``targets``) still mount it."""
    found = {str(c["metadata"]["name"]) for c in claims}
    claims += [c for c in _shared_claims(kube, namespace, name) if str(c["metadata"]["name"]) not in found]
    if not any(SHARED_BY_ANNOTATION in (c["metadata"].get("annotations") or {}) for c in claims):
        return {}
    users = _claim_users(kube, namespace, {f"{kind}/{obj['metadata']['name']}" for kind, obj in targets})
    return {
        str(c["metadata"]["name"]): users[c["metadata"]["name"]]
        for c in claims
        if users.get(c["metadata"]["name"])
    }


def undeploy(kube: Kube, namespace: str, service: str, *, delete_volumes: bool = False) -> list[Change]:
    """Delete what we created for a service; claims are ``kept`` unless ``delete_volumes``."""
    missing: NotFound | None = None
    guess = kube_name(service.split(":", 1)[1]) if ":" in service else service
    try:
        name = find_workload(kube, namespace, service).name
    except NotFound as exc:
        # the workload may be gone already (undeployed with its volumes kept); its claims may not
        missing, name = exc, guess
    except Forbidden:
        # a credential that cannot even read the workload is told below everything it lacks
        name = guess
    selector = f"{OURS},{INSTANCE}={name}"
    try:
        targets: list[tuple[str, dict[str, Any]]] = [
            (kind, obj) for kind in UNDEPLOY_KINDS for obj in list_labelled(kube, kind, namespace, selector)
        ]
        workloads = [
            Workload(k, str(o["metadata"]["name"]), namespace, o) for k, o in targets if k in WORKLOADS
        ]
        claims = _claims(kube, namespace, name, workloads)
        in_use = _with_shared(kube, namespace, name, claims, targets)
    except Forbidden:  # name everything the credential lacks to undeploy, not just this listing
        claims_kind = ("PersistentVolumeClaim",)
        listed = [("list", *resource_of(k)) for k in (*UNDEPLOY_KINDS, *claims_kind)]
        doomed_kinds = (*UNDEPLOY_KINDS, *(claims_kind if delete_volumes else ()))
        check_access(kube, namespace, listed + [("delete", *resource_of(k)) for k in doomed_kinds])
        raise
    if not targets and not claims:
        raise NotFound(
            f"nothing of {service!r} deployed by ushadow in namespace {namespace}",
            hint=missing.hint if missing else None,
        )
    free = [c for c in claims if str(c["metadata"]["name"]) not in in_use]
    doomed = targets + ([("PersistentVolumeClaim", c) for c in free] if delete_volumes else [])
    check_access(kube, namespace, [("delete", *resource_of(kind)) for kind, _ in doomed])
    changes: list[Change] = []
    for kind, obj in doomed:
        obj_name = str(obj["metadata"]["name"])
        try:
            send(
                kube,
                "DELETE",
                object_path(kind, obj_name, namespace),
                kind=None,  # the object, or a Status
                body={"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"},
                what=f"deleting {kind} {obj_name} in {namespace}",
            )
        except NotFound:
            continue
        changes.append(Change(kind, obj_name, namespace, "deleted"))
    for claim in claims:
        claim_name = str(claim["metadata"]["name"])
        if claim_name in in_use:
            note = f"kept: used by {', '.join(sorted(in_use[claim_name]))}"
        elif delete_volumes:
            continue
        else:
            note = "kept (give --delete-volumes to remove its data)"
        changes.append(Change("PersistentVolumeClaim", claim_name, namespace, "kept", note=note))
    return changes
