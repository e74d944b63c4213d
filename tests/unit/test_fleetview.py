"""The fleet table from stored records alone (no cluster is read), and with live readings over it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from core.operate.fleetview import Live, fleet, tag_of
from core.store.records import Cluster, Deployment

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def cluster(i: int, **labels: str) -> Cluster:
    return Cluster(
        f"c{i}",
        f"cluster-{i}",
        "ctx",
        "https://x",
        "apps",
        dict(labels),
        "ok",
        None,
        None,
        None,
        None,
        NOW,
        None,
    )


def record(cid: str, sid: str, image: str, *, minutes: int = 0, status: str = "ready") -> Deployment:
    name = sid.split(":")[1]
    workload = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": name, "image": image}]}}},
    }
    manifests = yaml.safe_dump(workload)
    return Deployment(
        f"{cid}-{sid}-{minutes}",
        cid,
        "apps",
        sid,
        name,
        manifests,
        [],
        status,
        None,
        False,
        NOW + timedelta(minutes=minutes),
        "ops@example.com",
    )


def test_fifty_clusters_by_forty_services_come_from_the_records_alone() -> None:
    clusters = [cluster(i) for i in range(50)]
    sids = [f"shop:svc{j}" for j in range(40)]
    records = [
        record(c.cluster_id, sid, f"ghcr.io/x/{sid[5:]}:1.{c.cluster_id[1:]}")
        for c in clusters
        for sid in sids
    ]
    view = fleet(sids, clusters, records)
    assert len(view["targets"]) == 50 and len(view["services"]) == 40
    cell = view["services"][3]["cells"]["cluster-7/apps"]
    assert (cell["tag"], cell["desired"], cell["ready"], cell["health"]) == ("1.7", 2, None, "unknown")
    assert cell["deployed_by"] == "ops@example.com"


def test_live_readings_mark_drift_and_an_unreachable_cluster() -> None:
    clusters = [cluster(1, env="prod"), cluster(2)]
    records = [
        record("c1", "shop:api", "nginx:1.27", minutes=1),
        record("c1", "shop:api", "nginx:1.26"),  # older
        record("c2", "shop:api", "nginx:1.27"),
        record("c2", "shop:web", "nginx:1.27", status="failed"),  # never counts
    ]
    live = {("c1", "apps", "api"): Live(1, 3, ("nginx:1.28",))}
    view = fleet(["shop:api", "shop:web"], clusters, records, live=live, reachable={"c1": True, "c2": False})
    api = view["services"][0]["cells"]
    assert (
        api["cluster-1/apps"]["tag"],
        api["cluster-1/apps"]["drift"],
        api["cluster-1/apps"]["health"],
    ) == ("1.28", "image", "degraded")
    assert api["cluster-2/apps"]["health"] == "unreachable"
    assert view["services"][1]["cells"] == {}
    prod = fleet(["shop:api"], clusters, records, labels={"env": "prod"})
    assert [t["target"] for t in prod["targets"]] == ["cluster-1/apps"]


def test_tags() -> None:
    assert tag_of("nginx") == "latest"
    assert tag_of("localhost:5000/a/b:2") == "2"
    assert tag_of("nginx@sha256:0123456789abcdef0123") == "sha256:0123456789ab"


@pytest.mark.parametrize(
    ("created_by", "shown"),
    [(None, "unknown"), ("local", "someone (no sign-in)"), ("cli:alice", "alice (command line)")],
)
def test_who_deployed_reads_as_on_every_page(created_by: str | None, shown: str) -> None:
    [c] = [cluster(1)]
    view = fleet(
        ["shop:svc0"], [c], [replace(record(c.cluster_id, "shop:svc0", "x:1"), created_by=created_by)]
    )
    [cell] = view["services"][0]["cells"].values()
    assert cell["deployed_by"] == shown
