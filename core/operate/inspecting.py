"""Looking at a deployed workload without changing it: its rollout and pods, and its pods' logs.
Calls out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.clusters.kube import Kube
from core.deploy.jobstates import newest, owned_by
from core.deploy.reconciling import require_namespace
from core.deploy.rollouts import PodSummary, RolloutStatus, pod_summary, rollout_status
from core.deploy.watching import list_pods, read_log, selector_text
from core.errors import InvalidInput, NotFound
from core.operate.finding import Workload, find_workload, list_labelled, our_workloads

# -- status -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadStatus:
    workload: Workload
    rollout: RolloutStatus
    pods: list[PodSummary]

    def to_json(self) -> dict[str, Any]:
        w, r = self.workload, self.rollout
        return {
            "kind": w.kind,
            "name": w.name,
            "namespace": w.namespace,
            "service_id": w.service_id,
            "desired": r.desired,
            "ready": r.ready,
            "updated": r.updated,
            "available": r.available,
            "rolled_out": r.done,
            "images": sorted({i for p in self.pods for i in p.images}),
            "pods": [p.to_json() for p in self.pods],
            **({"job": r.job.to_json()} if r.job is not None else {}),
        }


def status(
    kube: Kube, namespace: str, service: str | None = None, *, now: datetime | None = None
) -> list[WorkloadStatus]:
    """Desired and ready replicas and the pods of one workload, or of all we deployed."""
    now = now or datetime.now(UTC)
    workloads = [find_workload(kube, namespace, service)] if service else our_workloads(kube, namespace)
    if not workloads:
        require_namespace(kube, namespace)
    out: list[WorkloadStatus] = []
    for w in workloads:
        selector = selector_text(w.obj)
        pods = list_pods(kube, namespace, selector) if selector else []
        summaries = sorted((pod_summary(p, now=now) for p in pods), key=lambda p: p.name)
        out.append(WorkloadStatus(w, rollout_status(w.obj), summaries))
    return out


# -- logs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodLog:
    pod: str
    container: str
    previous: bool
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "container": self.container, "previous": self.previous, "text": self.text}


def logs(
    kube: Kube,
    namespace: str,
    service: str,
    *,
    tail: int | None = 100,
    container: str | None = None,
    previous: bool = False,
    pod: str | None = None,
    timestamps: bool = False,
) -> list[PodLog]:
    """The last ``tail`` lines of each pod of the workload (or of one ``pod``); of a Job, its newest
    pod's; of a CronJob, the newest pod of its newest Job."""
    if tail is not None and tail < 0:
        raise InvalidInput("--tail must be 0 or more lines")
    w = find_workload(kube, namespace, service)
    pods = _pods_of(kube, w)
    if pod is not None:
        pods = [p for p in pods if p["metadata"]["name"] == pod]
        if not pods:
            raise NotFound(f"pod {pod!r} is not one of {w.name}'s pods")
    if not pods:
        raise NotFound(f"{w.kind} {w.name} has no pods", hint="is it scaled to 0?")
    out: list[PodLog] = []
    for p in sorted(pods, key=lambda p: str(p["metadata"]["name"])):
        name = str(p["metadata"]["name"])
        names = [str(c.get("name")) for c in (p.get("spec") or {}).get("containers") or ()]
        chosen = container or names[0]
        if chosen not in names:
            raise InvalidInput(
                f"pod {name} has no container {chosen!r}", hint=f"its containers: {', '.join(names)}"
            )
        if previous and not _restarted(p, chosen):
            raise InvalidInput(
                f"container {chosen} of pod {name} has not restarted: there is no previous log",
                hint="leave out --previous to see the running container's log",
            )
        query: dict[str, str] = {"container": chosen}
        if tail is not None:
            query["tailLines"] = str(tail)
        if previous:
            query["previous"] = "true"
        if timestamps:
            query["timestamps"] = "true"
        text = read_log(kube, f"/api/v1/namespaces/{namespace}/pods/{name}/log", query)
        out.append(PodLog(name, chosen, previous, text))
    return out


def _pods_of(kube: Kube, w: Workload) -> list[dict[str, Any]]:
    """The pods whose logs ``logs`` reads (see there)."""
    if w.kind == "CronJob":
        jobs = owned_by(list_labelled(kube, "Job", w.namespace, ""), w.obj)
        job = newest(jobs)
        if job is None:
            raise NotFound(
                f"CronJob {w.name} has not run yet: no Job, so no log",
                hint=f"its schedule is {(w.obj.get('spec') or {}).get('schedule')!r}",
            )
        pods = list_pods(kube, w.namespace, selector_text(job))
    else:
        pods = list_pods(kube, w.namespace, selector_text(w.obj))
    if w.kind in ("Job", "CronJob"):
        last = newest(pods)
        return [dict(last)] if last is not None else []
    return pods


def _restarted(pod: dict[str, Any], container: str) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return any(c.get("name") == container and (c.get("restartCount") or 0) > 0 for c in statuses)
