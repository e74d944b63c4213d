"""What the store hands out: frozen records of stored clusters, deployments and audit events, and
the functions that make them from database rows. Pure data, no I/O.

The row types are only needed for type checking, so importing a record does not import SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.store.models import AuditRow, ClusterRow, DeploymentRow, ScanRow
    from core.store.scans import ScanResult
    from core.store.summaries import ScanSummary


@dataclass(frozen=True)
class Cluster:
    """A stored cluster, without its credential."""

    cluster_id: str
    name: str
    context: str
    server: str
    namespace: str
    labels: dict[str, str]
    status: str
    version: str | None
    node_count: int | None
    error: str | None
    last_checked: datetime | None
    created_at: datetime
    created_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "name": self.name,
            "context": self.context,
            "server": self.server,
            "status": self.status,
            "version": self.version,
            "node_count": self.node_count,
            "namespace": self.namespace,
            "labels": dict(self.labels),
            "last_checked": _iso(self.last_checked),
            "error": self.error,
        }


@dataclass(frozen=True)
class Deployment:
    deployment_id: str
    cluster_id: str
    namespace: str
    service_id: str
    name: str
    manifests: str
    resources: list[Any]
    status: str
    message: str | None
    dry_run: bool
    created_at: datetime
    created_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "cluster_id": self.cluster_id,
            "namespace": self.namespace,
            "service_id": self.service_id,
            "name": self.name,
            "resources": list(self.resources),
            "status": self.status,
            "message": self.message,
            "dry_run": self.dry_run,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:  # SQLite gives naive datetimes back; we only ever store UTC
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- from rows ----------------------------------------------------------------------------------


def cluster_from_row(row: ClusterRow) -> Cluster:
    return Cluster(
        cluster_id=row.id,
        name=row.name,
        context=row.context,
        server=row.server,
        namespace=row.namespace,
        labels=dict(row.labels or {}),
        status=row.status,
        version=row.version,
        node_count=row.node_count,
        error=row.error,
        last_checked=row.last_checked,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def scan_from_row(row: ScanRow, matches: Sequence[Mapping[Any, Any]] | None = None) -> ScanResult:
    """``matches``: the match rows as plain column mappings (quicker than ``row.matches``' objects)."""
    from core.store.scans import Match, NamespaceError, ScanResult  # pydantic: only where scans are read

    fields = list(Match.model_fields)
    found = row.matches if matches is None else matches
    return ScanResult(
        scan_id=row.id,
        cluster_id=row.cluster_id,
        namespaces=list(row.namespaces),
        all_namespaces=row.all_namespaces,
        scanned_at=row.scanned_at,
        catalog=dict(row.catalog),
        matches=[
            Match.model_validate(
                {f: (m[f] if isinstance(m, Mapping) else getattr(m, f)) for f in fields}
                | {"extra": (m["extra"] if isinstance(m, Mapping) else m.extra) or {}}
            )
            for m in found
        ],
        errors=[NamespaceError(**e) for e in row.errors],
        duration_ms=row.duration_ms,
        created_by=row.created_by,
    )


def summary_from_row(row: ScanRow) -> ScanSummary:
    from core.store.summaries import ScanSummary

    return ScanSummary(
        scan_id=row.id,
        cluster_id=row.cluster_id,
        namespaces=list(row.namespaces),
        all_namespaces=row.all_namespaces,
        scanned_at=row.scanned_at,
        found=list(row.found_types or []),
        match_count=row.match_count,
        error_count=row.error_count,
        duration_ms=row.duration_ms,
        created_by=row.created_by,
        same_as=row.same_as,
    )


def deployment_from_row(row: DeploymentRow, *, manifests: bool = True) -> Deployment:
    """``manifests=False``: for lists, which leave the (large) manifests column unread."""
    return Deployment(
        deployment_id=row.id,
        cluster_id=row.cluster_id,
        namespace=row.namespace,
        service_id=row.service_id,
        name=row.name,
        manifests=row.manifests if manifests else "",
        resources=list(row.resources),
        status=row.status,
        message=row.message,
        dry_run=row.dry_run,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def audit_from_row(row: AuditRow) -> AuditEvent:
    return AuditEvent(row.at, row.actor, row.action, row.target, dict(row.detail))
