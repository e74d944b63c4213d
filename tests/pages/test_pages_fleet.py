"""The Fleet page and the Workloads page's Events, Drift and History tabs under ``AppTest``, against
the local control plane."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kubernetes import client
from streamlit.testing.v1 import AppTest

from core.deploy.deploying import deploy_service
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, register
from tests.support.pagekit import open_page as open_any_page
from tests.support.pagekit import texts

pytestmark = pytest.mark.cluster


@pytest.fixture
def registry(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY, folder)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(folder))
    return folder


@pytest.fixture
def cluster_id(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    return store.get_cluster("local").cluster_id


def open_page(page: str, **query: str) -> AppTest:
    return open_any_page(page, timeout=120, **query)


def _deploy(store: Store, registry: Path) -> None:
    settings = Settings.load()
    outcome = deploy_service(
        store,
        settings,
        cluster="local",
        service_id="shop:shop-api",
        env={"SHOP_API_KEY": "page-Secret-77"},
        wait=True,
        timeout=120,
        registry_dirs=[registry],
    )
    assert outcome.status == "ready", outcome.message


def test_fleet_page_draws_from_records_then_reads_the_clusters(
    cluster_id: str, store: Store, registry: Path, namespace: str
) -> None:
    _deploy(store, registry)
    broken = deploy_service(
        store, Settings.load(), cluster="local", service_id="shop:broken", wait=True, timeout=120,
        registry_dirs=[registry],
    )  # fmt: skip
    assert broken.status == "failed"  # its rollout never got ready: the workload is there, failing
    at = open_page("fleet")
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    frame = getattr(frame, "data", frame)  # a Styler carries its frame
    (row,) = frame[frame["service"] == "shop:shop-api"].to_dict("records")
    cell = row[f"local/{namespace}"]
    assert cell.startswith("1.27-alpine · ?/1")  # from the record alone: nothing read yet

    at.button(key="fleet_read").click().run()
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    frame = getattr(frame, "data", frame)
    (row,) = frame[frame["service"] == "shop:shop-api"].to_dict("records")
    assert row[f"local/{namespace}"].startswith("1.27-alpine · 1/1")
    (row,) = frame[frame["service"] == "shop:broken"].to_dict("records")
    assert row[f"local/{namespace}"].startswith("does-not-exist · 0/1 · failing: ImagePullBackOff")


def test_workloads_events_drift_and_roll_back_to_an_earlier_deploy(
    cluster_id: str, store: Store, registry: Path, namespace: str, kube_api: client.ApiClient
) -> None:
    _deploy(store, registry)
    compose = registry / "shop.yaml"
    compose.write_text(compose.read_text().replace("nginx:1.27-alpine", "nginx:1.28-alpine"))
    _deploy(store, registry)
    first = store.list_deployments("local")[-1]

    at = open_page("workloads", cluster=cluster_id, namespace=namespace, service="shop-api")
    assert not at.exception, at.exception
    at.button(key="workloads_drift").click().run()
    assert not at.exception, at.exception
    assert any("In sync with the recorded deploy" in m for m in texts(at))

    at.button(key=f"workloads_rollback_{first.deployment_id}").click().run()
    assert not at.exception, at.exception
    assert any(f"back to deployment {first.deployment_id}" in m for m in texts(at))
    live = client.AppsV1Api(kube_api).read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert live.spec.template.spec.containers[0].image == "nginx:1.27-alpine"
    newest = store.list_deployments("local")[0]
    assert (
        newest.message == f"rolled back to deployment {first.deployment_id}"
        and "page-Secret-77" not in newest.manifests
    )


def test_workloads_live_yaml_is_masked_and_logs_can_be_searched(
    cluster_id: str, store: Store, registry: Path, namespace: str
) -> None:
    _deploy(store, registry)
    at = open_page("workloads", cluster=cluster_id, namespace=namespace, service="shop-api")
    assert not at.exception, at.exception
    at.button(key="workloads_yaml").click().run()
    assert not at.exception, at.exception
    (text,) = [c.value for c in at.code if "kind: Deployment" in c.value]
    assert "kind: Secret" in text and "SHOP_API_KEY: '********'" in text
    assert "page-Secret-77" not in text and "f:spec" not in text
    assert "managedFields: '(folded: ushadow" in text

    at.text_input(key="workloads_log_search").input("ushadow-local").run()
    at.button(key="workloads_logs").click().run()
    assert not at.exception, at.exception
    assert any("ushadow-local: ready" in c.value for c in at.code)
    at.text_input(key="workloads_log_search").input("no-such-line").run()  # the logs stay shown
    assert any(c.value == "(no line matches)" for c in at.code)
