"""Removing what ushadow deployed for a service. Calls out.

Undeploy removes the objects labelled ``app.kubernetes.io/managed-by=ushadow`` and
``app.kubernetes.io/instance=<name>``; claims (PVCs, also those of a StatefulSet's claim
templates) are kept unless ``delete_volumes``. Claims kept by an earlier undeploy are still found
(by their labels, or by the ``<template>-<name>-<ordinal>`` name of a StatefulSet's claims), so
``undeploy --delete-volumes`` removes them once the workload is gone.
"""

from __future__ import annotations

import re
from typing import Any

from core.clusters.kube import Kube
from core.conventions import INSTANCE_LABEL as INSTANCE
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
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
    doomed = targets + ([("PersistentVolumeClaim", c) for c in claims] if delete_volumes else [])
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
    if not delete_volumes:
        note = "kept (give --delete-volumes to remove its data)"
        changes += [
            Change("PersistentVolumeClaim", str(c["metadata"]["name"]), namespace, "kept", note=note)
            for c in claims
        ]
    return changes
