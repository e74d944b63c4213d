"""Deploying against the local control plane: envmaps, server-side apply, dry runs, rollouts,
forbidden credentials and the deployment records."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from kubernetes import client

from core.clusters.kube import open_kube
from core.deploy.deploying import deploy_service
from core.deploy.envmaps import write_envmap
from core.deploy.reconciling import ensure_namespace
from core.deploy.watching import wait_for_rollout
from core.errors import Forbidden, InvalidInput, RolloutFailed
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, eventually, object_names, read_only_kubeconfig, register

pytestmark = pytest.mark.cluster

KEY = {"SHOP_API_KEY": "k-1"}


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


def deploy(
    store: Store, settings: Settings, cluster: str, service_id: str = "shop:shop-api", **kwargs: object
):  # type: ignore[no-untyped-def]
    kwargs.setdefault("env", KEY)
    return deploy_service(
        store, settings, cluster=cluster, service_id=service_id, registry_dirs=[REGISTRY], **kwargs
    )  # type: ignore[arg-type]


def test_deploy_with_wait_becomes_ready_and_is_recorded(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    seen: list[float] = []
    outcome = deploy(store, settings, cluster, wait=True, progress=lambda _m, f: seen.append(f))
    assert outcome.status == "ready", outcome.message
    assert outcome.rollout is not None and outcome.rollout.ready == 1
    assert seen[-1] == 1.0
    created = {(c.kind, c.name, c.action) for c in outcome.changes}
    assert created >= {
        ("ConfigMap", "shop-api-config", "created"),
        ("Secret", "shop-api-secrets", "created"),
        ("Service", "shop-api", "created"),
        ("Deployment", "shop-api", "created"),
    }
    live = client.AppsV1Api(kube_api).read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert live.status.ready_replicas == 1
    assert live.metadata.labels["app.kubernetes.io/managed-by"] == "ushadow"
    (record,) = store.list_deployments(cluster)
    assert (record.service_id, record.namespace, record.status, record.dry_run) == (
        "shop:shop-api",
        namespace,
        "ready",
        False,
    )
    assert {r["name"] for r in record.resources} >= {"shop-api-config", "shop-api"}


def test_a_second_identical_deploy_changes_nothing(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    apps, core = client.AppsV1Api(kube_api), client.CoreV1Api(kube_api)
    deploy(store, settings, cluster, wait=True)
    before = apps.read_namespaced_deployment("shop-api", namespace, _request_timeout=10).metadata
    cm_before = core.read_namespaced_config_map("shop-api-config", namespace, _request_timeout=10).metadata
    again = deploy(store, settings, cluster, wait=True)
    assert {c.action for c in again.changes} == {"unchanged"}, [c.to_json() for c in again.changes]
    after = apps.read_namespaced_deployment("shop-api", namespace, _request_timeout=10).metadata
    cm_after = core.read_namespaced_config_map("shop-api-config", namespace, _request_timeout=10).metadata
    assert (after.uid, after.generation, after.resource_version) == (
        before.uid,
        before.generation,
        before.resource_version,
    )
    assert cm_after.resource_version == cm_before.resource_version


def _replicasets(kube_api: client.ApiClient, namespace: str) -> dict[str, int]:
    items = client.AppsV1Api(kube_api).list_namespaced_replica_set(namespace, _request_timeout=10).items
    return {rs.metadata.name: rs.spec.replicas for rs in items}


def test_an_env_change_rolls_a_new_replicaset(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    deploy(store, settings, cluster, wait=True)
    first = _replicasets(kube_api, namespace)
    outcome = deploy(store, settings, cluster, wait=True, env={**KEY, "LOG_LEVEL": "debug"})
    assert outcome.status == "ready", outcome.message
    changed = {c.ref: c.paths for c in outcome.changes if c.action == "configured"}
    assert changed["ConfigMap/shop-api-config"] == ("data.LOG_LEVEL",)
    assert changed["Deployment/shop-api"] == ("spec.template.metadata.annotations[ushadow.io/env-hash]",)
    second = _replicasets(kube_api, namespace)
    new = set(second) - set(first)
    assert len(new) == 1 and second[new.pop()] == 1
    assert all(second[name] == 0 for name in first)
    cm = client.CoreV1Api(kube_api).read_namespaced_config_map(
        "shop-api-config", namespace, _request_timeout=10
    )
    assert cm.data["LOG_LEVEL"] == "debug"


def test_dry_run_shows_the_change_and_changes_nothing(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    deploy(store, settings, cluster)
    core = client.CoreV1Api(kube_api)
    before = core.read_namespaced_config_map("shop-api-config", namespace, _request_timeout=10)
    outcome = deploy(store, settings, cluster, dry_run=True, env={**KEY, "LOG_LEVEL": "debug"})
    assert outcome.status == "dry-run"
    actions = {c.ref: (c.action, c.paths) for c in outcome.changes}
    assert actions["ConfigMap/shop-api-config"] == ("configured", ("data.LOG_LEVEL",))
    assert actions["Secret/shop-api-secrets"] == ("unchanged", ())
    assert actions["Deployment/shop-api"][0] == "configured"
    after = core.read_namespaced_config_map("shop-api-config", namespace, _request_timeout=10)
    assert after.metadata.resource_version == before.metadata.resource_version
    assert after.data["LOG_LEVEL"] == "info"
    assert store.list_deployments(cluster)[0].dry_run


def test_dry_run_into_a_new_namespace_creates_nothing(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient
) -> None:
    fresh = f"t-new-{secrets.token_hex(3)}"
    outcome = deploy(store, settings, cluster, dry_run=True, namespace=fresh)
    assert (outcome.changes[0].kind, outcome.changes[0].action) == ("Namespace", "created")
    assert all(c.action == "created" for c in outcome.changes)
    names = [n.metadata.name for n in client.CoreV1Api(kube_api).list_namespace(_request_timeout=10).items]
    assert fresh not in names


def test_ensure_namespace_creates_labels_and_is_idempotent(
    settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient
) -> None:
    fresh = f"t-ns-{secrets.token_hex(3)}"
    core = client.CoreV1Api(kube_api)
    try:
        with open_kube(Path(admin_kubeconfig).read_bytes(), settings) as kube:
            assert ensure_namespace(kube, fresh).action == "created"
            version = core.read_namespace(fresh, _request_timeout=10).metadata.resource_version
            assert ensure_namespace(kube, fresh).action == "unchanged"
        live = core.read_namespace(fresh, _request_timeout=10)
        assert live.metadata.labels["app.kubernetes.io/managed-by"] == "ushadow"
        assert live.metadata.resource_version == version
    finally:
        core.delete_namespace(fresh, _request_timeout=10)


def test_deploy_leaves_an_existing_namespace_unlabelled(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    """Only a namespace ushadow creates carries managed-by=ushadow; someone else's stays as it was."""
    core = client.CoreV1Api(kube_api)
    before = core.read_namespace(namespace, _request_timeout=10).metadata
    assert "app.kubernetes.io/managed-by" not in (before.labels or {})
    outcome = deploy(store, settings, cluster)
    assert outcome.status in ("applied", "ready", "rolling"), outcome.message
    after = core.read_namespace(namespace, _request_timeout=10).metadata
    assert "app.kubernetes.io/managed-by" not in (after.labels or {})
    assert after.resource_version == before.resource_version
    assert not any(f.manager == "ushadow" for f in after.managed_fields or [])


