"""The Workloads table's drift column under ``AppTest``, against the local control plane: a hand
edit reads "cluster drift", an untouched service "in sync", and the row's link opens its Drift tab
with the diff already there."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from core.deploy.deploying import deploy_service
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, register
from tests.support.pagekit import open_page

pytestmark = pytest.mark.cluster


@pytest.fixture(autouse=True)
def shop_registry(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(REGISTRY))
    monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "60")  # a busy machine: the check answers in time


def test_the_drift_column_and_its_link_to_the_diff(
    store: Store, settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    cluster = store.get_cluster(register(store, settings, Path(admin_kubeconfig).read_text(), namespace))
    for sid, env in (("shop:shop-api", {"SHOP_API_KEY": "k"}), ("shop:worker", {"WORKER_TOKEN": "t"})):
        done = deploy_service(store, settings, cluster=cluster.cluster_id, service_id=sid, env=env,
                              wait=True, registry_dirs=[REGISTRY])  # fmt: skip
        assert done.status == "ready", done.message
    client.AppsV1Api(kube_api).patch_namespaced_deployment(
        "shop-api", namespace, {"spec": {"replicas": 2}}, field_manager="kubectl-edit", _request_timeout=10
    )
    at = open_page("workloads", timeout=180, cluster=cluster.cluster_id, namespace=namespace)
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("workload")
    assert table.loc["Deployment/shop-api", "drift"] == "cluster drift (1 field(s))"
    assert table.loc["Deployment/worker", "drift"] == "in sync"
    link = table.loc["Deployment/shop-api", "diff"]
    assert link == f"workloads?cluster={cluster.cluster_id}&namespace={namespace}&service=shop-api&tab=drift"

    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    at = open_page("workloads", timeout=180, **query)
    assert not at.exception, at.exception
    # the Drift tab shows the diff the column's check found, without a click
    diff = next(d.value for d in at.dataframe if "field" in d.value.columns)
    assert list(diff["field"]) == ["Deployment/shop-api spec.replicas"]
    assert list(diff["kind"]) == ["cluster"]
