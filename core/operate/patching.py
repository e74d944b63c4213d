"""Imperative changes to a deployed workload: rollout restart and scale. Calls out.

Both use the field manager ``ushadow-ops`` (as ``kubectl rollout restart`` and ``kubectl scale``
use their own), so a later deploy keeps a hand-set replica count (see ``core.deploy.deploying``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.clusters.apishapes import AppliedObject
from core.clusters.kube import Kube
from core.conventions import OPS_MANAGER
from core.deploy.reconciling import send
from core.errors import InvalidInput
from core.operate.finding import Workload, find_workload

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def restart(kube: Kube, namespace: str, service: str, *, now: datetime | None = None) -> Workload:
    """``kubectl rollout restart``: a new pod-template annotation, so every pod is replaced."""
    w = _running(find_workload(kube, namespace, service), "restart")
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    obj = send(
        kube,
        "PATCH",
        w.path,
        kind=w.kind,
        shape=AppliedObject,
        body=patch,
        content_type="application/strategic-merge-patch+json",
        query={"fieldManager": OPS_MANAGER},
        what=f"restarting {w.kind} {w.name} in {namespace}",
    )
    return Workload(w.kind, w.name, namespace, {**obj, "kind": w.kind})


def _running(w: Workload, verb: str) -> Workload:
    """``w``, unless it is a Job or CronJob, which runs to completion and has no replicas to ``verb``."""
    if w.kind in ("Job", "CronJob"):
        raise InvalidInput(
            f"{w.kind} {w.name} runs to completion: there is nothing to {verb}",
            hint="deploy it again to run it again (`ushadow-ops deploy`), or undeploy it",
        )
    return w


def scale(kube: Kube, namespace: str, service: str, replicas: int) -> tuple[Workload, int]:
    """Set the replica count through the scale subresource; returns the workload and the old count."""
    if replicas < 0:
        raise InvalidInput(f"replicas must be 0 or more, not {replicas}")
    w = _running(find_workload(kube, namespace, service), "scale")
    before = int((w.obj.get("spec") or {}).get("replicas") or 0)
    send(
        kube,
        "PATCH",
        f"{w.path}/scale",
        kind="Scale",
        body={"spec": {"replicas": replicas}},
        content_type="application/merge-patch+json",
        query={"fieldManager": OPS_MANAGER},
        what=f"scaling {w.kind} {w.name} in {namespace}",
    )
    obj = kube.get_json(w.path, what=f"reading {w.kind} {w.name}")
    return Workload(w.kind, w.name, namespace, {**obj, "kind": w.kind}), before
