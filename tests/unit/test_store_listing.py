"""The command line's lists read with sqlite3 alone (core.store.listing) give exactly what the Store's
own lists give, on a real SQLite store; anything they cannot read is left to the Store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core.errors import Conflict, NotFound
from core.naming import new_id
from core.settings import Settings
from core.store.databases import make_engine, migrate
from core.store.listing import open_lists, sqlite_file
from core.store.scans import Match, NamespaceError, ScanResult
from core.store.store import Store


def _fill(store: Store) -> list[str]:
    ids = []
    for i, (name, labels) in enumerate([("beta", {"env": "prod"}), ("alpha", {}), ("gamma", {"a": "b"})]):
        cluster = store.add_cluster(
            name=name, context=f"ctx-{i}", server=f"https://10.0.0.{i}:6443", namespace="ushadow",
            labels=labels, credential=b"apiVersion: v1\n", status="connected" if i else "unreachable",
            version="v1.37.2" if i else None, node_count=3 if i else None, error=None if i else "no route",
        )  # fmt: skip
        ids.append(cluster.cluster_id)
    store.update_cluster_status(ids[1], status="connected", version="v1.38.0", node_count=4, error=None)
    host = store.add_host(
        name="docker-1", url="tcp://10.0.0.9:2376", labels={}, credential=b"tcp://10.0.0.9:2376",
        status="connected", version="27.1", containers_running=3, error=None,
    )  # fmt: skip
    ids.append(host.host_id)
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    for s in range(7):  # the 5th and 6th: a Docker host's, the 6th the same as the 5th (a reference)
        matches = [
            Match(infra_type="redis", service=f"redis-{s}", namespace="apps", service_type="ClusterIP",
                  reason="image", ready_endpoints=1, endpoints=["10.0.0.9:6379"],
                  connection_string="redis://redis.apps:6379")
        ][: s % 2 if s < 5 else 0]  # fmt: skip
        store.save_scan(
            ScanResult(
                scan_id=new_id(), cluster_id=ids[3] if s >= 5 else ids[s % 3], namespaces=[] if s == 4 else ["apps", "db"],
                all_namespaces=s == 4, scanned_at=at + timedelta(minutes=s), catalog={"redis": 6379},
                matches=matches, duration_ms=None if s == 2 else 40 + s, created_by="ops@example.com" if s else None,
                errors=[NamespaceError(namespace="db", reason="forbidden")] if s == 3 else [],
            )
        )  # fmt: skip
    return ids


def test_the_lists_are_the_stores(tmp_path: Path) -> None:
    settings = Settings.load({"USHADOW_DATA_DIR": str(tmp_path / "data")})  # SQLite, whatever tests run on
    assert sqlite_file(settings.database_url) == tmp_path / "data" / "ushadow.db"
    store = Store.open(settings)
    try:
        _check(store, settings)
    finally:
        store.close()


def _check(store: Store, settings: Settings) -> None:
    ids = _fill(store)
    lists = open_lists(settings.database_url)
    assert lists is not None
    try:
        assert lists.clusters() == store.list_clusters()
        assert lists.scan_summaries() == store.list_scan_summaries()
        assert lists.scan_summaries(limit=2) == store.list_scan_summaries(limit=2)
        assert lists.target_names() == store.target_names()
        assert [s.same_as is not None for s in lists.scan_summaries("docker-1")] == [True, False]
        for ref in (ids[0], "alpha", ids[3], "docker-1"):
            assert lists.scan_summaries(ref) == store.list_scan_summaries(ref)
        with pytest.raises(NotFound, match="no cluster with id or name 'nope'"):
            lists.scan_summaries("nope")
        store.add_cluster(
            name=ids[1], context="c", server="https://x:6443", namespace="ushadow", labels={},
            credential=b"x", status="error", version=None, node_count=None, error="e",
        )  # fmt: skip
        with pytest.raises(Conflict, match="is both the id of cluster 'alpha'"):
            lists.scan_summaries(ids[1])
    finally:
        lists.close()


def test_what_the_lists_cannot_read_is_left_to_the_store(tmp_path: Path) -> None:
    assert open_lists("postgresql+psycopg://u@localhost/db") is None
    assert open_lists("sqlite:///:memory:") is None
    assert open_lists("sqlite:////tmp/x.db?timeout=3") is None
    missing = tmp_path / "missing.db"
    assert open_lists(f"sqlite:///{missing}") is None
    assert not missing.exists()  # and nothing was created
    empty = tmp_path / "empty.db"
    empty.touch()
    assert open_lists(f"sqlite:///{empty}") is None  # no schema yet: the Store migrates it
    older = tmp_path / "older.db"
    engine = make_engine(f"sqlite:///{older}")
    try:
        migrate(engine, "0005")  # before Docker hosts
        assert open_lists(f"sqlite:///{older}") is None
        migrate(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0009'"))  # a later migration
    finally:
        engine.dispose()
    later = open_lists(f"sqlite:///{older}")
    assert later is not None and later.clusters() == []
    later.close()
