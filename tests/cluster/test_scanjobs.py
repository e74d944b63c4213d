"""Scanning many clusters at once: each cluster's failure is its own, the rest are stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from core.cli import main as cli
from core.clusters import registering as ops
from core.scan.jobs import run_scans
from core.settings import Settings
from core.store.store import Store
from tests.support.kubeconfig_factory import dump

pytestmark = pytest.mark.cluster


@pytest.fixture
def three_clusters(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> list[str]:
    admin = Path(admin_kubeconfig).read_text()
    dead = yaml.safe_load(admin)
    dead["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    ops.add_cluster(store, settings, name="one", kubeconfig=admin, namespace=namespace)
    ops.add_cluster(store, settings, name="two", kubeconfig=admin, namespace=namespace)
    ops.add_cluster(store, settings, name="dead", kubeconfig=dump(dead), save_unreachable=True)
    return ["one", "two", "dead"]


def test_many_clusters_scan_in_parallel_and_failures_stay_local(
    store: Store, settings: Settings, three_clusters: list[str], namespace: str
) -> None:
    outcomes = run_scans(store, settings, three_clusters)
    by_ref = {o.cluster_ref: o for o in outcomes}
    assert by_ref["one"].result is not None and by_ref["one"].result.namespaces == [namespace]
    assert by_ref["two"].result is not None
    assert by_ref["dead"].result is None
    assert "Connection refused" in str(by_ref["dead"].error)
    assert store.count_scans() == 2


def test_cli_scans_several_clusters(
    store: Store, three_clusters: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(["scan", "one", "two", "dead", "--json"])
    docs = json.loads(capsys.readouterr().out)
    assert code == 5
    assert [d["cluster"] for d in docs] == ["one", "two", "dead"]
    assert all("infra_services" in d for d in docs[:2])
    assert "error" in docs[2] and "hint" in docs[2]
