"""The one object that owns the database. Pages and the CLI call its methods; nothing else opens
sessions. Alembic migrations run when a store is opened, so the schema is always at head.

The records it returns live in ``core.store.records``, the engine and migrations in
``core.store.databases``; import each from the module that defines it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker

from core.errors import Conflict, NotFound, UshadowError
from core.naming import new_id
from core.settings import Settings
from core.store.crypto import Cipher
from core.store.databases import make_engine, migrate
from core.store.hosts import HostTable
from core.store.models import (
    AuditRow,
    ClusterRow,
    DeploymentRow,
    PrunedScanRow,
    ScanMatchRow,
    ScanRow,
    utcnow,
)
from core.store.records import (
    AuditEvent,
    Cluster,
    Deployment,
    audit_from_row,
    cluster_from_row,
    deployment_from_row,
)
from core.store.scanstore import ScanStore
from core.store.tokens import TokenBook


class Store(ScanStore, HostTable):
    """The database: clusters and Docker hosts (with encrypted credentials), scans (``ScanStore``, see
    ``core.store.scanstore``), deployments, API tokens (``tokens``, see ``core.store.tokens``) and the
    audit trail."""

    def __init__(self, engine: Engine, cipher: Cipher) -> None:
        self.engine = engine
        self._cipher = cipher
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.tokens = TokenBook(self._session, self._audit)

    @classmethod
    def open(cls, settings: Settings, *, run_migrations: bool = True) -> Store:
        engine = make_engine(settings.database_url)
        cipher = Cipher.from_settings(settings)
        try:
            if run_migrations:
                migrate(engine, cipher=cipher)
        except OperationalError as exc:
            raise UshadowError(
                f"cannot open the database: {' '.join(str(exc.orig).split())}",
                hint="check USHADOW_DATABASE_URL and that the database server is running",
            ) from exc
        return cls(engine, cipher)

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
        return cluster_from_row(row)

    def _cluster_row(self, session: Session, ref: str) -> ClusterRow:
        row = session.get(ClusterRow, ref)
        named = session.scalar(select(ClusterRow).where(ClusterRow.name == ref))
        if row is not None and named is not None and named.id != row.id:
            raise Conflict(
                f"{ref!r} is both the id of cluster {row.name!r} and the name of another cluster",
                hint=f"name it by its id instead: {row.id} ({row.name}) or {named.id} ({named.name})",
            )
        row = row or named
        if row is None:
            if self.find_host(ref) is not None:  # a Docker host where only a cluster will do
                raise NotFound(
                    f"{ref!r} is a Docker host, not a cluster: this command works on clusters only "
                    "(Docker hosts are not supported by it)",
                    hint="on a Docker host: scan, deploy, status, logs, restart, scale, undeploy and exec",
                )
            raise NotFound(
                f"no cluster with id or name {ref!r}", hint="`ushadow-ops clusters list` shows them"
            )
        return row

    def get_cluster(self, ref: str) -> Cluster:
        with self._session() as session:
            return cluster_from_row(self._cluster_row(session, ref))

    def list_clusters(self) -> list[Cluster]:
        with self._session() as session:
            rows = session.scalars(select(ClusterRow).order_by(ClusterRow.name)).all()
            return [cluster_from_row(r) for r in rows]

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
            return cluster_from_row(row)

    def remove_cluster(self, ref: str, *, actor: str | None = None) -> Cluster:
        with self._session() as session:
            row = self._cluster_row(session, ref)
            cluster = cluster_from_row(row)
            session.execute(delete(ScanMatchRow).where(ScanMatchRow.scan.has(ScanRow.cluster_id == row.id)))
            session.execute(delete(ScanRow).where(ScanRow.cluster_id == row.id))
            session.execute(delete(PrunedScanRow).where(PrunedScanRow.cluster_id == row.id))
            session.execute(delete(DeploymentRow).where(DeploymentRow.cluster_id == row.id))
            # what the trail said about it (its server and context on add, its scans, changes made
            # through it) goes too; the removal itself is recorded, by name only
            about = session.scalars(select(AuditRow)).all()
            for event in about:
                if event.target in (row.id, row.name) or (event.detail or {}).get("cluster") in (
                    row.id,
                    row.name,
                ):
                    session.delete(event)
            session.delete(row)
            self._audit(session, actor, "cluster.remove", cluster.name, {})
        self._forget_deleted()
        return cluster

    def _forget_deleted(self) -> None:
        """On SQLite, fold the WAL back so deleted rows' old pages do not linger on disk."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

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
            self._target_id(session, cluster_id)
            session.add(row)
            self._audit(
                session, actor, "deploy", f"{namespace}/{name}", {"service_id": service_id, "status": status}
            )
        return deployment_from_row(row)

    def has_deployments(self, *, live: bool = False) -> bool:
        """Whether any deployment was recorded (``live``: one that was applied, not a dry run or a failure)."""
        query = select(DeploymentRow.id).limit(1)
        if live:
            query = query.where(DeploymentRow.dry_run.is_(False), DeploymentRow.status != "failed")
        with self._session() as session:
            return session.scalars(query).first() is not None

    def list_deployments(
        self, cluster_ref: str | None = None, *, limit: int = 200, manifests: bool = True
    ) -> list[Deployment]:
        """Newest first; ``manifests=False`` for lists: the records' ``manifests`` stay empty, unread."""
        with self._session() as session:
            query = select(DeploymentRow).order_by(DeploymentRow.created_at.desc()).limit(limit)
            if not manifests:
                query = query.options(defer(DeploymentRow.manifests))
            if cluster_ref is not None:
                query = query.where(DeploymentRow.cluster_id == self._target_id(session, cluster_ref))
            return [deployment_from_row(r, manifests=manifests) for r in session.scalars(query).all()]

    def deployed_namespaces(self, cluster_ref: str) -> list[str]:
        """Every namespace where something was deployed (not only dry-run) on this cluster, sorted."""
        with self._session() as session:
            cluster_id = self._target_id(session, cluster_ref)
            query = (
                select(DeploymentRow.namespace)
                .where(DeploymentRow.cluster_id == cluster_id, DeploymentRow.dry_run.is_(False))
                .distinct()
            )
            return sorted(session.scalars(query).all())

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
            return [audit_from_row(r) for r in rows]
