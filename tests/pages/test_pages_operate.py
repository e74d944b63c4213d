"""The Deploy and Workloads pages under ``AppTest``, against the local control plane: deploy through
the page and see it ready, then look after it (status, logs, scale, restart, undeploy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client
from streamlit.testing.v1 import AppTest

from core.deploy.deploying import deploy_service
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, object_names, register
from tests.support.pagekit import confirm, plain
from tests.support.pagekit import open_page as open_any_page

pytestmark = pytest.mark.cluster


@pytest.fixture(autouse=True)
def shop_registry(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy fixtures as the compose registry (set after ``settings``, which empties it; the
    Streamlit caches are cleared around every test by tests/conftest.py)."""
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(REGISTRY))


@pytest.fixture
def cluster_id(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    return store.get_cluster("local").cluster_id


def open_page(page: str, **query: str) -> AppTest:
    return open_any_page(page, timeout=120, **query)


# (AppTest's dataframes carry no key: they are found by position, rows first, records last.)


def messages(at: AppTest) -> list[str]:
    return [plain(e.value) for kind in (at.error, at.warning, at.info, at.success) for e in kind]


def test_deploy_page_without_clusters_says_what_to_do(settings: Settings) -> None:
    at = open_page("deploy")
    assert not at.exception
    assert any("No clusters yet" in m for m in messages(at))


def test_deploy_through_the_page_until_ready(
    cluster_id: str, store: Store, kube_api: client.ApiClient, namespace: str
) -> None:
    at = open_page("deploy", cluster=cluster_id, namespace=namespace, service="shop:shop-api")
    assert not at.exception, at.exception
    # The form: prefilled from compose, the required key missing, so nothing can be deployed yet.
    rows = at.dataframe[0].value
    by_name = {r["variable"]: r for r in rows.to_dict("records")}
    assert by_name["MONGODB_URL"]["source"] == "default"
    assert by_name["SHOP_API_KEY"]["source"] == "missing"
    assert any("Fill in the required variables first: SHOP_API_KEY" in m for m in messages(at))
    # the button answers a click whatever the form holds, and says what is missing
    assert not at.button(key="deploy_go").disabled
    at.button(key="deploy_go").click().run()
    assert [e.value for e in at.error] == [
        "Nothing was deployed: fill in the required variables first: SHOP\\_API\\_KEY."
    ]
    assert store.list_deployments(cluster_id) == []

    key_input = next(t for t in at.text_input if t.label == "SHOP_API_KEY *")
    key_input.input("page-secret-1").run()
    assert not at.exception, at.exception
    rows = at.dataframe[0].value
    typed = rows[rows["variable"] == "SHOP_API_KEY"].iloc[0]
    assert (typed["source"], typed["value"]) == ("typed", "********")
    manifests = at.code[0].value
    assert "shop-api-secrets" in manifests and "page-secret-1" not in manifests

    at.button(key="deploy_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("objects created or changed" in s.value for s in at.success)
    changes = at.dataframe[1].value
    assert set(changes["object"]) >= {"Deployment/shop-api", "Secret/shop-api-secrets"}
    live = client.AppsV1Api(kube_api).read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert live.status.ready_replicas == 1
    records = at.dataframe[-1].value
    assert list(records["status"]) == ["ready"]
    assert at.query_params["service"] == "shop:shop-api"
    (record,) = store.list_deployments(cluster_id)
    assert "page-secret-1" not in record.manifests


def test_dry_run_on_the_page_changes_nothing(
    cluster_id: str, kube_api: client.ApiClient, namespace: str
) -> None:
    at = open_page("deploy", cluster=cluster_id, namespace=namespace, service="shop:broken")
    at.button(key="deploy_dry_run").click().run()
    assert not at.exception, at.exception
    changes = at.dataframe[1].value
    assert set(changes["action"]) == {"created", "unchanged"}  # an existing namespace is left as it is
    assert object_names(kube_api, namespace)["Deployment"] == []


def test_a_failed_rollout_is_explained_on_the_page(cluster_id: str, namespace: str) -> None:
    at = open_page("deploy", cluster=cluster_id, namespace=namespace, service="shop:broken")
    at.number_input(key="deploy_timeout").set_value(120)
    at.button(key="deploy_go").click().run()
    assert not at.exception, at.exception
    shown = " ".join(plain(e.value) for e in at.error)
    assert "ImagePullBackOff" in shown and "ghcr.io/example/shop-broken:does-not-exist" in shown


def test_workloads_page_status_logs_scale_and_undeploy(
    cluster_id: str, store: Store, settings: Settings, kube_api: client.ApiClient, namespace: str
) -> None:
    outcome = deploy_service(
        store,
        settings,
        cluster=cluster_id,
        service_id="shop:shop-api",
        env={"SHOP_API_KEY": "k"},
        wait=True,
        registry_dirs=[REGISTRY],
    )
    assert outcome.status == "ready", outcome.message
    at = open_page("workloads", cluster=cluster_id, namespace=namespace)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["workload"]) == ["Deployment/shop-api"] and list(table["ready"]) == ["1/1"]
    assert len(at.dataframe[1].value) == 1
    # each table has a heading; the pod's problem comes right after its name (a phone shows two columns)
    assert [h.value for h in at.subheader][:2] == ["Workloads and their rollout", "Pods"]
    assert list(at.dataframe[1].value.columns)[:2] == ["pod", "problem"]

    at.number_input(key="workloads_tail").set_value(1)
    at.button(key="workloads_logs").click().run()
    assert not at.exception, at.exception
    assert [c.value.strip() for c in at.code] == ["ushadow-local: ready"]
    assert len(at.get("download_button")) == 1

    at.number_input(key="workloads_replicas_shop-api").set_value(2)
    confirm(at, "workloads_scale", "shop-api")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    live = client.AppsV1Api(kube_api).read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert (live.spec.replicas, live.status.ready_replicas) == (2, 2)
    assert list(at.dataframe[0].value["ready"]) == ["2/2"], "the tables read the state after the scale"

    at.button(key="workloads_undeploy_start").click().run()
    at.text_input(key="workloads_undeploy_name").input("wrong").run()
    at.button(key="workloads_undeploy_confirm").click().run()
    assert any("not the workload's name" in plain(e.value) for e in at.error)
    assert at.button(key="workloads_undeploy_cancel").label == "Cancel"
    assert object_names(kube_api, namespace)["Deployment"] == ["shop-api"]
    at.text_input(key="workloads_undeploy_name").input("shop-api").run()
    at.button(key="workloads_undeploy_confirm").click().run()
    assert not at.exception, at.exception
    assert any("Undeployed shop-api" in plain(s.value) for s in at.success)
    left = object_names(kube_api, namespace)
    assert left["Deployment"] == left["ConfigMap"] == left["Secret"] == []
    actions = [e.action for e in store.list_audit()]
    assert "scale" in actions and "undeploy" in actions


def test_deploy_the_registry_infrastructure_from_the_page(
    cluster_id: str, kube_api: client.ApiClient, namespace: str
) -> None:
    at = open_page("deploy", cluster=cluster_id, namespace=namespace, service="shop:shop-api")
    at.segmented_control(key="deploy_group_which").set_value("infra").run()
    at.button(key="deploy_group_go").click().run()
    assert not at.exception, at.exception
    result = next(
        df.value for df in at.dataframe if "infra" in df.value.columns and "status" in df.value.columns
    )
    assert len(result) >= 1
    assert set(result["infra"]) == {True}
    assert set(result["status"]) == {"ready"}
    deployed = object_names(kube_api, namespace)
    assert deployed["Deployment"] or deployed.get("StatefulSet")


def test_the_namespace_picker_lists_the_clusters_namespaces(cluster_id: str, namespace: str) -> None:
    at = open_page("deploy", cluster=cluster_id)
    picker = at.selectbox(key=f"deploy_namespace_{cluster_id}")
    assert picker.value == namespace  # the cluster's own namespace to begin with
    assert {"default", "kube-system", namespace} <= set(picker.options)
    # (a new name typed in: tests/browser/test_every_page.py; AppTest cannot type into a selectbox)
