"""The store and its migrations, on a real database (SQLite here; PostgreSQL when configured)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from core.errors import Conflict, InvalidInput, NotFound
from core.naming import new_id
from core.settings import Settings
from core.store.crypto import Cipher
from core.store.databases import make_engine, migrate
from core.store.scans import Match, NamespaceError, ScanResult
from core.store.store import Store


@pytest.fixture(autouse=True)
def _both_backends(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test of this module against SQLite and against PostgreSQL."""
    monkeypatch.setenv("USHADOW_TEST_DATABASE_URL", database_url)


def _add(store: Store, name: str = "alpha") -> str:
    return store.add_cluster(
        name=name,
        context="ctx",
        server="https://k8s.example:6443",
        namespace="ushadow",
        labels={"env": "test"},
        credential=b"apiVersion: v1\nusers: [{name: u, user: {token: very-secret}}]\n",
        status="connected",
        version="v1.37.2",
        node_count=3,
        error=None,
    ).cluster_id


def _scan(cluster_id: str, at: datetime, namespaces: list[str] | None = None) -> ScanResult:
    return ScanResult(
        scan_id=new_id(),
        cluster_id=cluster_id,
        namespaces=namespaces or ["ushadow"],
        scanned_at=at,
        catalog={"mongo": 27017, "redis": 6379},
        matches=[
            Match(
                infra_type="redis",
                service="redis-master",
                namespace="ushadow",
                service_type="ClusterIP",
                reason="label app.kubernetes.io/name=redis",
                ready_endpoints=1,
                endpoints=["redis-master.ushadow.svc.cluster.local:6379"],
                connection_string="redis://redis-master.ushadow.svc.cluster.local:6379",
                extra={"ports": [6379]},
            )
        ],
        errors=[NamespaceError(namespace="secret-ns", reason="forbidden")],
        duration_ms=12,
    )


def test_clusters_round_trip_and_names_are_unique(store: Store) -> None:
    cid = _add(store)
    cluster = store.get_cluster("alpha")
    assert cluster.cluster_id == cid
    assert store.get_cluster(cid).labels == {"env": "test"}
    assert store.cluster_credential("alpha").endswith(b"very-secret}}]\n")
    with pytest.raises(Conflict):
        _add(store)
    with pytest.raises(NotFound, match="no cluster with id or name 'nope'") as err:
        store.get_cluster("nope")
    assert err.value.hint is not None
    assert "clusters list" in err.value.hint


def test_scan_history_latest_and_previous(store: Store) -> None:
    cid = _add(store)
    now = datetime.now(UTC)
    first = store.save_scan(_scan(cid, now - timedelta(minutes=5)))
    other_ns = store.save_scan(_scan(cid, now - timedelta(minutes=3), ["other"]))
    second = store.save_scan(_scan(cid, now))
    loaded = store.get_scan(second.scan_id)
    assert loaded == second
    assert loaded.scanned_at.tzinfo is not None
    assert store.previous_scan(second) == first
    assert store.previous_scan(first) is None
    assert store.latest_scans()[cid].scan_id == second.scan_id
    assert store.latest_scan_for(cid, "other") == other_ns
    assert [s.scan_id for s in store.list_scans("alpha")] == [second.scan_id, other_ns.scan_id, first.scan_id]
    assert store.count_scans() == 3


def test_unknown_scan_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no stored scan"):
        store.get_scan("doesNotExist12345")


def test_scan_ids_are_unguessable() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) >= 22 for i in ids)


def test_deployments_and_audit_are_recorded(store: Store) -> None:
    cid = _add(store)
    store.record_deployment(
        cluster_id=cid,
        namespace="ushadow",
        service_id="app:web",
        name="web",
        manifests="kind: Secret\nstringData: {A: '***'}\n",
        resources=["Deployment/web"],
        status="ready",
        message=None,
        dry_run=False,
        actor="ops@example.com",
    )
    [dep] = store.list_deployments("alpha")
    assert (dep.name, dep.status, dep.created_by) == ("web", "ready", "ops@example.com")
    actions = [e.action for e in store.list_audit()]
    assert actions[:2] == ["deploy", "cluster.add"]


def test_wrong_key_gives_a_clear_error(settings: Settings, store: Store) -> None:
    _add(store)
    other = Store(store.engine, Cipher.from_settings(Settings.load({"USHADOW_SECRET_KEY": "another key"})))
    with pytest.raises(InvalidInput, match="cannot be decrypted"):
        other.cluster_credential("alpha")


