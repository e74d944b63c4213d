"""Database tables, as typed SQLAlchemy 2 models. Only the store (``core.store.store`` with ``core.store.records``) and the migrations use them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime()}


class ClusterRow(Base):
    __tablename__ = "clusters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    context: Mapped[str] = mapped_column(String(253))
    server: Mapped[str] = mapped_column(String(2048), default="")
    namespace: Mapped[str] = mapped_column(String(63), default="ushadow")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credential: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="error")
    version: Mapped[str | None] = mapped_column(String(64), default=None)
    node_count: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    last_checked: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(320), default=None)


class ScanRow(Base):
    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_cluster_id_scanned_at", "cluster_id", "scanned_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # a cluster's or a Docker host's id (no foreign key: removing either deletes its scans)
    cluster_id: Mapped[str] = mapped_column(String(32), index=True)
    namespaces: Mapped[list[Any]] = mapped_column(default=list)
    all_namespaces: Mapped[bool] = mapped_column(default=False)
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)
    catalog: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    created_by: Mapped[str | None] = mapped_column(String(320), default=None)
    # what lists show instead of reading the match rows, and the diff kept since it was stored
    match_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    found_types: Mapped[list[Any] | None] = mapped_column(default=None)
    changes: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # a scan that found exactly what the previous scan of its target found keeps no match rows of
    # its own: ``same_as`` names the scan that holds them (never itself a reference); ``content_hash``
    # is what the next scan compares with (catalog, matches, errors)
    same_as: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    matches: Mapped[list[ScanMatchRow]] = relationship(
        back_populates="scan",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ScanMatchRow.position",
    )


class ScanMatchRow(Base):
    __tablename__ = "scan_matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    infra_type: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(253))
    namespace: Mapped[str] = mapped_column(String(63))
    service_type: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    ready_endpoints: Mapped[int] = mapped_column(Integer, default=0)
    endpoints: Mapped[list[Any]] = mapped_column(default=list)
    connection_string: Mapped[str | None] = mapped_column(Text, default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    scan: Mapped[ScanRow] = relationship(back_populates="matches")


class PrunedScanRow(Base):
    """What is left of a scan that retention pruned: enough for its link to say so."""

    __tablename__ = "pruned_scans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(32), index=True)  # a cluster's or a Docker host's
    scanned_at: Mapped[datetime] = mapped_column()
    pruned_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kept_id: Mapped[str | None] = mapped_column(String(32), default=None)  # the scan kept in its place


class DeploymentRow(Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # a cluster's or a Docker host's id (for a host, ``namespace`` holds the compose project)
    cluster_id: Mapped[str] = mapped_column(String(32), index=True)
    namespace: Mapped[str] = mapped_column(String(63))
    service_id: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(63))
    manifests: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(32), default="pending")
    message: Mapped[str | None] = mapped_column(Text, default=None)
    dry_run: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[str | None] = mapped_column(String(320), default=None)


class AuditRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320), default="local")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiTokenRow(Base):
    """An HTTP API token: only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(320), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class HostRow(Base):
    """A Docker host (an engine API URL); the credential holds the URL and any TLS client material."""

    __tablename__ = "docker_hosts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credential: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="error")
    version: Mapped[str | None] = mapped_column(String(64), default=None)
    containers_running: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    last_checked: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(320), default=None)
