"""Finding the workload a day-2 command means. Calls out.

A ``service`` is the Kubernetes name of a Deployment, StatefulSet, Job or CronJob, or a registry
service id (``<file-stem>:<service>``), found through the ``ushadow.io/service-id`` annotation of
our workloads (those labelled ``app.kubernetes.io/managed-by=ushadow``). The Jobs a CronJob starts
are its runs, not workloads of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.clusters.kube import Kube
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
from core.conventions import SERVICE_ID_ANNOTATION
from core.deploy.applying import object_path
from core.deploy.reconciling import read
from core.errors import InvalidInput, NotFound
from core.manifests.compilations import kube_name

WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")
OURS = f"{MANAGED_BY}={MANAGER_VALUE}"


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    namespace: str
    obj: dict[str, Any]

    @property
    def service_id(self) -> str | None:
        value = ((self.obj.get("metadata") or {}).get("annotations") or {}).get(SERVICE_ID_ANNOTATION)
        return str(value) if value else None

    @property
    def ours(self) -> bool:
        return ((self.obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == MANAGER_VALUE

    @property
    def path(self) -> str:
        return object_path(self.kind, self.name, self.namespace)


def list_labelled(kube: Kube, kind: str, namespace: str, selector: str) -> list[dict[str, Any]]:
    """Every ``kind`` object in ``namespace`` matching the label ``selector``."""
    return kube.list_all(
        object_path(kind, None, namespace),
        {"labelSelector": selector},
        what=f"listing {kind}s in {namespace}",
    )


def our_workloads(kube: Kube, namespace: str) -> list[Workload]:
    """Every Deployment, StatefulSet, Job and CronJob we deployed to ``namespace``, by name."""
    found = [
        Workload(kind, str(obj["metadata"]["name"]), namespace, {**obj, "kind": kind})
        for kind in WORKLOADS
        for obj in list_labelled(kube, kind, namespace, OURS)
        if not _run_of_cronjob(obj)
    ]
    return sorted(found, key=lambda w: w.name)


def find_workload(kube: Kube, namespace: str, service: str) -> Workload:
    """The workload a day-2 command means: a Kubernetes name or a registry service id."""
    service = service.strip()
    if not service:
        raise InvalidInput("name a service: its Kubernetes name or its SERVICE_ID")
    if ":" in service:
        ours = our_workloads(kube, namespace)
        for w in ours:
            sid = w.service_id
            if sid and (sid == service or service.endswith("/" + sid)):
                return w
        name = kube_name(service.split(":", 1)[1])
        for w in ours:
            if w.name == name:
                return w
        raise NotFound(
            f"no workload of {service} in namespace {namespace}",
            hint=_known(ours) or "it is not deployed there: `ushadow-ops deploy` it first",
        )
    for kind in WORKLOADS:
        obj = read(kube, object_path(kind, service, namespace), f"reading {kind} {service}")
        if obj is not None:
            return Workload(kind, service, namespace, {**obj, "kind": kind})
    raise NotFound(
        f"no Deployment or StatefulSet {service!r} (nor a Job or CronJob of that name) in namespace {namespace}",
        hint=_known(our_workloads(kube, namespace))
        or "`ushadow-ops status CLUSTER -n NS` lists what is deployed",
    )


def _run_of_cronjob(obj: dict[str, Any]) -> bool:
    owners = (obj.get("metadata") or {}).get("ownerReferences") or ()
    return any(o.get("kind") == "CronJob" for o in owners)


def _known(ours: list[Workload]) -> str | None:
    return f"deployed there: {', '.join(w.name for w in ours)}" if ours else None
