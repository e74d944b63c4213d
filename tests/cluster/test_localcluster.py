"""The local control plane is a real Kubernetes: these tests would fail against a fake."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from core.localcluster.binaries import K8S_VERSION, staging_replacements, wrapper_gomod

pytestmark = pytest.mark.cluster
KUBECTL = str(Path(sys.executable).with_name("kubectl"))


def _wait_for(predicate, what: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_version_is_the_pinned_release(kube_api: client.ApiClient) -> None:
    info = client.VersionApi(kube_api).get_code(_request_timeout=5)
    assert info.git_version == K8S_VERSION


def test_fake_nodes_are_ready(kube_api: client.ApiClient) -> None:
    nodes = client.CoreV1Api(kube_api).list_node(_request_timeout=5).items
    ready = [
        n.metadata.name
        for n in nodes
        if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
    ]
    assert len(ready) >= 2


def test_deployment_with_two_replicas_becomes_ready(kube_api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(kube_api)
    labels = {"app": "web"}
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]),
            ),
        ),
    )
    apps.create_namespaced_deployment(namespace, body, _request_timeout=10)

    def ready() -> bool:
        status = apps.read_namespaced_deployment("web", namespace, _request_timeout=5).status
        return status.ready_replicas == 2

    _wait_for(ready, "2/2 ready replicas")
    pods = client.CoreV1Api(kube_api).list_namespaced_pod(namespace, _request_timeout=5).items
    assert len(pods) == 2
    assert {p.status.phase for p in pods} == {"Running"}
    assert all(p.status.pod_ip for p in pods)


def test_pod_logs_are_served(kube_api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="talker"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox:1.36")]),
    )
    _wait_for(lambda: core.list_namespaced_service_account(namespace, _request_timeout=5).items, "default SA")
    core.create_namespaced_pod(namespace, pod, _request_timeout=10)
    _wait_for(
        lambda: core.read_namespaced_pod("talker", namespace, _request_timeout=5).status.phase == "Running",
        "pod running",
    )
    text = core.read_namespaced_pod_log("talker", namespace, _request_timeout=10)
    assert "container started" in text


def test_service_with_duplicate_port_names_is_refused(kube_api: client.ApiClient, namespace: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "dup"},
        "spec": {"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]},
    }
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(kube_api).create_namespaced_service(namespace, body, _request_timeout=10)
    assert err.value.status == 422
    assert "Duplicate value" in err.value.body
    assert "spec.ports[1].name" in err.value.body


def test_label_value_with_colon_is_refused(kube_api: client.ApiClient, namespace: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "colon", "labels": {"ushadow.io/service": "openmemory-compose:mem0"}},
    }
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(kube_api).create_namespaced_config_map(namespace, body, _request_timeout=10)
    assert err.value.status == 422
    assert "metadata.labels" in err.value.body


def test_kubectl_works_with_the_admin_kubeconfig(admin_kubeconfig: str) -> None:
    out = subprocess.run(
        [KUBECTL, "--kubeconfig", admin_kubeconfig, "get", "nodes", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "node/kwok-node-0" in out
    assert "node/kwok-node-1" in out


def test_rbac_is_enforced_for_unknown_users(kube_api: client.ApiClient, admin_kubeconfig: str) -> None:
    """An anonymous request may read /version but not list nodes: RBAC is on."""
    out = subprocess.run(
        [KUBECTL, "--kubeconfig", admin_kubeconfig, "get", "nodes", "--as", "nobody"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert "forbidden" in out.stderr.lower()


UPSTREAM = """\
module k8s.io/kubernetes

require (
\tk8s.io/api v0.0.0
\tk8s.io/client-go v0.0.0
\tgithub.com/foo/bar v1.2.3
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
\tk8s.io/sample-controller => ./staging/src/k8s.io/sample-controller
)
"""


def test_wrapper_module_replaces_only_required_staging_modules() -> None:
    pairs = staging_replacements(UPSTREAM, "v0.37.2")
    assert pairs == [("k8s.io/api", "v0.37.2"), ("k8s.io/client-go", "v0.37.2")]
    gomod = wrapper_gomod("k8s.io/kubernetes", "v1.37.2", pairs)
    assert "require k8s.io/kubernetes v1.37.2" in gomod
    assert "\tk8s.io/api => k8s.io/api v0.37.2" in gomod
    assert "sample-controller" not in gomod


def test_claims_bind_to_the_default_storage_class(kube_api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    core.create_namespaced_persistent_volume_claim(namespace, claim, _request_timeout=10)
    _wait_for(
        lambda: (
            core.read_namespaced_persistent_volume_claim("data", namespace, _request_timeout=5).status.phase
            == "Bound"
        ),
        "the claim to bind",
    )
