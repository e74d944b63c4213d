"""The one object that owns the database. Pages and the CLI call its methods; nothing else opens
sessions. Alembic migrations run when a store is opened, so the schema is always at head.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from core.crypto import Cipher
from core.errors import Conflict, InvalidInput, NotFound, UshadowError
from core.models import AuditRow, ClusterRow, DeploymentRow, ScanMatchRow, ScanRow, utcnow
from core.scans import Match, NamespaceError, ScanResult
from core.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def new_id(nbytes: int = 16) -> str:
    """An id nobody can guess (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(nbytes)


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


def _cluster(row: ClusterRow) -> Cluster:
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


def _scan(row: ScanRow) -> ScanResult:
    return ScanResult(
        scan_id=row.id,
        cluster_id=row.cluster_id,
        namespaces=list(row.namespaces),
        all_namespaces=row.all_namespaces,
        scanned_at=row.scanned_at,
        catalog=dict(row.catalog),
        matches=[
            Match(
                infra_type=m.infra_type,
                service=m.service,
                namespace=m.namespace,
                service_type=m.service_type,
                reason=m.reason,
                ready_endpoints=m.ready_endpoints,
                endpoints=list(m.endpoints),
                connection_string=m.connection_string,
                extra=dict(m.extra or {}),
            )
            for m in row.matches
        ],
        errors=[NamespaceError(**e) for e in row.errors],
        duration_ms=row.duration_ms,
        created_by=row.created_by,
    )


def _deployment(row: DeploymentRow) -> Deployment:
    return Deployment(
        deployment_id=row.id,
        cluster_id=row.cluster_id,
        namespace=row.namespace,
        service_id=row.service_id,
        name=row.name,
        manifests=row.manifests,
        resources=list(row.resources),
        status=row.status,
        message=row.message,
        dry_run=row.dry_run,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA secure_delete=ON")  # removed credentials do not linger in free pages
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(
            f"USHADOW_DATABASE_URL is not a database URL: {exc}",
            hint="e.g. sqlite:///path/ushadow.db or postgresql+psycopg://user@host/db",
        ) from exc
    try:
        parsed.get_dialect()
    except Exception as exc:  # NoSuchModuleError, or a driver that is not installed
        raise InvalidInput(
            f"USHADOW_DATABASE_URL names a database driver that is not available: {parsed.drivername}",
            hint="use sqlite:///path/ushadow.db, or postgresql+psycopg://user@host/db (pip install '.[postgres]')",
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            db_file = Path(parsed.database).expanduser()
            db_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not db_file.exists():
                db_file.touch(mode=0o600)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (head by default), in one transaction where possible."""
    cfg = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting at once must not race to create the same tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(74831)")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


class Store:
    """The database: clusters (with encrypted credentials), scans, deployments and the audit trail."""

    def __init__(self, engine: Engine, cipher: Cipher) -> None:
        self.engine = engine
        self._cipher = cipher
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings, *, run_migrations: bool = True) -> Store:
        engine = make_engine(settings.database_url)
        try:
            if run_migrations:
                migrate(engine)
        except OperationalError as exc:
            raise UshadowError(
                f"cannot open the database: {exc.orig}",
                hint="check USHADOW_DATABASE_URL and that the database server is running",
            ) from exc
        return cls(engine, Cipher.from_settings(settings))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except SQLAlchemyError:
                session.rollback()
                raise

    # -- clusters ---------------------------------------------------------------------------

    def add_cluster(
        self,
        *,
        name: str,
        context: str,
        server: str,
        namespace: str,
        labels: dict[str, str],
        credential: bytes,
        status: str,
        version: str | None,
        node_count: int | None,
        error: str | None,
        actor: str | None = None,
    ) -> Cluster:
        row = ClusterRow(
            id=new_id(9),
            name=name,
            context=context,
            server=server,
            namespace=namespace,
            labels=labels,
            credential=self._cipher.encrypt(credential),
            status=status,
            version=version,
            node_count=node_count,
            error=error,
            last_checked=utcnow(),
            created_by=actor,
        )
        try:
            with self._session() as session:
                session.add(row)
                self._audit(session, actor, "cluster.add", name, {"server": server, "context": context})
        except IntegrityError as exc:
            raise Conflict(
                f"a cluster named {name!r} already exists", hint="pick another name or remove the old one"
            ) from exc
        return _cluster(row)

    def _cluster_row(self, session: Session, ref: str) -> ClusterRow:
        row = session.get(ClusterRow, ref)
        if row is None:
            row = session.scalar(select(ClusterRow).where(ClusterRow.name == ref))
        if row is None:
            raise NotFound(
                f"no cluster with id or name {ref!r}", hint="`ushadow-ops clusters list` shows them"
            )
        return row

    def get_cluster(self, ref: str) -> Cluster:
        with self._session() as session:
            return _cluster(self._cluster_row(session, ref))

    def list_clusters(self) -> list[Cluster]:
        with self._session() as session:
            rows = session.scalars(select(ClusterRow).order_by(ClusterRow.name)).all()
            return [_cluster(r) for r in rows]

    def cluster_credential(self, ref: str) -> bytes:
        with self._session() as session:
            token = self._cluster_row(session, ref).credential
        return self._cipher.decrypt(token)

    def update_cluster_status(
        self,
        ref: str,
        *,
        status: str,
        version: str | None,
        node_count: int | None,
        error: str | None,
        server: str | None = None,
    ) -> Cluster:
        with self._session() as session:
            row = self._cluster_row(session, ref)
            row.status = status
            row.error = error
            row.last_checked = utcnow()
            if status == "connected":
                row.version = version
                row.node_count = node_count
            if server:
                row.server = server
            session.flush()
            return _cluster(row)

    def remove_cluster(self, ref: str, *, actor: str | None = None) -> Cluster:
        with self._session() as session:
            row = self._cluster_row(session, ref)
            cluster = _cluster(row)
            session.execute(delete(ScanMatchRow).where(ScanMatchRow.scan.has(ScanRow.cluster_id == row.id)))
            session.execute(delete(ScanRow).where(ScanRow.cluster_id == row.id))
            session.execute(delete(DeploymentRow).where(DeploymentRow.cluster_id == row.id))
            session.execute(delete(AuditRow).where(AuditRow.target == row.id))
            session.delete(row)
            self._audit(session, actor, "cluster.remove", cluster.name, {})
        self._forget_deleted()
        return cluster

    def _forget_deleted(self) -> None:
        """On SQLite, fold the WAL back so deleted rows' old pages do not linger on disk."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- scans ------------------------------------------------------------------------------

    def save_scan(self, result: ScanResult) -> ScanResult:
        with self._session() as session:
            self._cluster_row(session, result.cluster_id)
            row = ScanRow(
                id=result.scan_id,
                cluster_id=result.cluster_id,
                namespaces=list(result.namespaces),
                all_namespaces=result.all_namespaces,
                scanned_at=result.scanned_at,
                catalog=dict(result.catalog),
                errors=[e.model_dump() for e in result.errors],
                duration_ms=result.duration_ms,
                created_by=result.created_by,
            )
            row.matches = [
                ScanMatchRow(
                    position=i,
                    infra_type=m.infra_type,
                    service=m.service,
                    namespace=m.namespace,
                    service_type=m.service_type,
                    reason=m.reason,
                    ready_endpoints=m.ready_endpoints,
                    endpoints=list(m.endpoints),
                    connection_string=m.connection_string,
                    extra=dict(m.extra),
                )
                for i, m in enumerate(result.matches)
            ]
            session.add(row)
            self._audit(
                session,
                result.created_by,
                "scan",
                result.cluster_id,
                {"scan_id": result.scan_id, "namespaces": list(result.namespaces)},
            )
        return result

    def get_scan(self, scan_id: str) -> ScanResult:
        with self._session() as session:
            row = session.get(ScanRow, scan_id)
            if row is None:
                raise NotFound(
                    f"no stored scan with id {scan_id!r}",
                    hint="the link may be mistyped, or its cluster was removed; `ushadow-ops scans list` "
                    "shows the stored scans",
                )
            return _scan(row)

    def list_scans(self, cluster_ref: str | None = None, *, limit: int = 100) -> list[ScanResult]:
        with self._session() as session:
            query = (
                select(ScanRow)
                .options(selectinload(ScanRow.matches))
                .order_by(ScanRow.scanned_at.desc())
                .limit(limit)
            )
            if cluster_ref is not None:
                query = query.where(ScanRow.cluster_id == self._cluster_row(session, cluster_ref).id)
            return [_scan(r) for r in session.scalars(query).all()]

    def previous_scan(self, scan: ScanResult) -> ScanResult | None:
        """The scan of the same cluster and namespaces just before ``scan``."""
        with self._session() as session:
            rows = session.scalars(
                select(ScanRow)
                .where(ScanRow.cluster_id == scan.cluster_id, ScanRow.scanned_at < scan.scanned_at)
                .order_by(ScanRow.scanned_at.desc())
                .limit(50)
            ).all()
            for row in rows:
                if (
                    sorted(row.namespaces) == sorted(scan.namespaces)
                    and row.all_namespaces == scan.all_namespaces
                ):
                    return _scan(row)
        return None

    def latest_scans(self) -> dict[str, ScanResult]:
        """The newest scan of each cluster, by cluster id."""
        with self._session() as session:
            newest = (
                select(ScanRow.cluster_id, func.max(ScanRow.scanned_at).label("at"))
                .group_by(ScanRow.cluster_id)
                .subquery()
            )
            rows = session.scalars(
                select(ScanRow)
                .options(selectinload(ScanRow.matches))
                .join(
                    newest, (ScanRow.cluster_id == newest.c.cluster_id) & (ScanRow.scanned_at == newest.c.at)
                )
            ).all()
            return {r.cluster_id: _scan(r) for r in rows}

    def latest_scan_for(self, cluster_ref: str, namespace: str) -> ScanResult | None:
        """The newest scan of ``cluster_ref`` that covered ``namespace``."""
        with self._session() as session:
            cluster_id = self._cluster_row(session, cluster_ref).id
            rows = session.scalars(
                select(ScanRow)
                .where(ScanRow.cluster_id == cluster_id)
                .order_by(ScanRow.scanned_at.desc())
                .limit(50)
            ).all()
            for row in rows:
                if row.all_namespaces or namespace in row.namespaces:
                    return _scan(row)
        return None

    def count_scans(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count()).select_from(ScanRow)) or 0)

    # -- deployments ------------------------------------------------------------------------

    def record_deployment(
        self,
        *,
        cluster_id: str,
        namespace: str,
        service_id: str,
        name: str,
        manifests: str,
        resources: Sequence[Any],
        status: str,
        message: str | None,
        dry_run: bool,
        actor: str | None = None,
    ) -> Deployment:
        row = DeploymentRow(
            id=new_id(9),
            cluster_id=cluster_id,
            namespace=namespace,
            service_id=service_id,
            name=name,
            manifests=manifests,
            resources=list(resources),
            status=status,
            message=message,
            dry_run=dry_run,
            created_by=actor,
        )
        with self._session() as session:
            self._cluster_row(session, cluster_id)
            session.add(row)
            self._audit(
                session, actor, "deploy", f"{namespace}/{name}", {"service_id": service_id, "status": status}
            )
        return _deployment(row)

    def list_deployments(self, cluster_ref: str | None = None, *, limit: int = 200) -> list[Deployment]:
        with self._session() as session:
            query = select(DeploymentRow).order_by(DeploymentRow.created_at.desc()).limit(limit)
            if cluster_ref is not None:
                query = query.where(DeploymentRow.cluster_id == self._cluster_row(session, cluster_ref).id)
            return [_deployment(r) for r in session.scalars(query).all()]

    # -- audit ------------------------------------------------------------------------------

    @staticmethod
    def _audit(session: Session, actor: str | None, action: str, target: str, detail: dict[str, Any]) -> None:
        session.add(AuditRow(actor=actor or "local", action=action, target=target, detail=detail))

    def audit(
        self, action: str, target: str, detail: dict[str, Any] | None = None, *, actor: str | None = None
    ) -> None:
        with self._session() as session:
            self._audit(session, actor, action, target, detail or {})

    def list_audit(self, *, limit: int = 200) -> list[AuditEvent]:
        with self._session() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)).all()
            return [AuditEvent(r.at, r.actor, r.action, r.target, dict(r.detail)) for r in rows]
