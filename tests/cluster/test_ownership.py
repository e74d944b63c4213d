"""What a deploy or an envmap may touch, against the local control plane: never an object someone
else made, never another registry service's objects; a credential that may not even read is told
everything it lacks; claims kept by an undeploy can still be deleted; a namespace that is not
there is named."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from kubernetes import client

from core.cli import main
from core.clusters.kube import open_kube
from core.deploy.deploying import deploy_service
from core.deploy.envmaps import write_envmap
from core.deploy.groupdeploying import deploy_group
from core.errors import Conflict, Forbidden, NotFound
from core.operate.operating import Operator
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, eventually, object_names, register
from tests.support.kubeconfig_factory import service_account_token, with_token

pytestmark = pytest.mark.cluster

KEY = {"SHOP_API_KEY": "k-1"}
MANAGED = "app.kubernetes.io/managed-by"


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


def test_an_envmap_never_takes_over_a_secret_made_by_hand(
    settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    stripe = base64.b64encode(b"sk_live_by_hand").decode()
    core.create_namespaced_secret(
        namespace,
        {"metadata": {"name": "billing-secrets"}, "data": {"STRIPE_KEY": stripe}},
        _request_timeout=10,
    )
    with open_kube(Path(admin_kubeconfig).read_bytes(), settings) as kube, pytest.raises(Conflict) as caught:
        write_envmap(kube, namespace, "billing", {"LOG_LEVEL": "debug", "API_TOKEN": "t"})
    assert "Secret billing-secrets" in caught.value.message
    assert "not made by ushadow" in caught.value.message and "nothing was changed" in caught.value.message
    assert caught.value.hint and "another namespace" in caught.value.hint
    secret = core.read_namespaced_secret("billing-secrets", namespace, _request_timeout=10)
    assert secret.data == {"STRIPE_KEY": stripe}
    assert MANAGED not in (secret.metadata.labels or {})
    assert "billing-config" not in object_names(kube_api, namespace)["ConfigMap"]


def test_a_deploy_never_replaces_a_deployment_made_by_hand(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    apps = client.AppsV1Api(kube_api)
    labels = {"app": "shop-api"}
    apps.create_namespaced_deployment(
        namespace,
        {
            "metadata": {"name": "shop-api", "labels": labels},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
        _request_timeout=10,
    )
    before = object_names(kube_api, namespace)
    with pytest.raises(Conflict, match=r"Deployment shop-api in namespace .* not made by ushadow"):
        deploy_service(
            store, settings, cluster=cluster, service_id="shop:shop-api", env=KEY, registry_dirs=[REGISTRY]
        )
    # refused before anything was applied: no Secret, ConfigMap or Service of ours appeared
    assert object_names(kube_api, namespace) == before
    live = apps.read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert live.spec.template.spec.containers[0].image == "nginx:1.27"


def test_a_service_of_another_file_with_the_same_name_is_refused(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    (tmp_path / "stores.yaml").write_text(
        "services:\n  redis:\n    image: redis:7.4-alpine\n    ports: ['6379']\n"
    )
    (tmp_path / "team-b.yaml").write_text(
        "services:\n  redis:\n    image: team-b/redis-proxy:1\n    ports: ['6380']\n"
    )
    first = deploy_service(
        store, settings, cluster=cluster, service_id="stores:redis", registry_dirs=[tmp_path]
    )
    assert first.plan.name == "redis"
    apps = client.AppsV1Api(kube_api)
    uid = apps.read_namespaced_deployment("redis", namespace, _request_timeout=10).metadata.uid
    with pytest.raises(Conflict) as caught:
        deploy_service(store, settings, cluster=cluster, service_id="team-b:redis", registry_dirs=[tmp_path])
    assert "to stores:redis" in caught.value.message
    assert caught.value.hint and "undeploy stores:redis" in caught.value.hint
    live = apps.read_namespaced_deployment("redis", namespace, _request_timeout=10)
    assert live.metadata.uid == uid
    assert live.spec.template.spec.containers[0].image == "redis:7.4-alpine"
    service = client.CoreV1Api(kube_api).read_namespaced_service("redis", namespace, _request_timeout=10)
    assert [p.port for p in service.spec.ports] == [6379]


def test_a_credential_that_may_not_read_secrets_is_told_everything_it_lacks(
    store: Store,
    settings: Settings,
    kube_api: client.ApiClient,
    admin_kubeconfig: str,
    namespace: str,
) -> None:
    # like the built-in "view" role: reads everything but Secrets, changes nothing
    readable = ["configmaps", "services", "pods", "persistentvolumeclaims", "events"]
    rules = [
        {"apiGroups": [""], "resources": readable, "verbs": ["get", "list", "watch"]},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "statefulsets"],
            "verbs": ["get", "list", "watch"],
        },
    ]
    token = service_account_token(kube_api, namespace, "view-like", rules)
    viewer = register(
        store, settings, with_token(Path(admin_kubeconfig).read_text(), token), namespace, "viewer"
    )
    before = object_names(kube_api, namespace)
    with pytest.raises(Forbidden) as caught:
        deploy_service(
            store, settings, cluster=viewer, service_id="shop:shop-api", env=KEY, registry_dirs=[REGISTRY]
        )
    message = caught.value.message
    for missing in ("get secrets", "create secrets", "patch configmaps", "patch deployments.apps"):
        assert missing in message, message
    credential = with_token(Path(admin_kubeconfig).read_text(), token).encode()
    with open_kube(credential, settings) as kube, pytest.raises(Forbidden) as envmapping:
        write_envmap(kube, namespace, "svc", {"MODE": "a"})
    assert "get secrets" in envmapping.value.message and "patch configmaps" in envmapping.value.message
    with Operator(store, settings, viewer) as ops, pytest.raises(Forbidden) as undeploying:
        ops.undeploy(None, "svc")
    assert (
        "list secrets" in undeploying.value.message and "delete deployments.apps" in undeploying.value.message
    )
    assert object_names(kube_api, namespace) == before


def test_claims_kept_by_an_undeploy_can_be_deleted_later(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    deploy_service(store, settings, cluster=cluster, service_id="shop:stash", registry_dirs=[REGISTRY])

    def claim() -> str | None:
        items = client.CoreV1Api(kube_api).list_namespaced_persistent_volume_claim(
            namespace, _request_timeout=10
        )
        return next((c.metadata.name for c in items.items if not c.metadata.deletion_timestamp), None)

    name = eventually(claim, "the StatefulSet's claim")
    with Operator(store, settings, cluster) as ops:
        kept = ops.undeploy(None, "shop:stash")
        assert ("PersistentVolumeClaim", name, "kept") in {(c.kind, c.name, c.action) for c in kept}
        # the StatefulSet is gone; the advice given ("--delete-volumes") must still work
        gone = ops.undeploy(None, "shop:stash", delete_volumes=True)
        assert [(c.kind, c.name, c.action) for c in gone] == [("PersistentVolumeClaim", name, "deleted")]
        with pytest.raises(NotFound, match="nothing of 'stash'"):
            ops.undeploy(None, "stash", delete_volumes=True)
    eventually(lambda: claim() is None or None, "the claim to go")


def test_status_of_a_namespace_that_is_not_there(
    capsys: pytest.CaptureFixture[str], store: Store, settings: Settings, cluster: str
) -> None:
    with Operator(store, settings, cluster) as ops, pytest.raises(NotFound, match="namespace no-such-ns-"):
        ops.status("no-such-ns-4711")
    assert main(["status", cluster, "-n", "no-such-ns-4711"]) == 3
    assert "does not exist" in capsys.readouterr().err


def test_an_envmap_needs_an_environment(capsys: pytest.CaptureFixture[str], cluster: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["envmap", cluster, "svc"])
    assert caught.value.code == 2
    assert "--env" in capsys.readouterr().err
    assert main(["envmap", cluster, "Bad_Name", "--env", "A=1"]) == 2
    assert "is not a service's Kubernetes name" in capsys.readouterr().err


SHARING = """\
services:
  web:
    image: busybox:1.37
    command: ["sleep", "infinity"]
    volumes: [shared:/data]
  worker:
    image: busybox:1.37
    command: ["sleep", "infinity"]
    volumes: [shared:/work]
