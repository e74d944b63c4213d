"""The Scan page's tables, texts and CSV, built from stored scans (pure: no cluster, no browser)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

from core.store.scans import Match, NamespaceError, ScanResult
from core.store.summaries import ScanSummary
from core.views.scans import (
    ERROR_COLUMNS,
    HISTORY_COLUMNS,
    MATCH_COLUMNS,
    SUMMARY_COLUMNS,
    download_stem,
    errors_table,
    history_table,
    known_namespaces,
    matches_csv,
    matches_table,
    namespaces_text,
    readiness,
    summary_table,
    type_readiness,
    utc,
    when,
    where,
)

CATALOG = {"postgres": 5432, "redis": 6379, "rabbitmq": 5672}
AT = datetime(2026, 1, 2, 10, 5, 7, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def match(
    infra_type: str = "redis",
    service: str = "redis",
    *,
    ready_endpoints: int = 1,
    endpoints: list[str] | None = None,
    **extra: Any,
) -> Match:
    return Match(
        infra_type=infra_type,
        service=service,
        namespace="shop",
        service_type="ClusterIP",
        reason=f"pod image {infra_type}",
        ready_endpoints=ready_endpoints,
        endpoints=[f"{service}.shop.svc.cluster.local:{CATALOG[infra_type]}"]
        if endpoints is None
        else endpoints,
        connection_string=f"{infra_type}://{service}.shop.svc.cluster.local",
        extra=extra,
    )


def scan(
    scan_id: str = "a" * 22,
    *,
    matches: list[Match] | None = None,
    namespaces: list[str] | None = None,
    all_namespaces: bool = False,
    errors: list[NamespaceError] | None = None,
    scanned_at: datetime = AT,
    created_by: str | None = "alice",
) -> ScanResult:
    return ScanResult(
        scan_id=scan_id,
        cluster_id="c1",
        namespaces=["shop"] if namespaces is None else namespaces,
        all_namespaces=all_namespaces,
        scanned_at=scanned_at,
        catalog=CATALOG,
        matches=matches or [],
        errors=errors or [],
        created_by=created_by,
    )


# -- texts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 1, 2, 10, 5), datetime(2026, 1, 2, 10, 5, tzinfo=UTC)),  # naive: taken as UTC
        (datetime(2026, 1, 2, 12, 5, tzinfo=PLUS_TWO), datetime(2026, 1, 2, 10, 5, tzinfo=UTC)),
        (AT, AT),
    ],
)
def test_utc(value: datetime, expected: datetime) -> None:
    got = utc(value)
    assert got == expected and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (AT, "2026-01-02 10:05:07 UTC"),
        (datetime(2026, 1, 2, 1, 0, tzinfo=PLUS_TWO), "2026-01-01 23:00:00 UTC"),  # the day before
        (datetime(2026, 1, 2, 10, 5, 7, 999), "2026-01-02 10:05:07 UTC"),  # no microseconds
    ],
)
def test_when(value: datetime, expected: str) -> None:
    assert when(value) == expected


@pytest.mark.parametrize(
    ("namespaces", "every", "expected"),
    [
        (["shop"], False, "shop"),
        (["shop", "billing"], False, "shop, billing"),
        (["shop"], True, "all namespaces"),
        ([], True, "all namespaces"),
        ([], False, ""),
    ],
)
def test_namespaces_text_and_where(namespaces: list[str], every: bool, expected: str) -> None:
    assert namespaces_text(namespaces, every) == expected
    assert where(scan(namespaces=namespaces, all_namespaces=every)) == expected


@pytest.mark.parametrize(
    ("cluster", "scanned_at", "expected"),
    [
        ("prod", AT, "scan-prod-20260102-100507"),
        ("prod", datetime(2026, 1, 2, 1, 0, tzinfo=PLUS_TWO), "scan-prod-20260101-230000"),
        ("kind-dev", datetime(2026, 12, 31, 23, 59, 59), "scan-kind-dev-20261231-235959"),
    ],
)
def test_download_stem(cluster: str, scanned_at: datetime, expected: str) -> None:
    assert download_stem(cluster, scan(scanned_at=scanned_at)) == expected


@pytest.mark.parametrize(
    ("own", "scanned", "expected"),
    [
        ("shop", [], ["shop"]),
        ("shop", [["shop"]], ["shop"]),
        ("shop", [["billing", "shop"], ["mail"]], ["shop", "billing", "mail"]),
        ("shop", [["mail"], ["billing", "mail"]], ["shop", "mail", "billing"]),
    ],
)
def test_known_namespaces_own_first_then_scanned_each_once(
    own: str, scanned: list[list[str]], expected: list[str]
) -> None:
    assert known_namespaces(own, [scan(namespaces=ns) for ns in scanned]) == expected


@pytest.mark.parametrize(
    ("ready", "extra", "expected"),
    [
        (1, {"ready": True}, "ready"),
        (2, {}, "ready"),
        (0, {"ready": False}, "not ready"),
        (0, {}, "not ready"),
        (0, {"ready": None}, "unknown"),  # the EndpointSlices could not be read
    ],
)
def test_readiness(ready: int, extra: dict[str, Any], expected: str) -> None:
    assert readiness(match(ready_endpoints=ready, **extra)) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], ""),
        ([1], "ready"),
        ([1, 3], "ready"),
        ([0, 0], "not ready"),
        ([None], "unknown"),
        ([1, 0], "1 of 2 ready"),
        ([1, None, 0], "1 of 3 ready"),
        ([0, None], "0 of 2 ready"),
    ],
)
def test_type_readiness(states: list[int | None], expected: str) -> None:
    matches = [
        match(ready_endpoints=0, ready=None) if s is None else match(ready_endpoints=s) for s in states
    ]
    assert type_readiness(matches) == expected


# -- tables ---------------------------------------------------------------------------------------


def test_summary_table_lists_every_catalog_type_found_ones_first() -> None:
    result = scan(
        matches=[
            match("redis", "redis", ready_endpoints=1),
            match("rabbitmq", "mq", ready_endpoints=0, endpoints=[]),
            match("rabbitmq", "mq-2", ready_endpoints=2),
        ]
    )
    table = summary_table(result)
    assert tuple(table.columns) == SUMMARY_COLUMNS
    assert list(table["type"]) == ["redis", "rabbitmq", "postgres"]  # found first, catalog order kept
    rows = {r["type"]: r for r in table.to_dict("records")}
    assert rows["redis"] == {
        "type": "redis",
        "found": True,
        "services": 1,
        "default port": 6379,
        "main endpoint": "redis.shop.svc.cluster.local:6379",
        "ready endpoints": 1,
        "readiness": "ready",
    }
    assert rows["rabbitmq"]["main endpoint"] == ""  # the primary Service has no endpoint
    assert rows["rabbitmq"]["ready endpoints"] == 2 and rows["rabbitmq"]["readiness"] == "1 of 2 ready"
    assert rows["postgres"] == {
        "type": "postgres",
        "found": False,
        "services": 0,
        "default port": 5432,
        "main endpoint": "",
        "ready endpoints": 0,
        "readiness": "",
    }


@pytest.mark.parametrize(
    ("extra", "connection", "service_type", "readiness_text"),
    [
        ({}, "redis://redis.shop.svc.cluster.local", "ClusterIP", "ready"),
        ({"pending": True}, "redis://redis.shop.svc.cluster.local", "ClusterIP (pending)", "ready"),
        ({"pending": False, "ready": None}, None, "ClusterIP", "unknown"),
    ],
)
def test_matches_table_one_row_per_service(
    extra: dict[str, Any], connection: str | None, service_type: str, readiness_text: str
) -> None:
    m = match(**extra).model_copy(update={"connection_string": connection})
    table = matches_table(scan(matches=[m]))
    assert tuple(table.columns) == MATCH_COLUMNS
    (row,) = table.to_dict("records")
    assert row["service type"] == service_type and row["readiness"] == readiness_text
    assert row["connection string"] == (connection or "")
    assert row["endpoints"] == ["redis.shop.svc.cluster.local:6379"] and row["reason"] == "pod image redis"


def test_empty_tables_keep_their_columns() -> None:
    empty = scan()
    assert tuple(matches_table(empty).columns) == MATCH_COLUMNS and matches_table(empty).empty
    assert tuple(errors_table(empty).columns) == ERROR_COLUMNS and errors_table(empty).empty
    assert tuple(history_table([], None).columns) == HISTORY_COLUMNS and history_table([], None).empty


@pytest.mark.parametrize(
    ("endpoints", "cell"),
    [
        (["a:1"], "a:1"),
        (["a:1", "b:2"], "a:1 b:2"),
        ([], ""),
    ],
)
def test_matches_csv_joins_the_endpoints_into_one_cell(endpoints: list[str], cell: str) -> None:
    table = matches_table(scan(matches=[match(endpoints=endpoints)]))
    rows = list(csv.DictReader(io.StringIO(matches_csv(table))))
    assert list(rows[0]) == list(MATCH_COLUMNS)
    assert rows[0]["endpoints"] == cell and rows[0]["service"] == "redis"
    assert table["endpoints"][0] == endpoints  # the shown table keeps its list


def test_errors_table() -> None:
    result = scan(errors=[NamespaceError(namespace="vault", reason="forbidden")])
    assert errors_table(result).to_dict("records") == [{"namespace": "vault", "reason": "forbidden"}]


@pytest.mark.parametrize(
    ("shown_index", "flags"), [(None, [False, False]), (0, [True, False]), (1, [False, True])]
)
def test_history_table_marks_the_scan_on_show(shown_index: int | None, flags: list[bool]) -> None:
    scans = [
        scan("b" * 22, matches=[match()], all_namespaces=True, created_by=None),
        scan(
            "c" * 22,
            namespaces=["shop", "mail"],
            scanned_at=datetime(2026, 1, 1, 9, 0),
            errors=[NamespaceError(namespace="mail", reason="forbidden")],
        ),
    ]
    table = history_table(
        [ScanSummary.of(s) for s in scans], None if shown_index is None else scans[shown_index]
    )
    assert list(table["shown"]) == flags
    newest, older = table.to_dict("records")
    assert newest["namespaces"] == "all namespaces" and newest["found"] == ["redis"]
    assert newest["services"] == 1 and newest["errors"] == 0 and newest["by"] == "unknown"
    assert newest["link"] == f"scan?scan={'b' * 22}"
    assert older["namespaces"] == "shop, mail" and older["found"] == [] and older["errors"] == 1
    assert older["by"] == "alice"
    assert pd.Timestamp(older["when"]) == pd.Timestamp("2026-01-01 09:00", tz="UTC")  # naive read as UTC


def test_history_names_who_scanned_as_every_page_does() -> None:
    scans = [
        scan("d" * 22, created_by="local"),
        scan("e" * 22, created_by="bob"),
        scan("f" * 22, created_by="cli:carol"),
    ]
    table = history_table([ScanSummary.of(s) for s in scans], None)
    assert list(table["by"]) == ["someone (no sign-in)", "bob", "carol (command line)"]