def test_envmap_holds_exactly_its_input(
    settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    with open_kube(Path(admin_kubeconfig).read_bytes(), settings) as kube:
        result = write_envmap(kube, namespace, "svc", {"MODE": "a", "REGION": "eu", "API_TOKEN": "t0k"})
        assert (result.config_keys, result.secret_keys) == (["MODE", "REGION"], ["API_TOKEN"])
        cm = core.read_namespaced_config_map("svc-config", namespace, _request_timeout=10)
        secret = core.read_namespaced_secret("svc-secrets", namespace, _request_timeout=10)
        assert cm.data == {"MODE": "a", "REGION": "eu"}
        assert base64.b64decode(secret.data["API_TOKEN"]) == b"t0k"

        again = write_envmap(kube, namespace, "svc", {"MODE": "a", "REGION": "eu", "API_TOKEN": "t0k"})
        assert {c.action for c in again.changes} == {"unchanged"}
        cm2 = core.read_namespaced_config_map("svc-config", namespace, _request_timeout=10)
        secret2 = core.read_namespaced_secret("svc-secrets", namespace, _request_timeout=10)
        assert cm2.metadata.resource_version == cm.metadata.resource_version
        assert secret2.metadata.resource_version == secret.metadata.resource_version

        dropped = write_envmap(kube, namespace, "svc", {"MODE": "b"})
        assert {c.ref: c.paths for c in dropped.changes if c.action == "configured"} == {
            "ConfigMap/svc-config": ("data.MODE", "data.REGION (removed)"),
            "Secret/svc-secrets": ("data (removed)",),
        }
    assert core.read_namespaced_config_map("svc-config", namespace, _request_timeout=10).data == {"MODE": "b"}
    assert not core.read_namespaced_secret("svc-secrets", namespace, _request_timeout=10).data


def test_envmap_removes_keys_another_manager_added(
    settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    with open_kube(Path(admin_kubeconfig).read_bytes(), settings) as kube:
        write_envmap(kube, namespace, "svc", {"MODE": "a"})
        core.patch_namespaced_config_map(
            "svc-config",
            namespace,
            {"data": {"EDITED": "by hand"}},
            field_manager="kubectl-edit",
            _request_timeout=10,
        )
        result = write_envmap(kube, namespace, "svc", {"MODE": "a"})
    assert [(c.ref, c.paths) for c in result.changes if c.action == "configured"] == [
        ("ConfigMap/svc-config", ("data.EDITED (removed)",))
    ]
    assert core.read_namespaced_config_map("svc-config", namespace, _request_timeout=10).data == {"MODE": "a"}


def test_required_variables_must_be_given(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    with pytest.raises(InvalidInput, match="SHOP_API_KEY"):
        deploy(store, settings, cluster, env={})
    assert object_names(kube_api, namespace)["Deployment"] == []
    assert store.list_deployments(cluster) == []


def test_a_read_only_credential_is_forbidden_and_changes_nothing(
    store: Store, settings: Settings, kube_api: client.ApiClient, admin_kubeconfig: str, namespace: str
) -> None:
    reader = register(
        store, settings, read_only_kubeconfig(kube_api, admin_kubeconfig, namespace), namespace, "reader"
    )
    before = object_names(kube_api, namespace)
    with pytest.raises(Forbidden) as err:
        deploy(store, settings, reader, wait=True)
    message = err.value.message
    assert "cluster reader" in message
    assert "patch configmaps" in message and "create deployments.apps" in message
    assert "nothing was changed" in message
    assert object_names(kube_api, namespace) == before
    (record,) = store.list_deployments(reader)
    assert record.status == "failed" and "forbidden" in (record.message or "")


def test_a_missing_image_fails_the_wait_with_the_reason(
    store: Store, settings: Settings, cluster: str
) -> None:
    outcome = deploy(store, settings, cluster, "shop:broken", env={}, wait=True, timeout=120)
    assert outcome.status == "failed"
    assert isinstance(outcome.error, RolloutFailed)
    assert "ImagePullBackOff" in (outcome.message or "")
    assert "ghcr.io/example/shop-broken:does-not-exist" in (outcome.message or "")
    assert store.list_deployments(cluster)[0].status == "failed"


def test_a_crash_loop_is_explained(
    store: Store,
    settings: Settings,
    cluster: str,
    kube_api: client.ApiClient,
    admin_kubeconfig: str,
    namespace: str,
) -> None:
    """The fake nodes run no process, so nothing crashes by itself: the pod's status is patched to
    what a kubelet reports for a crash loop (the one fault the local control plane cannot make)."""
    deploy(store, settings, cluster, wait=True)
    core = client.CoreV1Api(kube_api)
    (pod,) = core.list_namespaced_pod(
        namespace, label_selector="app.kubernetes.io/instance=shop-api", _request_timeout=10
    ).items
    crash = {
        "status": {
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [
                {
                    "name": "shop-api",
                    "image": "nginx:1.27-alpine",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                }
            ],
        }
    }
    core.patch_namespaced_pod_status(pod.metadata.name, namespace, crash, _request_timeout=10)
    apps = client.AppsV1Api(kube_api)
    eventually(
        lambda: (
            apps.read_namespaced_deployment("shop-api", namespace, _request_timeout=10).status.ready_replicas
            in (None, 0)
        ),
        "the Deployment to see the pod not ready",
    )
    with (
        open_kube(Path(admin_kubeconfig).read_bytes(), settings) as kube,
        pytest.raises(RolloutFailed) as err,
    ):
        wait_for_rollout(kube, kind="Deployment", name="shop-api", namespace=namespace, timeout=60)
    assert "CrashLoopBackOff" in err.value.message
    assert "restarted 5 times" in err.value.message and "OOMKilled" in err.value.message
    assert err.value.hint is not None and "--previous" in err.value.hint


def test_saved_records_hold_no_secret_value(store: Store, settings: Settings, cluster: str) -> None:
    value = "sk-" + secrets.token_hex(16)
    encoded = base64.b64encode(value.encode()).decode()
    deploy(store, settings, cluster, env={"SHOP_API_KEY": value})
    deploy(store, settings, cluster, env={"SHOP_API_KEY": value}, dry_run=True)
    # a secret interpolated into a command line is read from the Secret there, by reference
    worker = deploy(store, settings, cluster, "shop:worker", env={"WORKER_TOKEN": value})
    assert any(
        "$(WORKER_TOKEN)" in arg
        for arg in worker.plan.compiled.objects[-1]["spec"]["template"]["spec"]["containers"][0]["args"]
    )
    records = store.list_deployments(cluster)
    assert len(records) == 3
    assert "--token $(WORKER_TOKEN)" in records[0].manifests
    for record in records:
        assert "-secrets" in record.manifests  # the Secret is recorded, masked
        assert value not in record.manifests and encoded not in record.manifests
        assert value not in repr(record.resources) and value not in (record.message or "")
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert value.encode() not in data and encoded.encode() not in data, path


def test_rolling_back_a_failed_rollout_is_reported_ready(
    store: Store, settings: Settings, cluster: str, tmp_path: Path
) -> None:
    (tmp_path / "tagged.yaml").write_text(
        "services:\n  web:\n    image: nginx:${TAG:-1.27-alpine}\n    ports: ['80']\n"
    )

    def deploy_tag(env: dict[str, str]):  # type: ignore[no-untyped-def]
        return deploy_service(
            store, settings, cluster=cluster, service_id="tagged:web", env=env, wait=True, timeout=120,
            registry_dirs=[tmp_path],
        )  # fmt: skip

    assert deploy_tag({}).status == "ready"
    broken = deploy_tag({"TAG": "missing"})
    assert broken.status == "failed" and "ImagePullBackOff" in (broken.message or "")
    # back to the good template: the failing pods of the bad revision must not fail this rollout
    back = deploy_tag({})
    assert back.status == "ready", back.message
