"""Day-2 operations against the local control plane: status, logs, restart, scale, undeploy, and
deploying the registry's infrastructure before its apps."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from core.deploy.deploying import deploy_service
from core.deploy.groupdeploying import deploy_group
from core.errors import Forbidden, InvalidInput, NotFound
from core.operate.operating import Operator
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, eventually, object_names, read_only_kubeconfig, register

pytestmark = pytest.mark.cluster

KEY = {"SHOP_API_KEY": "k-1"}


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


@pytest.fixture
def shop(store: Store, settings: Settings, cluster: str) -> str:
    """shop-api deployed and ready."""
    outcome = deploy_service(
        store,
        settings,
        cluster=cluster,
        service_id="shop:shop-api",
        env=KEY,
        wait=True,
        registry_dirs=[REGISTRY],
    )
    assert outcome.status == "ready", outcome.message
    return outcome.plan.name


def _pods(kube_api: client.ApiClient, namespace: str, name: str) -> list[client.V1Pod]:
    pods = (
        client.CoreV1Api(kube_api)
        .list_namespaced_pod(
            namespace, label_selector=f"app.kubernetes.io/instance={name}", _request_timeout=10
        )
        .items
    )
    return [p for p in pods if not p.metadata.deletion_timestamp]


def _ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def test_status_shows_replicas_and_pods(store: Store, settings: Settings, cluster: str, shop: str) -> None:
    with Operator(store, settings, cluster) as ops:
        (everything,) = ops.status()
        (by_id,) = ops.status(None, "shop:shop-api")
    for found in (everything, by_id):
        data = found.to_json()
        assert (data["kind"], data["name"], data["service_id"]) == ("Deployment", "shop-api", "shop:shop-api")
        assert (data["desired"], data["ready"]) == (1, 1)
        assert data["images"] == ["nginx:1.27-alpine"]
        (pod,) = data["pods"]
        assert (pod["phase"], pod["ready"], pod["restarts"]) == ("Running", "1/1", 0)
        assert pod["node"] and pod["age"].endswith(("s", "m"))


def test_unknown_services_are_not_found_with_what_is_there(
    store: Store, settings: Settings, cluster: str, shop: str
) -> None:
    with Operator(store, settings, cluster) as ops:
        for name in ("nope", "shop:nope"):
            with pytest.raises(NotFound) as err:
                ops.status(None, name)
            assert err.value.hint is not None and "shop-api" in err.value.hint


def test_scale_to_three_gives_three_ready_pods_and_to_zero_none(
    store: Store, settings: Settings, cluster: str, shop: str, kube_api: client.ApiClient, namespace: str
) -> None:
    with Operator(store, settings, cluster) as ops:
        workload, before = ops.scale(None, shop, 3)
        assert before == 1
        status = ops.wait(workload, timeout=120)
        assert (status.desired, status.ready) == (3, 3)
        pods = _pods(kube_api, namespace, shop)
        assert len(pods) == 3 and all(_ready(p) for p in pods)

        # A redeploy keeps a hand-set count (and changes nothing else).
        generation = (
            client.AppsV1Api(kube_api)
            .read_namespaced_deployment(shop, namespace, _request_timeout=10)
            .metadata.generation
        )
        again = deploy_service(
            store, settings, cluster=cluster, service_id="shop:shop-api", env=KEY, registry_dirs=[REGISTRY]
        )
        assert any("replicas kept at 3" in n for n in again.notes)
        live = client.AppsV1Api(kube_api).read_namespaced_deployment(shop, namespace, _request_timeout=10)
        assert (live.spec.replicas, live.metadata.generation) == (3, generation)

        workload, _ = ops.scale(None, "shop:shop-api", 0)
        assert ops.wait(workload, timeout=120).desired == 0
    eventually(lambda: not _pods(kube_api, namespace, shop) or None, "the pods to go")


def test_restart_replaces_every_pod(
    store: Store, settings: Settings, cluster: str, shop: str, kube_api: client.ApiClient, namespace: str
) -> None:
    old = {p.metadata.name for p in _pods(kube_api, namespace, shop)}
    with Operator(store, settings, cluster) as ops:
        workload = ops.restart(None, shop)
        ops.wait(workload, timeout=120)
    eventually(
        lambda: {p.metadata.name for p in _pods(kube_api, namespace, shop)}.isdisjoint(old) or None,
        "old pods to go",
    )
    pods = _pods(kube_api, namespace, shop)
    assert len(pods) == 1 and _ready(pods[0])
    assert "kubectl.kubernetes.io/restartedAt" in pods[0].metadata.annotations
    actions = [e.action for e in store.list_audit()]
    assert "restart" in actions


def test_logs_tail_container_and_previous(store: Store, settings: Settings, cluster: str, shop: str) -> None:
    with Operator(store, settings, cluster) as ops:
        (log,) = ops.logs(None, shop, tail=1)
        assert log.container == "shop-api"
        assert log.text.strip() == "ushadow-local: ready"
        (full,) = ops.logs(None, "shop:shop-api", tail=None, container="shop-api")
        assert len(full.text.strip().splitlines()) == 3
        with pytest.raises(InvalidInput, match="no container 'sidecar'"):
            ops.logs(None, shop, container="sidecar")
        with pytest.raises(InvalidInput, match="has not restarted"):
            ops.logs(None, shop, previous=True)


def _claim(kube_api: client.ApiClient, namespace: str) -> str | None:
    items = (
        client.CoreV1Api(kube_api)
        .list_namespaced_persistent_volume_claim(namespace, _request_timeout=10)
        .items
    )
    return next((c.metadata.name for c in items if not c.metadata.deletion_timestamp), None)


def test_undeploy_removes_ours_and_keeps_claims_unless_asked(
    store: Store, settings: Settings, cluster: str, shop: str, kube_api: client.ApiClient, namespace: str
) -> None:
    stash = deploy_service(
        store, settings, cluster=cluster, service_id="shop:stash", registry_dirs=[REGISTRY]
    )
    assert stash.plan.kind == "StatefulSet"
    claim = eventually(lambda: _claim(kube_api, namespace), "the StatefulSet's claim")
    assert claim.endswith("-stash-0")
    with Operator(store, settings, cluster) as ops:
        changes = ops.undeploy(None, "shop:stash")
        assert {(c.kind, c.name) for c in changes if c.action == "deleted"} == {
            ("StatefulSet", "stash"),
            ("Service", "stash"),  # no ports: the portless headless Service
            ("NetworkPolicy", "stash"),
        }
        assert [(c.kind, c.name, c.action) for c in changes if c.kind == "PersistentVolumeClaim"] == [
            ("PersistentVolumeClaim", claim, "kept")
        ]
        left = object_names(kube_api, namespace)
        assert left["StatefulSet"] == [] and left["PersistentVolumeClaim"] == [claim]
        assert left["Deployment"] == ["shop-api"]  # the neighbour is untouched

        gone = ops.undeploy(None, shop, delete_volumes=True)
        assert {(c.kind, c.name) for c in gone} == {
            ("Deployment", "shop-api"),
            ("Service", "shop-api"),
            ("NetworkPolicy", "shop-api"),
            ("ConfigMap", "shop-api-config"),
            ("Secret", "shop-api-secrets"),
        }
        # The claim of the StatefulSet (already undeployed) goes once asked for by name.
        with pytest.raises(NotFound):
            ops.undeploy(None, shop)
    left = object_names(kube_api, namespace)
    assert left["Deployment"] == [] and left["ConfigMap"] == [] and left["Secret"] == []


def test_undeploy_with_delete_volumes_removes_the_claim(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    deploy_service(store, settings, cluster=cluster, service_id="shop:stash", registry_dirs=[REGISTRY])
    claim = eventually(lambda: _claim(kube_api, namespace), "the StatefulSet's claim")
    with Operator(store, settings, cluster) as ops:
        changes = ops.undeploy(None, "stash", delete_volumes=True)
    assert ("PersistentVolumeClaim", claim, "deleted") in {(c.kind, c.name, c.action) for c in changes}
    eventually(lambda: _claim(kube_api, namespace) is None or None, "the claim to go")


def test_a_read_only_credential_changes_nothing(
    store: Store,
    settings: Settings,
    shop: str,
    kube_api: client.ApiClient,
    admin_kubeconfig: str,
    namespace: str,
) -> None:
    reader = register(
        store, settings, read_only_kubeconfig(kube_api, admin_kubeconfig, namespace), namespace, "reader"
    )
    before = object_names(kube_api, namespace)
    generation = (
        client.AppsV1Api(kube_api)
        .read_namespaced_deployment(shop, namespace, _request_timeout=10)
        .metadata.generation
    )
    with Operator(store, settings, reader) as ops:
        assert ops.status()[0].workload.name == shop  # reading is allowed
        with pytest.raises(Forbidden) as restart:
            ops.restart(None, shop)
        with pytest.raises(Forbidden) as scale:
            ops.scale(None, shop, 2)
        with pytest.raises(Forbidden) as undeploy:
            ops.undeploy(None, shop)
    # The API server's own words reach the user intact, naming the verb and the resource.
    assert 'cannot patch resource "deployments" in API group "apps"' in restart.value.message
    assert 'cannot patch resource "deployments/scale"' in scale.value.message
    assert (
        "delete deployments.apps" in undeploy.value.message
        and "nothing was changed" in undeploy.value.message
    )
    for err in (restart, scale, undeploy):
        assert "cluster reader" in err.value.message
    assert object_names(kube_api, namespace) == before
    live = client.AppsV1Api(kube_api).read_namespaced_deployment(shop, namespace, _request_timeout=10)
    assert (live.metadata.generation, live.spec.replicas) == (generation, 1)


def test_deploy_all_puts_infrastructure_first_and_wires_apps_to_it(
    store: Store, settings: Settings, cluster: str, namespace: str
) -> None:
    env = {**KEY, "WORKER_TOKEN": "w-token"}
    items = deploy_group(store, settings, cluster=cluster, group="all", env=env, registry_dirs=[REGISTRY])
    assert [(i.service_id, i.infra) for i in items] == [
        ("cache-infra:redis", True),
        ("shop:shop-api", False),
        ("shop:broken", False),
        ("shop:stash", False),
        ("shop:worker", False),
    ]
    assert items[0].status == "ready"  # infrastructure is waited for
    assert [i.status for i in items[1:]] == ["applied", "applied", "applied", "applied"]
    # each service got only the values it asks for
    worker = items[4].outcome
    assert worker is not None and [r.name for r in worker.plan.rows] == ["WORKER_TOKEN"]
    scan = store.latest_scan_for(cluster, namespace)
    assert scan is not None and [m.service for m in scan.matches_of("redis")] == ["redis"]
    shop_api = items[1].outcome
    assert shop_api is not None
    rows = {r.name: r for r in shop_api.plan.rows}
    assert rows["REDIS_URL"].source == "scan"
    assert rows["REDIS_URL"].value == f"redis://redis.{namespace}.svc.cluster.local:6379/0"
    assert rows["MONGODB_URL"].source == "default"  # no mongo there


def test_deploy_app_reports_each_service(store: Store, settings: Settings, cluster: str) -> None:
    items = deploy_group(
        store, settings, cluster=cluster, group="app", dry_run=True, registry_dirs=[REGISTRY]
    )
    by_id = {i.service_id: i for i in items}
    assert set(by_id) == {"shop:shop-api", "shop:broken", "shop:stash", "shop:worker"}
    assert by_id["shop:shop-api"].status == by_id["shop:worker"].status == "failed"
    assert "SHOP_API_KEY" in (by_id["shop:shop-api"].message or "")
    assert "WORKER_TOKEN" in (by_id["shop:worker"].message or "")
    assert by_id["shop:broken"].status == by_id["shop:stash"].status == "dry-run"
