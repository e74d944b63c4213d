"""The fleet view: a row per registry service, a column per cluster/namespace where ushadow deployed
it (pure: built from stored records, with live readings laid over it when there are some).

A cell is drawn from the last applied deployment record alone (its image and replicas, when and by
whom), so 50 clusters x 40 services render without waiting on any cluster; a live reading (ready
and desired replicas, the running image) refines it, and a cluster that did not answer marks its
cells ``unreachable`` instead of holding the view up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from core.settings import who
from core.store.hosts import Host
from core.store.records import Cluster, Deployment

Owner = Cluster | Host  # what a target's column is on: a cluster, or a Docker host


@dataclass(frozen=True)
class Live:
    """One workload as a cluster read found it."""

    ready: int
    desired: int
    images: tuple[str, ...]
    reason: str | None = None  # why a pod is not ready (ImagePullBackOff, CrashLoopBackOff...)


def recorded_shape(record: Deployment) -> tuple[list[str], int | None]:
    """(images, replicas) of the workload a record's manifests hold (a Docker host's record holds
    one ``ComposeService``: the containers' config and how many)."""
    for doc in yaml.safe_load_all(record.manifests or ""):
        if isinstance(doc, dict) and doc.get("kind") == "ComposeService":
            replicas = doc.get("replicas")
            return [str(doc.get("image"))], int(replicas) if isinstance(replicas, int) else None
        if isinstance(doc, dict) and doc.get("kind") in ("Deployment", "StatefulSet"):
            spec = doc.get("spec") or {}
            pod = (spec.get("template") or {}).get("spec") or {}
            images = [str(c.get("image")) for c in pod.get("containers") or ()]
            replicas = spec.get("replicas")
            return images, int(replicas) if isinstance(replicas, int) else None
    return [], None


def tag_of(image: str) -> str:
    """``nginx:1.27`` -> ``1.27``; an untagged image is ``latest``; a digest is kept short."""
    if "@" in image:
        return image.split("@", 1)[1][:19]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def owner_id(owner: Owner) -> str:
    return owner.host_id if isinstance(owner, Host) else owner.cluster_id


def target(owner: Owner, namespace: str) -> str:
    """``cluster/namespace``, or ``host/compose project`` for a Docker host."""
    return f"{owner.name}/{namespace}"


def latest_per_target(records: Iterable[Deployment]) -> dict[tuple[str, str, str], Deployment]:
    """(cluster id, namespace, service id) -> the newest applied record (records newest first). A
    failed deploy that applied something (a rollout that never got ready) counts: its workload is
    there, failing; one that applied nothing does not."""
    out: dict[tuple[str, str, str], Deployment] = {}
    for r in records:
        if r.dry_run or (r.status == "failed" and not r.resources):
            continue
        out.setdefault((r.cluster_id, r.namespace, r.service_id), r)
    return out


def cell(record: Deployment, live: Live | None, reachable: bool | None) -> dict[str, Any]:
    """One service on one target: recorded, and live when read."""
    images, replicas = recorded_shape(record)
    out: dict[str, Any] = {
        "name": record.name,
        "image": images[0] if images else None,
        "tag": tag_of(images[0]) if images else None,
        "deployment_id": record.deployment_id,
        "deployed_at": record.to_json()["created_at"],
        "deployed_by": who(record.created_by),  # as every page and the CLI write it
        "status": record.status,
        "ready": None,
        "desired": replicas,
        "drift": "unknown",
        "health": "unknown",
    }
    if reachable is False:
        out["health"] = "unreachable"
        return out
    if reachable is None:
        return out
    if live is None:
        if replicas == 0:  # scaled to nothing (a Docker host keeps no container then)
            out.update(ready=0, health="stopped", drift="none")
            return out
        out.update(health="failed" if record.status == "failed" else "missing", drift="missing")
        return out
    out.update(ready=live.ready, desired=live.desired)
    running = [i for i in live.images if i]
    if running:
        out["image"], out["tag"] = running[0], tag_of(running[0])
    out["drift"] = "image" if running and images and sorted(running) != sorted(images) else "none"
    if replicas is not None and live.desired != replicas and out["drift"] == "none":
        out["drift"] = "replicas"
    out["health"] = health(live)
    return out


def health(live: Live) -> str:
    """``ready``, ``stopped``, ``failing: REASON`` (a pod's reason to not be ready) or ``degraded``."""
    if live.desired == 0:
        return "stopped"
    if live.ready >= live.desired:
        return "ready"
    return f"failing: {live.reason}" if live.reason else "degraded"


def matches(owner: Owner, labels: Mapping[str, str]) -> bool:
    return all(owner.labels.get(k) == v for k, v in labels.items())


def fleet(
    service_ids: Sequence[str],
    clusters: Sequence[Owner],
    records: Iterable[Deployment],
    *,
    live: Mapping[tuple[str, str, str], Live] | None = None,
    reachable: Mapping[str, bool] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``{"targets": [...], "services": [{"service_id", "cells": {target: cell}}]}``.

    ``clusters`` may hold Docker hosts too (a column per compose project). ``live`` is keyed by
    (cluster or host id, namespace, workload name); ``reachable`` by that id (one missing from it
    was not read: its cells come from the records alone).
    """
    chosen = {owner_id(c): c for c in clusters if matches(c, labels or {})}
    latest = {k: r for k, r in latest_per_target(records).items() if k[0] in chosen}
    targets = sorted({(k[0], k[1]) for k in latest}, key=lambda t: target(chosen[t[0]], t[1]))
    ids = list(dict.fromkeys([*service_ids, *sorted({k[2] for k in latest})]))
    rows = []
    for sid in ids:
        cells = {}
        for cid, ns in targets:
            record = latest.get((cid, ns, sid))
            if record is None:
                continue
            read_ok = (reachable or {}).get(cid)
            found = (live or {}).get((cid, ns, record.name))
            cells[target(chosen[cid], ns)] = cell(record, found, read_ok)
        rows.append({"service_id": sid, "registry": sid in service_ids, "cells": cells})
    return {
        "targets": [
            {
                "cluster": chosen[c].name,
                "cluster_id": c,
                "kind": "docker" if isinstance(chosen[c], Host) else "cluster",
                "namespace": ns,
                "target": target(chosen[c], ns),
                "reachable": (reachable or {}).get(c),
            }
            for c, ns in targets
        ],
        "services": rows,
    }