volumes:
  shared: {}
"""
OTHER = """\
services:
  api:
    image: busybox:1.37
    command: ["sleep", "infinity"]
    volumes: [shared:/data]
  cron:
    image: busybox:1.37
    command: ["sleep", "infinity"]
    volumes: [shared:/data]
volumes:
  shared: {}
"""


def test_a_claim_services_of_one_file_share_is_theirs_and_kept_while_one_uses_it(
    store: Store, settings: Settings, cluster: str, kube_api: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    """Each sharer may apply the claim (alone or with deploy-all); undeploying one keeps it for the
    other even with --delete-volumes; a claim of the same name from another file is still refused."""
    (tmp_path / "stack.yml").write_text(SHARING)
    other = tmp_path / "other"
    other.mkdir()
    (other / "other.yml").write_text(OTHER)
    items = deploy_group(store, settings, cluster=cluster, group="all", registry_dirs=[tmp_path])
    assert {i.service_id: i.status for i in items} == {"stack:web": "applied", "stack:worker": "applied"}
    for sid in ("stack:worker", "stack:web"):  # each alone, again: the same claim, unchanged
        outcome = deploy_service(store, settings, cluster=cluster, service_id=sid, registry_dirs=[tmp_path])
        assert ("PersistentVolumeClaim", "shared", "unchanged") in {
            (c.kind, c.name, c.action) for c in outcome.changes
        }
    pvc = client.CoreV1Api(kube_api).read_namespaced_persistent_volume_claim(
        "shared", namespace, _request_timeout=10
    )
    assert pvc.metadata.annotations["ushadow.io/shared-by"] == "stack:web,stack:worker"
    with pytest.raises(Conflict, match=r"PersistentVolumeClaim shared .* belongs to stack:web"):
        deploy_service(store, settings, cluster=cluster, service_id="other:api", registry_dirs=[other])

    with Operator(store, settings, cluster) as ops:
        first = ops.undeploy(None, "stack:web", delete_volumes=True)
        kept = {(c.kind, c.name, c.action, c.note) for c in first if c.kind == "PersistentVolumeClaim"}
        assert kept == {("PersistentVolumeClaim", "shared", "kept", "kept: used by stack:worker")}
        assert "shared" in object_names(kube_api, namespace)["PersistentVolumeClaim"]
        last = ops.undeploy(None, "stack:worker", delete_volumes=True)
        assert ("PersistentVolumeClaim", "shared", "deleted") in {(c.kind, c.name, c.action) for c in last}
