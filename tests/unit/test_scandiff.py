"""What changed since the previous scan (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.catalog import load_catalog
from core.scan.diffs import diff_scans
from core.store.scans import Match, NamespaceError, ScanResult


def match(
    infra: str, service: str, *, ready: int = 1, endpoints: list[str] | None = None, **extra: Any
) -> Match:
    eps = endpoints if endpoints is not None else [f"{service}.ns.svc.cluster.local:1"]
    return Match(
        infra_type=infra,
        service=service,
        namespace="ns",
        service_type=extra.pop("service_type", "ClusterIP"),
        reason="test",
        ready_endpoints=ready,
        endpoints=eps,
        connection_string=f"x://{eps[0]}" if eps else None,
        extra={"ready": ready > 0, "pending": False, **extra},
    )


def result(
    scan_id: str, matches: list[Match], errors: list[str] | None = None, minute: int = 0
) -> ScanResult:
    return ScanResult(
        scan_id=scan_id,
        cluster_id="c1",
        namespaces=["ns"],
        scanned_at=datetime(2026, 11, 26, 10, minute, tzinfo=UTC),
        catalog=load_catalog().default_ports(),
        matches=matches,
        errors=[NamespaceError(namespace=n, reason="forbidden") for n in errors or []],
    )


def test_first_scan_has_nothing_to_compare() -> None:
    d = diff_scans(None, result("b" * 22, [match("redis", "redis")]))
    assert d.first_scan
    assert d.lines() == ["first scan of these namespaces: nothing to compare with"]
    assert d.to_json()["previous_scan_id"] is None


def test_identical_scans_are_unchanged() -> None:
    old = result("a" * 22, [match("redis", "redis")])
    new = result("b" * 22, [match("redis", "redis")], minute=5)
    d = diff_scans(old, new)
    assert d.unchanged
    assert d.lines() == [f"nothing changed since scan {'a' * 22} (2026-11-26T10:00:00Z)"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param([], [match("redis", "redis")], [("added", "redis", "redis", False)], id="added"),
        pytest.param([match("mongo", "mongo")], [], [("removed", "mongo", "mongo", False)], id="removed"),
        pytest.param(
            [match("postgres", "pg", ready=1)],
            [match("postgres", "pg", ready=0)],
            [("changed", "postgres", "pg", True)],
            id="became-not-ready",
        ),
        pytest.param(
            [match("postgres", "pg", ready=1)],
            [match("postgres", "pg", ready=3)],
            [("changed", "postgres", "pg", False)],
            id="more-ready-endpoints",
        ),
        pytest.param(
            [match("redis", "r", endpoints=["a:1"])],
            [match("redis", "r", endpoints=["a:1", "b:2"])],
            [("changed", "redis", "r", False)],
            id="new-endpoint",
        ),
        pytest.param(
            [match("redis", "r")],
            [match("redis", "r", service_type="NodePort")],
            [("changed", "redis", "r", False)],
            id="service-type",
        ),
        pytest.param(
            [match("redis", "a"), match("mongo", "m")],
            [match("mongo", "m"), match("redis", "b")],
            [("removed", "redis", "a", False), ("added", "redis", "b", False)],
            id="replaced",
        ),
    ],
)
def test_changes(old: list[Match], new: list[Match], expected: list[tuple[str, str, str, bool]]) -> None:
    d = diff_scans(result("a" * 22, old), result("b" * 22, new, minute=1))
    assert [(c.kind, c.infra_type, c.service, c.readiness_changed) for c in d.changes] == expected
    assert not d.unchanged


def test_details_explain_the_change() -> None:
    old = result("a" * 22, [match("postgres", "pg", ready=1, endpoints=["pg:5432"])])
    new = result("b" * 22, [match("postgres", "pg", ready=0, endpoints=["pg:5432", "10.0.0.1:30432"])])
    (change,) = diff_scans(old, new).changes
    assert change.details == ("ready endpoints 1 -> 0 (not ready)", "new endpoints 10.0.0.1:30432")
    assert change.line() == (
        "~ postgres: ns/pg changed (ready endpoints 1 -> 0 (not ready); new endpoints 10.0.0.1:30432)"
    )


def test_types_found_and_lost_and_namespace_errors() -> None:
    old = result("a" * 22, [match("redis", "redis")], errors=["locked"])
    new = result("b" * 22, [match("mongo", "mongo")], errors=["other"])
    d = diff_scans(old, new)
    assert (d.types_found, d.types_lost) == (("mongo",), ("redis",))
    assert (d.errors_added, d.errors_cleared) == (("other",), ("locked",))
    data = d.to_json()
    assert data["summary"][:2] == ["now found: mongo", "no longer found: redis"]
    assert "namespace other can no longer be read" in data["summary"]


def test_a_diff_survives_its_json() -> None:
    """The store keeps a scan's diff as JSON; reading it back gives the same diff."""
    from core.scan.diffs import Change, ScanDiff

    diff = ScanDiff(
        previous_scan_id="p" * 22,
        previous_scanned_at="2026-01-01T00:00:00Z",
        changes=(
            Change("added", "redis", "shop", "cache", details=("cache.shop.svc:6379",)),
            Change(
                "changed", "mongo", "shop", "db", details=("ready endpoints 1 -> 0",), readiness_changed=True
            ),
        ),
        types_found=("redis",),
        types_lost=("kafka",),
        errors_added=("vault",),
        errors_cleared=("mail",),
        compared_namespaces=("shop",),
    )
    assert ScanDiff.from_json(diff.to_json()) == diff
    assert ScanDiff.from_json(ScanDiff(previous_scan_id=None).to_json()).first_scan
