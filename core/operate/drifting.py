"""``drift`` for a stored cluster: each deployed service's last record against the cluster (a
dry-run apply) and against its compose file and scan (a re-render). Calls out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.clusters.sessions import named
from core.deploy.applying import object_path
from core.deploy.reconciling import read
from core.errors import NotFound, UshadowError
from core.operate.drift import Drift, cluster_drift, latest_record, recorded_objects, require_record
from core.operate.driftenv import env_drift
from core.operate.finding import our_workloads
from core.operate.operating import Operator
from core.operate.rendering import facets, rendered_objects, source_drift
from core.store.records import Deployment


@dataclass
class ServiceDrift:
    cluster: str
    namespace: str
    name: str
    service_id: str
    deployment_id: str
    fields: list[Drift] = field(default_factory=list)
    source_error: str | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "namespace": self.namespace,
            "service": self.name,
            "service_id": self.service_id,
            "deployment_id": self.deployment_id,
            "drifted": self.drifted,
            "cluster_drift": sum(1 for f in self.fields if f.kind == "cluster"),
            "source_drift": sum(1 for f in self.fields if f.kind == "source"),
            "source_error": self.source_error,
            "fields": [f.to_json() for f in self.fields],
        }


def _live(ops: Operator, objects: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for obj in objects:
        kind, name, ns = str(obj["kind"]), obj["metadata"]["name"], obj["metadata"]["namespace"]
        if kind in ("Secret", "ConfigMap", "Service", "Deployment", "StatefulSet"):
            live = read(ops.kube, object_path(kind, name, ns), f"reading {kind} {name}")
            if live is not None:
                found.append({**live, "kind": kind})
    return found


COMPARED_LIVE = (".image", ".env", ".ports", " ports")


def _facet_drift(
    objects: Sequence[dict[str, Any]], live: Sequence[dict[str, Any]], found: list[Drift]
) -> list[Drift]:
    """Image, env keys and ports that differ from the record in ways a dry-run apply does not show
    (an env variable or a port another field manager added)."""
    before, now = facets(objects), facets(live)
    out = []
    for key in sorted(before):
        if not key.endswith(COMPARED_LIVE) or before[key] == now.get(key):
            continue
        ref, _, attr = key.partition(" ")
        if any(d.field == ref or (d.field.startswith(ref + " ") and attr in d.field) for d in found):
            continue  # the dry run named it already
        out.append(Drift(key, before[key], now.get(key), None, "cluster"))
    return out


def check_service(ops: Operator, record: Deployment, dirs: Sequence[Path]) -> ServiceDrift:
    """Cluster and source drift of one recorded deploy."""
    objects = recorded_objects(record)
    out = ServiceDrift(
        ops.cluster.name, record.namespace, record.name, record.service_id, record.deployment_id
    )
    with named(ops.cluster.name):
        out.fields += cluster_drift(ops.kube, objects)
        live = _live(ops, objects)
    out.fields += _facet_drift(objects, live, out.fields)
    out.fields += env_drift(objects, live, out.fields)
    scan = ops.store.wiring_scan(ops.cluster.cluster_id, record.namespace)
    try:
        rendered = rendered_objects(dirs, record.service_id, record.namespace, scan, objects)
    except UshadowError as exc:
        out.source_error = exc.message
        return out
    out.fields += source_drift(objects, rendered, live)
    return out


def drift(
    ops: Operator, service: str | None, namespace: str | None, dirs: Sequence[Path]
) -> list[ServiceDrift]:
    """Drift of one service, or of every service ushadow deployed that still runs."""
    records = ops.store.list_deployments(ops.cluster.cluster_id, limit=1000)
    if service:
        ns = ops.where(namespace, service, missing_ok=True)
        return [check_service(ops, require_record(records, ns, service), dirs)]
    namespaces = [ops.namespace(namespace)] if namespace else ops.deployed_namespaces()
    out = []
    for ns in namespaces:
        with named(ops.cluster.name):
            try:
                running = our_workloads(ops.kube, ns)
            except NotFound:
                continue
        for w in running:
            record = latest_record(records, ns, w.name)
            if record is not None:
                out.append(check_service(ops, record, dirs))
    return out