def test_passphrase_and_fernet_keys_both_work(settings: Settings) -> None:
    from cryptography.fernet import Fernet

    for key in ("correct horse battery staple", Fernet.generate_key().decode()):
        cipher = Cipher.from_settings(Settings.load({"USHADOW_SECRET_KEY": key}))
        token = cipher.encrypt(b"hello")
        assert b"hello" not in token
        assert Cipher.from_settings(Settings.load({"USHADOW_SECRET_KEY": key})).decrypt(token) == b"hello"
    assert not (settings.data_dir / "secret.key").exists(), "no key file when the key is configured"


def test_database_settings(store: Store) -> None:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert store.engine.dialect.name == "postgresql"
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0006"


def test_bad_database_url_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="not a database URL"):
        make_engine("not a url at all")


def test_migration_from_first_revision_keeps_everything(settings: Settings) -> None:
    """Build the database at 0001, fill it, upgrade to head, and check nothing was lost."""
    engine = make_engine(settings.database_url)
    migrate(engine, "0001")
    assert "deployments" not in inspect(engine).get_table_names()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO clusters (id, name, context, server, namespace, labels, credential, status,"
                " version, node_count, error, last_checked, created_at, created_by) VALUES"
                " ('c1', 'old', 'ctx', 'https://h:6443', 'ushadow', '{}', :cred, 'connected', 'v1.30.0', 2,"
                " NULL, :now, :now, NULL)"
            ),
            {"cred": Cipher.from_settings(settings).encrypt(b"kubeconfig"), "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO scans (id, cluster_id, namespaces, all_namespaces, scanned_at, catalog, errors,"
                " duration_ms, created_by) VALUES ('s1', 'c1', '[\"ushadow\"]', false, :now,"
                " '{\"redis\": 6379}', '[]', 5, NULL)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO scan_matches (scan_id, position, infra_type, service, namespace, service_type,"
                " reason, ready_endpoints, endpoints, connection_string, extra) VALUES ('s1', 0, 'redis',"
                " 'redis', 'ushadow', 'ClusterIP', 'name', 1, '[\"redis.ushadow.svc.cluster.local:6379\"]',"
                " 'redis://redis.ushadow.svc.cluster.local:6379', '{}')"
            )
        )
    engine.dispose()
    store = Store.open(settings)  # upgrades to head on open, as the app and CLI do
    try:
        assert {"deployments", "audit_events"} <= set(inspect(store.engine).get_table_names())
        indexes = {ix["name"] for ix in inspect(store.engine).get_indexes("scans")}
        assert {"ix_scans_cluster_id", "ix_scans_cluster_id_scanned_at"} <= indexes
        assert store.get_cluster("old").version == "v1.30.0"
        assert store.cluster_credential("old") == b"kubeconfig"
        scan = store.get_scan("s1")
        assert scan.matches[0].endpoints == ["redis.ushadow.svc.cluster.local:6379"]
        assert store.latest_scans()["c1"].scan_id == "s1"
        [summary] = store.list_scan_summaries()  # 0003 filled in the summary of the older scan
        assert (summary.found, summary.match_count, summary.error_count) == (["redis"], 1, 0)
    finally:
        store.close()
    again = Store.open(settings)  # opening at head again is a no-op, not an index clash
    again.close()


def test_settings_reject_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "soon")
    with pytest.raises(InvalidInput, match="USHADOW_REQUEST_TIMEOUT"):
        Settings.load()
    monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "2.5")
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", "a:b")
    monkeypatch.setenv("USHADOW_EXEC_ALLOWLIST", "aws:gke-gcloud-auth-plugin")
    loaded = Settings.load({"USHADOW_PUBLIC_URL": "https://ops.example.com/"})
    assert loaded.request_timeout == 2.5
    assert [p.name for p in loaded.compose_dirs] == ["a", "b"]
    assert loaded.exec_allowlist == {"aws", "gke-gcloud-auth-plugin"}
    assert loaded.public_url == "https://ops.example.com"
    assert "USHADOW_PUBLIC_URL" not in os.environ


def test_head_revision_is_alembics_head_and_a_database_at_head_is_left_alone(settings: Settings) -> None:
    from alembic.script import ScriptDirectory

    from core.store.databases import HEAD_REVISION, alembic_config, at_head

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION
    engine = make_engine(f"sqlite:///{settings.data_dir / 'head.db'}")
    try:
        assert not at_head(engine)  # an empty database: migrated
        migrate(engine)
        assert at_head(engine)
        assert inspect(engine).has_table("clusters")
    finally:
        engine.dispose()
