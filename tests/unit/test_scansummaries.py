"""Lists of scans read summaries, never match rows; a scan's diff is kept with it (real databases)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from core.naming import new_id
from core.scan.diffs import ScanDiff, diff_scans
from core.scan.reports import changes_since_previous
from core.store.scans import Match, NamespaceError, ScanResult
from core.store.store import Store
from core.store.summaries import ScanSummary


@pytest.fixture(autouse=True)
def _both_backends(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHADOW_TEST_DATABASE_URL", database_url)


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL the store sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def _cluster(store: Store, name: str) -> str:
    return store.add_cluster(
        name=name, context="c", server="https://k:6443", namespace="shop", labels={}, credential=b"x",
        status="connected", version=None, node_count=None, error=None,
    ).cluster_id  # fmt: skip


def _scan(cluster_id: str, at: datetime, services: list[str], *, errors: int = 0) -> ScanResult:
    return ScanResult(
        scan_id=new_id(),
        cluster_id=cluster_id,
        namespaces=["shop", "mail"],
        scanned_at=at,
        catalog={"mongo": 27017, "redis": 6379, "postgres": 5432},
        matches=[
            Match(
                infra_type=s.split("-")[0],
                service=s,
                namespace="shop",
                service_type="ClusterIP",
                ready_endpoints=1,
                endpoints=[f"{s}.shop.svc.cluster.local:1"],
            )
            for s in services
        ],
        errors=[NamespaceError(namespace=f"ns{i}", reason="forbidden") for i in range(errors)],
        duration_ms=7,
        created_by="alice",
    )


def test_lists_of_scans_are_summaries_read_without_match_rows(store: Store) -> None:
    a, b = _cluster(store, "a"), _cluster(store, "b")
    now = datetime.now(UTC)
    older = store.save_scan(_scan(a, now - timedelta(minutes=1), ["redis-1"], errors=2))
    newer = store.save_scan(_scan(a, now, ["postgres-1", "redis-1", "redis-2"]))
    other = store.save_scan(_scan(b, now, []))
    with statements(store) as sent:
        listed = store.list_scan_summaries("a")
        latest = store.latest_scan_summaries()
        before = store.summaries_before(newer)
    assert listed == [ScanSummary.of(newer), ScanSummary.of(older)]
    assert listed[0].found == ["redis", "postgres"] and listed[0].match_count == 3
    assert listed[1].error_count == 2
    assert latest == {a: ScanSummary.of(newer), b: ScanSummary.of(other)}
    assert before == [ScanSummary.of(older)]
    assert sent and not [s for s in sent if "scan_matches" in s]


def test_a_scans_diff_is_kept_and_read_back(store: Store) -> None:
    cid = _cluster(store, "a")
    now = datetime.now(UTC)
    first = store.save_scan(_scan(cid, now - timedelta(minutes=1), ["redis-1"]))
    second = store.save_scan(_scan(cid, now, ["redis-1", "mongo-1"]))
    assert store.scan_changes(second.scan_id) is None  # stored before diffs were kept
    diff = changes_since_previous(store, second)
    assert diff == diff_scans(first, second)
    assert store.scan_changes(second.scan_id) == diff.to_json()
    with statements(store) as sent:
        again = changes_since_previous(store, second)
    assert again == diff
    assert not [s for s in sent if "scan_matches" in s]  # read back, not computed from the scans


def test_a_scan_stored_with_its_diff_keeps_it(store: Store) -> None:
    cid = _cluster(store, "a")
    scan = _scan(cid, datetime.now(UTC), ["redis-1"])
    kept = ScanDiff(previous_scan_id="p" * 22, previous_scanned_at="2026-01-01T00:00:00Z")
    store.save_scan(scan, changes=kept.to_json())
    assert changes_since_previous(store, scan) == kept


def test_a_list_of_deployments_leaves_their_manifests_unread(store: Store) -> None:
    cid = _cluster(store, "a")
    store.record_deployment(
        cluster_id=cid, namespace="shop", service_id="app:web", name="web", manifests="kind: Service\n" * 500,
        resources=[{"action": "created"}], status="ready", message=None, dry_run=False,
    )  # fmt: skip
    with statements(store) as sent:
        [listed] = store.list_deployments("a", manifests=False)
    assert (listed.name, listed.status, listed.manifests) == ("web", "ready", "")
    assert not [s for s in sent if "manifests" in s.split("FROM")[0]]
    [whole] = store.list_deployments("a")
    assert whole.manifests == "kind: Service\n" * 500 and whole.to_json() == listed.to_json()


def test_the_wiring_scan_falls_back_to_the_newest_scan_that_found_anything(store: Store) -> None:
    cid = _cluster(store, "a")
    now = datetime.now(UTC)
    found = store.save_scan(_scan(cid, now - timedelta(minutes=2), ["redis-1"]).model_copy(
        update={"namespaces": ["other"]}))  # fmt: skip
    empty = store.save_scan(_scan(cid, now, []).model_copy(update={"namespaces": ["shop"]}))
    assert store.wiring_scan("a", "shop") == found  # its own namespace's scan found nothing
    assert store.wiring_scan("a", "other") == found
    assert store.wiring_scan("a", "mail") == found
    store.save_scan(_scan(cid, now + timedelta(minutes=1), []).model_copy(update={"namespaces": ["mail"]}))
    assert empty.matches == [] and store.wiring_scan("a", "shop") == found
