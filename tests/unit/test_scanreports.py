"""The document a stored scan is handed out as (the CLI's ``--json`` and the Scan page's download)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.catalog import load_catalog
from core.naming import new_id
from core.scan.reports import changes_since_previous, scan_document
from core.store.scans import Match, ScanResult
from core.store.store import Store

LINK = "https://ops.example.com/scan?scan="


def result(cluster_id: str, *, minute: int, ready: int, namespaces: list[str] | None = None) -> ScanResult:
    return ScanResult(
        scan_id=new_id(),
        cluster_id=cluster_id,
        namespaces=namespaces or ["shop"],
        scanned_at=datetime(2026, 1, 2, 10, minute, tzinfo=UTC),
        catalog=load_catalog().default_ports(),
        matches=[
            Match(
                infra_type="redis",
                service="redis",
                namespace="shop",
                service_type="ClusterIP",
                ready_endpoints=ready,
                endpoints=["redis.shop.svc.cluster.local:6379"],
                extra={"ready": ready > 0},
            )
        ],
    )


def test_the_document_is_the_contract_shape_with_cluster_and_changes(store: Store) -> None:
    cluster_id = store.add_cluster(
        name="prod", context="c", server="https://127.0.0.1:1", namespace="shop", labels={},
        credential=b"{}", status="connected", version=None, node_count=None, error=None,
    ).cluster_id  # fmt: skip
    first = store.save_scan(result(cluster_id, minute=0, ready=1))
    store.save_scan(result(cluster_id, minute=3, ready=1, namespaces=["other"]))  # not the same namespaces
    second = store.save_scan(result(cluster_id, minute=5, ready=0))
    link = LINK + second.scan_id
    doc = scan_document(second, link=link, cluster_name="prod", changes=changes_since_previous(store, second))

    assert {k: v for k, v in doc.items() if k not in {"cluster", "changes"}} == second.to_json(link)
    assert doc["cluster"] == "prod"
    assert doc["changes"]["previous_scan_id"] == first.scan_id
    assert doc["changes"]["summary"] == ["~ redis: shop/redis changed (ready endpoints 1 -> 0 (not ready))"]
    assert changes_since_previous(store, first).first_scan


def test_a_scan_of_more_namespaces_is_compared_on_those_both_read(store: Store) -> None:
    cluster_id = store.add_cluster(
        name="prod", context="c", server="https://127.0.0.1:1", namespace="shop", labels={},
        credential=b"{}", status="connected", version=None, node_count=None, error=None,
    ).cluster_id  # fmt: skip
    first = store.save_scan(result(cluster_id, minute=0, ready=1))
    wider = result(cluster_id, minute=5, ready=0, namespaces=["shop", "billing"])
    extra = Match(infra_type="postgres", service="pg", namespace="billing", service_type="ClusterIP")
    wider = store.save_scan(wider.model_copy(update={"matches": [*wider.matches, extra]}))
    diff = changes_since_previous(store, wider)
    assert diff.previous_scan_id == first.scan_id and diff.compared_namespaces == ("shop",)
    # billing was not read before: its postgres is not "new", shop's redis did change
    assert diff.lines() == ["~ redis: shop/redis changed (ready endpoints 1 -> 0 (not ready))"]
    unrelated = store.save_scan(result(cluster_id, minute=9, ready=0, namespaces=["elsewhere"]))
    assert changes_since_previous(store, unrelated).first_scan
