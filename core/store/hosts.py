"""Docker hosts in the store: the ``Host`` record and the ``HostTable`` part of ``Store``.

A host's credential (its URL and any TLS client certificate, key and CA) is encrypted like a
cluster's kubeconfig credential; records never carry it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound
from core.naming import new_id
from core.store.models import (
    AuditRow,
    ClusterRow,
    DeploymentRow,
    HostRow,
    PrunedScanRow,
    ScanMatchRow,
    ScanRow,
    utcnow,
)

if TYPE_CHECKING:
    from core.store.crypto import Cipher


@dataclass(frozen=True)
class Host:
    """A stored Docker host, without its credential."""

    host_id: str
    name: str
    url: str
    labels: dict[str, str]
    status: str
    version: str | None
    containers_running: int | None
    error: str | None
    last_checked: datetime | None
    created_at: datetime

    kind = "docker"

    def to_json(self) -> dict[str, Any]:
        return {
            "host_id": self.host_id,
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "status": self.status,
            "version": self.version,
            "containers_running": self.containers_running,
            "labels": dict(self.labels),
            "last_checked": self.last_checked.isoformat().replace("+00:00", "Z")
            if self.last_checked
            else None,
            "error": self.error,
        }


def host_from_row(row: HostRow) -> Host:
    return Host(
        host_id=row.id,
        name=row.name,
        url=row.url,
        labels=dict(row.labels or {}),
        status=row.status,
        version=row.version,
        containers_running=row.containers_running,
        error=row.error,
        last_checked=row.last_checked,
        created_at=row.created_at,
    )


class HostTable:
    """The Docker-host methods of ``Store`` (it provides ``_session`` and ``_cipher``)."""

    _cipher: Cipher

    def _session(self) -> AbstractContextManager[Session]:  # pragma: no cover - Store's
        raise NotImplementedError

    def _cluster_row(self, session: Session, ref: str) -> ClusterRow:  # pragma: no cover - Store's
        raise NotImplementedError

    def _target_id(self, session: Session, ref: str) -> str:
        """The id of the Docker host or, failing that, the cluster ``ref`` names (scans belong to either)."""
        host = session.get(HostRow, ref) or session.scalar(select(HostRow).where(HostRow.name == ref))
        return host.id if host is not None else self._cluster_row(session, ref).id

    def add_host(
        self,
        *,
        name: str,
        url: str,
        labels: dict[str, str],
        credential: bytes,
        status: str,
        version: str | None,
        containers_running: int | None,
        error: str | None,
        actor: str | None = None,
    ) -> Host:
        row = HostRow(
            id=new_id(9),
            name=name,
            url=url,
            labels=labels,
            credential=self._cipher.encrypt(credential),
            status=status,
            version=version,
            containers_running=containers_running,
            error=error,
            last_checked=utcnow(),
            created_by=actor,
        )
        try:
            with self._session() as session:
                session.add(row)
                session.add(
                    AuditRow(actor=actor or "local", action="host.add", target=name, detail={"url": url})
                )
        except IntegrityError as exc:
            raise Conflict(f"a Docker host named {name!r} already exists", hint="pick another name") from exc
        return host_from_row(row)

    @staticmethod
    def _host_row(session: Session, ref: str) -> HostRow:
        row = session.get(HostRow, ref) or session.scalar(select(HostRow).where(HostRow.name == ref))
        if row is None:
            raise NotFound(
                f"no Docker host with id or name {ref!r}", hint="`ushadow-ops hosts list` shows them"
            )
        return row

    def find_host(self, ref: str) -> Host | None:
        """The host with this id or name, or None (to tell hosts from clusters)."""
        with self._session() as session:
            row = session.get(HostRow, ref) or session.scalar(select(HostRow).where(HostRow.name == ref))
            return host_from_row(row) if row is not None else None

    def get_host(self, ref: str) -> Host:
        with self._session() as session:
            return host_from_row(self._host_row(session, ref))

    def target_names(self) -> dict[str, str]:
        """Every target's name by id: clusters and Docker hosts (names are unique across both)."""
        with self._session() as session:
            rows = [*session.execute(select(ClusterRow.id, ClusterRow.name)).all()]
            rows += session.execute(select(HostRow.id, HostRow.name)).all()
            return {str(i): str(n) for i, n in rows}

    def list_hosts(self) -> list[Host]:
        with self._session() as session:
            return [host_from_row(r) for r in session.scalars(select(HostRow).order_by(HostRow.name))]

    def host_credential(self, ref: str) -> bytes:
        with self._session() as session:
            token = self._host_row(session, ref).credential
        return self._cipher.decrypt(token)

    def update_host_status(
        self, ref: str, *, status: str, version: str | None, containers_running: int | None, error: str | None
    ) -> Host:
        with self._session() as session:
            row = self._host_row(session, ref)
            row.status, row.error, row.last_checked = status, error, utcnow()
            if status == "connected":
                row.version, row.containers_running = version, containers_running
            session.flush()
            return host_from_row(row)

    def remove_host(self, ref: str, *, actor: str | None = None) -> Host:
        with self._session() as session:
            row = self._host_row(session, ref)
            host = host_from_row(row)
            session.execute(delete(ScanMatchRow).where(ScanMatchRow.scan.has(ScanRow.cluster_id == row.id)))
            session.execute(delete(ScanRow).where(ScanRow.cluster_id == row.id))
            session.execute(delete(PrunedScanRow).where(PrunedScanRow.cluster_id == row.id))
            session.execute(delete(DeploymentRow).where(DeploymentRow.cluster_id == row.id))
            session.delete(row)
            session.add(AuditRow(actor=actor or "local", action="host.remove", target=host.name, detail={}))
        return host
