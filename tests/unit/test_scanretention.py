"""Scheduled scans do not grow the database without bound: an unchanged scan is stored as a
reference to the previous one, and ``scans prune`` applies ``USHADOW_SCAN_RETENTION`` (real SQLite
and PostgreSQL; the retention rules themselves as a pure table)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.cli import main
from core.errors import InvalidInput, NotFound, Pruned
from core.naming import new_id
from core.scan.reports import changes_since_previous, keep_changes
from core.settings import Settings
from core.store.models import PrunedScanRow, ScanMatchRow
from core.store.retention import Retention, StoredScan, Tier, parse_retention, plan_prune
from core.store.scans import Match, ScanResult
from core.store.store import Store

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def _both_backends(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHADOW_TEST_DATABASE_URL", database_url)


# -- the setting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tiers"),
    [
        (None, (Tier("all", timedelta(days=30)), Tier("daily", None))),
        ("all", (Tier("all", None),)),
        (
            "all:36h, hourly:7d ,daily:8w,weekly",
            (
                Tier("all", timedelta(hours=36)),
                Tier("hourly", timedelta(days=7)),
                Tier("daily", timedelta(weeks=8)),
                Tier("weekly", None),
            ),
        ),
        ("all:7d,daily:90d", (Tier("all", timedelta(days=7)), Tier("daily", timedelta(days=90)))),
    ],
)
def test_retention_syntax(text: str | None, tiers: tuple[Tier, ...]) -> None:
    assert parse_retention(text).tiers == tiers


@pytest.mark.parametrize(
    "text", ["forever", "all:30", "all:30m", "daily,all:3d", "all:30d,daily:7d", "all,daily"]
)
def test_bad_retention_is_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidInput, match="USHADOW_SCAN_RETENTION") as err:
        parse_retention(text)
    assert err.value.hint and "all:30d,daily" in err.value.hint


def _stored(target: str, hours_ago: float) -> StoredScan:
    return StoredScan(f"{target}-{hours_ago}", target, NOW - timedelta(hours=hours_ago))


def test_every_scan_for_30_days_then_the_newest_of_each_day_per_target() -> None:
    scans = [_stored("a", h) for h in (1, 2, 24 * 29, 24 * 31, 24 * 31 + 1, 24 * 31 + 2, 24 * 40)]
    scans += [_stored("b", 24 * 31 + 3)]  # another target: its own day, kept
    verdicts = plan_prune(scans, parse_retention(None), NOW)
    # 31 days ago at 11:00, 10:00, 09:00 fall on one day: the newest (11:00) stays
    assert [(v.scan_id, v.kept_id) for v in verdicts] == [("a-746", "a-744"), ("a-745", "a-744")]


def test_a_last_tier_with_an_age_prunes_older_scans_but_never_a_targets_newest() -> None:
    retention = Retention((Tier("all", timedelta(days=1)),), "all:1d")
    verdicts = plan_prune([_stored("a", 2), _stored("a", 50), _stored("b", 70)], retention, NOW)
    assert [(v.scan_id, v.kept_id) for v in verdicts] == [("a-50", None)]


# -- references ---------------------------------------------------------------------------------


def _cluster(store: Store, name: str = "a") -> str:
    return store.add_cluster(
        name=name, context="c", server="https://k:6443", namespace="shop", labels={}, credential=b"x",
        status="connected", version=None, node_count=None, error=None,
    ).cluster_id  # fmt: skip


def _scan(cid: str, at: datetime, services: list[str], *, namespaces: list[str] | None = None) -> ScanResult:
    return ScanResult(
        scan_id=new_id(), cluster_id=cid, namespaces=namespaces or ["shop"], scanned_at=at,
        catalog={"redis": 6379, "postgres": 5432},
        matches=[
            Match(infra_type=s.split("-")[0], service=s, namespace="shop", service_type="ClusterIP",
                  ready_endpoints=1, endpoints=[f"{s}.shop.svc.cluster.local:1"])
            for s in services
        ],
    )  # fmt: skip


def _own_match_rows(store: Store, scan_id: str) -> int:
    with store._session() as session:
        return int(session.scalar(select(func.count()).where(ScanMatchRow.scan_id == scan_id)) or 0)


def _save(store: Store, scan: ScanResult) -> ScanResult:
    saved = store.save_scan(scan)
    keep_changes(store, saved)
    return saved


@pytest.mark.usefixtures("_both_backends")
def test_an_unchanged_scan_is_a_reference_that_reads_back_whole(store: Store) -> None:
    cid = _cluster(store)
    first = _save(store, _scan(cid, NOW - timedelta(minutes=30), ["redis-1", "postgres-1"]))
    second = _save(store, _scan(cid, NOW - timedelta(minutes=15), ["redis-1", "postgres-1"]))
    other_ns = _save(
        store, _scan(cid, NOW - timedelta(minutes=10), ["redis-1", "postgres-1"], namespaces=["mail"])
    )
    third = _save(store, _scan(cid, NOW, ["redis-1", "postgres-1"]))
    assert _own_match_rows(store, first.scan_id) == 2
    assert _own_match_rows(store, second.scan_id) == 0 and _own_match_rows(store, third.scan_id) == 0
    assert _own_match_rows(store, other_ns.scan_id) == 2  # another target: stored whole
    # a reference reads back as the whole scan, under its own id and time
    assert store.get_scan(second.scan_id) == second and store.get_scan(third.scan_id) == third
    summaries = {s.scan_id: s for s in store.list_scan_summaries("a")}
    assert summaries[third.scan_id].same_as == first.scan_id  # never a reference to a reference
    assert summaries[third.scan_id].match_count == 2 and summaries[third.scan_id].found == [
        "redis",
        "postgres",
    ]
    diff = changes_since_previous(store, third)
    assert diff.unchanged and diff.previous_scan_id == second.scan_id
    # a change is stored whole again
    fourth = _save(store, _scan(cid, NOW + timedelta(minutes=15), ["redis-1"]))
    assert _own_match_rows(store, fourth.scan_id) == 1 and store.get_scan(fourth.scan_id) == fourth


@pytest.mark.usefixtures("_both_backends")
def test_pruning_keeps_references_whole_and_a_pruned_link_says_so(store: Store) -> None:
    cid = _cluster(store)
    day = timedelta(days=1)
    old = [_save(store, _scan(cid, NOW - 40 * day + timedelta(hours=h), ["redis-1"])) for h in range(3)]
    recent = _save(store, _scan(cid, NOW - timedelta(hours=1), ["redis-1"]))
    assert [_own_match_rows(store, s.scan_id) for s in [*old, recent]] == [1, 0, 0, 0]
    retention = parse_retention("all:30d,daily")
    dry = store.prune_scans(retention, now=NOW, dry_run=True)
    assert dry.to_json()["pruned"] == 2 and store.count_scans() == 4
    report = store.prune_scans(retention, now=NOW)
    assert [v.scan_id for v in report.pruned] == [old[0].scan_id, old[1].scan_id]
    assert report.promoted == 1 and store.count_scans() == 2
    # the base scan was pruned: its match rows moved to the oldest kept reference
    assert store.get_scan(old[2].scan_id) == old[2] and store.get_scan(recent.scan_id) == recent
    with pytest.raises(Pruned, match="pruned by retention") as err:
        store.get_scan(old[0].scan_id)
    assert old[2].scan_id in err.value.message and isinstance(err.value, NotFound)
    # nothing left to prune; tombstones go after a year
    assert store.prune_scans(retention, now=NOW).to_json()["pruned"] == 0
    later = store.prune_scans(retention, now=NOW + timedelta(days=400))
    assert later.tombstones_dropped == 2
    with store._session() as session:
        assert session.scalar(select(func.count()).select_from(PrunedScanRow)) == 0


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else out.err


@pytest.mark.usefixtures("_both_backends")
def test_scans_prune_and_a_pruned_scans_link_through_the_cli(
    store: Store, settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _cluster(store)
    now = datetime.now(UTC)
    gone = _save(store, _scan(cid, now - timedelta(days=40, hours=2), ["redis-1"]))
    _save(store, _scan(cid, now - timedelta(days=40, hours=1), ["redis-1", "postgres-1"]))
    _save(store, _scan(cid, now, ["redis-1"]))
    monkeypatch.setenv("USHADOW_SCAN_RETENTION", "all:30d,daily")
    code, dry = _cli(capsys, "scans", "prune", "--dry-run")
    assert code == 0 and dry["dry_run"] and dry["pruned"] == 1 and store.count_scans() == 3
    code, done = _cli(capsys, "scans", "prune")
    assert code == 0 and done["pruned"] == 1 and done["pruned_scans"][0]["scan_id"] == gone.scan_id
    assert store.count_scans() == 2
    assert main(["scans", "show", "--", gone.scan_id]) == 3  # (an id may start with "-")
    err = capsys.readouterr().err
    assert "pruned by retention" in err and "Traceback" not in err
    monkeypatch.setenv("USHADOW_SCAN_RETENTION", "daily,all")
    assert main(["scans", "prune"]) == 2
    assert "USHADOW_SCAN_RETENTION" in capsys.readouterr().err


@pytest.mark.usefixtures("_both_backends")
def test_migration_0005_up_and_down_keeps_every_scan_whole(settings: Settings) -> None:
    from alembic import command

    from core.store.databases import alembic_config, make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine, "0004")
    engine.dispose()
    store = Store.open(settings)  # to head (0005)
    try:
        cid = _cluster(store)
        scans = [
            _save(store, _scan(cid, NOW + timedelta(minutes=m), ["redis-1", "postgres-1"])) for m in (0, 15)
        ]
        assert _own_match_rows(store, scans[1].scan_id) == 0
    finally:
        store.close()
    engine = make_engine(settings.database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0004")  # the reference gets its own match rows back
        with engine.connect() as connection:
            counts = dict(connection.execute(
                select(ScanMatchRow.scan_id, func.count()).group_by(ScanMatchRow.scan_id)
            ).all())  # fmt: skip
        assert counts == {scans[0].scan_id: 2, scans[1].scan_id: 2}
    finally:
        engine.dispose()
    store = Store.open(settings)
    try:
        assert [store.get_scan(s.scan_id) for s in scans] == scans
    finally:
        store.close()
