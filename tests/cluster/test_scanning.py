"""Scanning the real local control plane: real Services, Deployments (Ready through kwok fake nodes),
a StatefulSet behind a headless Service, NodePort and LoadBalancer Services, and credentials that
may not read everything."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from core.clusters.kube import open_kube
from core.errors import Unreachable
from core.localcluster.plumbing import free_port
from core.scan import scanning
from core.scan.scanning import scan
from core.settings import Settings
from core.store.scans import ScanResult
from tests.support.kubeconfig_factory import service_account_token, with_token
from tests.support.workloads import deployment, svc, wait_ready

pytestmark = pytest.mark.cluster

T = 10  # seconds, for every setup request


def create_infra(api: client.ApiClient, ns: str) -> None:
    """A namespace as people really have it: databases beside admin UIs, exporters and apps."""
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    deployments = [
        deployment("mongo", {"app": "mongo"}, "mongo:8.0", [27017]),
        deployment("mongo-express", {"app": "mongo-express"}, "mongo-express:1.0.2", [8081]),
        deployment("cache", {"run": "cache"}, "docker.io/bitnami/redis:7.2.4", [6379]),
        deployment("redis-exporter", {"app": "redis-exporter"}, "oliver006/redis_exporter:v1.62.0", [9121]),
        deployment("store", {"tier": "store"}, "registry.example.com/team/doc-db:1.4", [5432]),
        deployment(
            "search", {"app": "search"}, "docker.elastic.co/elasticsearch/elasticsearch:8.15.0", [9200]
        ),
        deployment("vectors", {"app": "vectors"}, "qdrant/qdrant:v1.12.1", [6333, 6334]),
        deployment("keycloak-postgres", {"app": "keycloak-postgres"}, "postgres:missing", [5432]),
        deployment("api", {"app": "api"}, "ghcr.io/acme/api:1.0", [8080]),
    ]
    for body in deployments:
        apps.create_namespaced_deployment(ns, body, _request_timeout=T)
    apps.create_namespaced_stateful_set(
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "neo4j"},
            "spec": {
                "serviceName": "neo4j",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "neo4j"}},
                "template": {
                    "metadata": {"labels": {"app": "neo4j"}},
                    "spec": {
                        "containers": [
                            {"name": "neo4j", "image": "neo4j:5.24", "ports": [{"containerPort": 7687}]}
                        ]
                    },
                },
            },
        },
        _request_timeout=T,
    )
    services = [
        svc("mongo", [{"name": "mongodb", "port": 27017}], {"app": "mongo"}),
        svc("mongo-express", [{"name": "http", "port": 8081}], {"app": "mongo-express"}),
        svc("cache", [{"name": "tcp", "port": 6379}], {"run": "cache"}, kind="NodePort"),
        svc("redis-exporter", [{"name": "metrics", "port": 9121}], {"app": "redis-exporter"}),
        svc(
            "store",
            [{"name": "sql", "port": 5432}],
            {"tier": "store"},
            kind="LoadBalancer",
            labels={"app.kubernetes.io/name": "postgresql"},
        ),
        svc("search", [{"name": "http", "port": 9200}], {"app": "search"}, kind="LoadBalancer"),
        svc(
            "vectors",
            [{"name": "grpc", "port": 6334}, {"name": "http", "port": 6333}],
            {"app": "vectors"},
            kind="LoadBalancer",
        ),
        svc("keycloak-postgres", [{"port": 5432}], {"app": "keycloak-postgres"}),
        svc("api", [{"name": "http", "port": 8080}], {"app": "api"}),
        svc(
            "neo4j",
            [{"name": "http", "port": 7474}, {"name": "bolt", "port": 7687}],
            {"app": "neo4j"},
            headless=True,
        ),
        svc("legacy-mysql", [], kind="ExternalName", external_name="mysql.example.com"),
    ]
    for body in services:
        core.create_namespaced_service(ns, body, _request_timeout=T)
    core.patch_namespaced_service_status(
        "store", ns, {"status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}]}}}, _request_timeout=T
    )
    core.patch_namespaced_service_status(
        "search",
        ns,
        {"status": {"loadBalancer": {"ingress": [{"hostname": "es.example.com"}]}}},
        _request_timeout=T,
    )


@pytest.fixture
def infra(kube_api: client.ApiClient, namespace: str) -> str:
    create_infra(kube_api, namespace)
    wait_ready(
        kube_api,
        namespace,
        {
            "mongo": 1,
            "cache": 1,
            "store": 1,
            "search": 1,
            "vectors": 1,
            "neo4j": 2,
            "keycloak-postgres": 0,
            "api": 1,
        },
    )
    return namespace


def node_port(api: client.ApiClient, ns: str, name: str) -> int:
    service = client.CoreV1Api(api).read_namespaced_service(name, ns, _request_timeout=T)
    return int(service.spec.ports[0].node_port)


def by_service(result: ScanResult) -> dict[str, dict[str, Any]]:
    return {m.service: {"type": m.infra_type, **m.to_json()} for m in result.matches}


def run_scan(
    kubeconfig: bytes, settings: Settings, namespaces: list[str] | None, all_ns: bool = False
) -> ScanResult:
    with open_kube(kubeconfig, settings) as kube:
        return scan(kube, cluster_id="c1", namespaces=namespaces, all_namespaces=all_ns)


def test_scan_names_the_right_services_with_the_right_endpoints(
    infra: str, kube_api: client.ApiClient, admin_kubeconfig: str, settings: Settings
) -> None:
    ns = infra
    progress: list[tuple[str, float]] = []
    with open_kube(Path(admin_kubeconfig).read_bytes(), settings) as kube:
        result = scan(
            kube,
            cluster_id="c1",
            namespaces=[ns],
            all_namespaces=False,
            progress=lambda m, f: progress.append((m, f)),
        )
    found = by_service(result)
    assert {name: m["type"] for name, m in found.items()} == {
        "mongo": "mongo",
        "cache": "redis",
        "store": "postgres",
        "keycloak-postgres": "postgres",
        "vectors": "qdrant",
        "neo4j": "neo4j",
        "legacy-mysql": "mysql",
        "search": "elasticsearch",
    }
    dns = f"{ns}.svc.cluster.local"
    port = node_port(kube_api, ns, "cache")
    assert found["mongo"]["endpoints"] == [f"mongo.{dns}:27017"]
    assert found["mongo"]["connection_string"] == f"mongodb://mongo.{dns}:27017"
    assert (found["mongo"]["ready_endpoints"], found["mongo"]["ready"]) == (1, True)
    assert found["cache"]["endpoints"] == [f"cache.{dns}:6379", f"127.0.0.1:{port}"]
    assert found["cache"]["service_type"] == "NodePort"
    assert found["cache"]["reason"].startswith("pod image docker.io/bitnami/redis:7.2.4")
    assert found["store"]["endpoints"] == [f"store.{dns}:5432", "198.51.100.7:5432"]
    assert found["store"]["reason"].startswith("label app.kubernetes.io/name=postgresql")
    assert found["store"]["pending"] is False
    assert found["search"]["endpoints"] == [f"search.{dns}:9200", "es.example.com:9200"]
    assert found["vectors"]["endpoints"] == [f"vectors.{dns}:6333", f"vectors.{dns}:6334"]
    assert found["vectors"]["pending"] is True
    assert found["vectors"]["connection_string"] == f"http://vectors.{dns}:6333"
    assert found["neo4j"]["endpoints"] == [
        f"neo4j.{dns}:7687",
        f"neo4j.{dns}:7474",
        f"neo4j-0.neo4j.{dns}:7687",
        f"neo4j-0.neo4j.{dns}:7474",
        f"neo4j-1.neo4j.{dns}:7687",
        f"neo4j-1.neo4j.{dns}:7474",
    ]
    assert found["neo4j"]["statefulset_pods"] == ["neo4j-0", "neo4j-1"]
    assert (found["neo4j"]["headless"], found["neo4j"]["ready_endpoints"]) == (True, 2)
    assert found["neo4j"]["connection_string"] == f"bolt://neo4j.{dns}:7687"
    assert (found["keycloak-postgres"]["ready_endpoints"], found["keycloak-postgres"]["ready"]) == (0, False)
    assert found["legacy-mysql"]["endpoints"] == ["mysql.example.com:3306"]
    assert found["legacy-mysql"]["ready"] is None
    assert result.errors == []
    assert result.namespaces == [ns]
    assert set(result.catalog) >= {"mongo", "redis", "postgres", "qdrant", "neo4j", "keycloak"}
    doc = result.to_json("http://x/scan?scan=" + result.scan_id)
    assert doc["infra_services"]["postgres"]["endpoints"][:2] == [
        f"keycloak-postgres.{dns}:5432",
        f"store.{dns}:5432",
    ]
    assert doc["infra_services"]["rabbitmq"] == {
        "found": False,
        "type": "rabbitmq",
        "default_port": 5672,
        "endpoints": [],
        "matches": [],
    }
    assert progress[0][1] == 0.0 and progress[-1][1] == 1.0


def test_all_namespaces_finds_the_same(infra: str, admin_kubeconfig: str, settings: Settings) -> None:
    result = run_scan(Path(admin_kubeconfig).read_bytes(), settings, None, all_ns=True)
    assert result.all_namespaces and result.namespaces == []
    mine = sorted((m.infra_type, m.service) for m in result.matches if m.namespace == infra)
    assert mine == sorted(
        [
            ("mongo", "mongo"),
            ("redis", "cache"),
            ("postgres", "store"),
            ("postgres", "keycloak-postgres"),
            ("qdrant", "vectors"),
            ("neo4j", "neo4j"),
            ("mysql", "legacy-mysql"),
            ("elasticsearch", "search"),
        ]
    )
    assert result.errors == []


def test_pagination_reads_every_page(
    kube_api: client.ApiClient,
    namespace: str,
    admin_kubeconfig: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    core = client.CoreV1Api(kube_api)
    for i in range(23):
        core.create_namespaced_service(namespace, svc(f"redis-{i:02d}", [{"port": 6379}]), _request_timeout=T)
    monkeypatch.setattr(scanning, "PAGE_SIZE", 5)
    result = run_scan(Path(admin_kubeconfig).read_bytes(), settings, [namespace])
    assert sorted(m.service for m in result.matches) == [f"redis-{i:02d}" for i in range(23)]


@pytest.fixture
def other_namespace(kube_api: client.ApiClient) -> Iterator[str]:
    name = f"t-{secrets.token_hex(4)}"
    core = client.CoreV1Api(kube_api)
    core.create_namespace({"metadata": {"name": name}}, _request_timeout=T)
    core.create_namespaced_service(name, svc("redis", [{"port": 6379}]), _request_timeout=T)
    try:
        yield name
    finally:
        core.delete_namespace(name, _request_timeout=T)


def scoped_kubeconfig(
    api: client.ApiClient, ns: str, admin_kubeconfig: str, *, slices: bool = True, pods: bool = True
) -> bytes:
    """A ServiceAccount token that may read Services (Pods and EndpointSlices) in ``ns`` only."""
    resources = ["services", "pods"] if pods else ["services"]
    rules: list[dict[str, Any]] = [{"apiGroups": [""], "resources": resources, "verbs": ["get", "list"]}]
    if slices:
        rules.append(
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list"]}
        )
    token = service_account_token(api, ns, "scanner", rules)
    return with_token(Path(admin_kubeconfig).read_text(), token).encode()


def test_an_unreadable_namespace_is_an_error_and_the_rest_completes(
    infra: str, other_namespace: str, kube_api: client.ApiClient, admin_kubeconfig: str, settings: Settings
) -> None:
    scoped = scoped_kubeconfig(kube_api, infra, admin_kubeconfig)
    result = run_scan(scoped, settings, [other_namespace, infra])
    assert [e.namespace for e in result.errors] == [other_namespace]
    assert result.errors[0].reason.startswith("forbidden: ")
    assert "services" in result.errors[0].reason
    found = by_service(result)
    assert set(found) == {
        "mongo",
        "cache",
        "store",
        "keycloak-postgres",
        "vectors",
        "neo4j",
        "legacy-mysql",
        "search",
    }
    # nodes may not be listed: the NodePort keeps only its cluster DNS form
    assert found["cache"]["endpoints"] == [f"cache.{infra}.svc.cluster.local:6379"]
    assert found["mongo"]["ready_endpoints"] == 1


def test_without_endpointslices_readiness_is_unknown_not_an_error(
    infra: str, kube_api: client.ApiClient, admin_kubeconfig: str, settings: Settings
) -> None:
    scoped = scoped_kubeconfig(kube_api, infra, admin_kubeconfig, slices=False)
    result = run_scan(scoped, settings, [infra])
    assert result.errors == []
    found = by_service(result)
    assert found["mongo"]["reason"].startswith("pod image mongo:8.0")
    assert (found["mongo"]["ready"], found["mongo"]["unread"]) == (None, ["endpointslices"])
    assert found["neo4j"]["endpoints"] == [
        f"neo4j.{infra}.svc.cluster.local:7687",
        f"neo4j.{infra}.svc.cluster.local:7474",
    ]


def test_without_pods_the_namespace_is_an_error_and_what_was_recognised_is_kept(
    infra: str, kube_api: client.ApiClient, admin_kubeconfig: str, settings: Settings
) -> None:
    # known only by the image of the pods it selects (its name, labels and ports say nothing)
    body = deployment("ledger", {"tier": "ledger"}, "postgres:16", [5432])
    body["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = "db"
    client.AppsV1Api(kube_api).create_namespaced_deployment(infra, body, _request_timeout=T)
    ledger = svc("ledger", [{"name": "tcp", "port": 6543, "targetPort": "db"}], {"tier": "ledger"})
    client.CoreV1Api(kube_api).create_namespaced_service(infra, ledger, _request_timeout=T)
    wait_ready(kube_api, infra, {"ledger": 1})
    admin = run_scan(Path(admin_kubeconfig).read_bytes(), settings, [infra])
    assert (admin.errors, by_service(admin)["ledger"]["type"]) == ([], "postgres")
    scoped = scoped_kubeconfig(kube_api, infra, admin_kubeconfig, pods=False)
    result = run_scan(scoped, settings, [infra])
    assert [e.namespace for e in result.errors] == [infra]
    reason = result.errors[0].reason
    assert reason.startswith("pods: forbidden: ") and reason.endswith("(pod images and labels not read)")
    found = by_service(result)
    assert "ledger" not in found
    assert {"mongo", "store", "keycloak-postgres", "neo4j", "legacy-mysql", "cache"} <= set(found)
    assert found["mongo"]["unread"] == ["pods"]
    assert found["mongo"]["ready_endpoints"] == 1


def test_all_namespaces_forbidden_is_said_in_errors(
    infra: str, kube_api: client.ApiClient, admin_kubeconfig: str, settings: Settings
) -> None:
    scoped = scoped_kubeconfig(kube_api, infra, admin_kubeconfig)
    result = run_scan(scoped, settings, None, all_ns=True)
    assert [e.namespace for e in result.errors] == ["*"]
    assert "cannot list across all namespaces" in result.errors[0].reason
    assert result.matches == []


def test_a_missing_namespace_is_reported(admin_kubeconfig: str, settings: Settings) -> None:
    result = run_scan(Path(admin_kubeconfig).read_bytes(), settings, ["no-such-namespace-here"])
    assert [(e.namespace, e.reason) for e in result.errors] == [
        ("no-such-namespace-here", "namespace does not exist")
    ]


def test_unreachable_cluster_raises(admin_kubeconfig: str, settings: Settings) -> None:
    doc = yaml.safe_load(Path(admin_kubeconfig).read_text())
    doc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    with pytest.raises(Unreachable):
        run_scan(yaml.safe_dump(doc).encode(), settings, ["default"])
