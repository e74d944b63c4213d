"""The Kubernetes events of a deployed workload, its ReplicaSets, its pods and their claims.
Calls out.

One list of the namespace's events (``/api/v1/namespaces/NS/events``) is filtered to the objects
that make up the workload, so a failing deploy's ``ImagePullBackOff`` or ``FailedScheduling`` is
one command away. Warnings come first, then the most recent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.clusters.kube import Kube
from core.deploy.watching import list_pods, selector_text
from core.operate.finding import Workload, find_workload

EVENT_COLUMNS = ("type", "reason", "object", "count", "last_seen", "message")


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    kind: str
    name: str
    count: int
    last_seen: str | None  # RFC 3339, as the API server gives it
    message: str

    @property
    def object(self) -> str:
        return f"{self.kind}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "reason": self.reason,
            "object": self.object,
            "kind": self.kind,
            "name": self.name,
            "count": self.count,
            "last_seen": self.last_seen,
            "message": self.message,
        }


def related_objects(kube: Kube, w: Workload) -> set[tuple[str, str]]:
    """(kind, name) of the workload, its ReplicaSets, its pods and the claims its pods use."""
    found = {(w.kind, w.name)}
    selector = selector_text(w.obj)
    if not selector:
        return found
    if w.kind == "Deployment":
        path = f"/apis/apps/v1/namespaces/{w.namespace}/replicasets"
        query = {"labelSelector": selector}
        for rs in kube.list_all(path, query, what=f"listing the ReplicaSets of {w.name}"):
            owners = (rs.get("metadata") or {}).get("ownerReferences") or ()
            if any(o.get("kind") == "Deployment" and o.get("name") == w.name for o in owners):
                found.add(("ReplicaSet", str(rs["metadata"]["name"])))
    for pod in list_pods(kube, w.namespace, selector):
        found.add(("Pod", str(pod["metadata"]["name"])))
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                found.add(("PersistentVolumeClaim", str(claim)))
    for template in (w.obj.get("spec") or {}).get("volumeClaimTemplates") or ():
        prefix = f"{(template.get('metadata') or {}).get('name')}-{w.name}-"
        found.add(("PersistentVolumeClaim", prefix))  # matched as a prefix below
    return found


def _last_seen(event: dict[str, Any]) -> str | None:
    series = event.get("series") or {}
    return (
        series.get("lastObservedTime")
        or event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or (event.get("metadata") or {}).get("creationTimestamp")
    )


def _count(event: dict[str, Any]) -> int:
    series = event.get("series") or {}
    return int(series.get("count") or event.get("count") or 1)


def _matches(kind: str, name: str, wanted: set[tuple[str, str]]) -> bool:
    if (kind, name) in wanted:
        return True
    return kind == "PersistentVolumeClaim" and any(
        k == kind and w.endswith("-") and name.startswith(w) for k, w in wanted
    )


def sort_events(events: list[Event]) -> list[Event]:
    """Warnings first, then the most recently seen."""
    recent = sorted(events, key=lambda e: e.last_seen or "", reverse=True)
    return sorted(recent, key=lambda e: e.type != "Warning")


def workload_events(kube: Kube, namespace: str, service: str) -> tuple[Workload, list[Event]]:
    """The workload ``service`` means, and the events of it and of what belongs to it."""
    w = find_workload(kube, namespace, service)
    wanted = related_objects(kube, w)
    items = kube.list_all(f"/api/v1/namespaces/{namespace}/events", what=f"listing events in {namespace}")
    out: list[Event] = []
    for item in items:
        involved = item.get("involvedObject") or item.get("regarding") or {}
        kind, name = str(involved.get("kind") or ""), str(involved.get("name") or "")
        if not _matches(kind, name, wanted):
            continue
        out.append(
            Event(
                type=str(item.get("type") or "Normal"),
                reason=str(item.get("reason") or ""),
                kind=kind,
                name=name,
                count=_count(item),
                last_seen=_last_seen(item),
                message=str(item.get("message") or item.get("note") or "").strip(),
            )
        )
    return w, sort_events(out)
