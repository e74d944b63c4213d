"""Recognition that does not fool itself: tables of realistic raw API objects and what must match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from core.catalog import load_catalog
from core.scan.matching import match_services
from core.scan.pods import PodIndex
from core.scan.recognition import recognise
from tests.support.kubejson import bitnami, endpoint, endpoint_slice, pod, port, sel, service

Obj = dict[str, Any]


@dataclass
class Case:
    services: list[Obj]
    pods: list[Obj] = field(default_factory=list)
    # (type, primary service, related services), in result order
    expected: list[tuple[str, str, list[str]]] = field(default_factory=list)


REDIS_RELEASE = Case(
    services=[
        service(
            "redis-headless",
            headless=True,
            ports=[port(6379, "tcp-redis", target="redis")],
            selector=sel("redis", "redis"),
            labels=bitnami("redis", "redis", version="17.3.2"),
        ),
        service(
            "redis-master",
            ports=[port(6379, "tcp-redis", target="redis")],
            selector=sel("redis", "redis", "master"),
            labels=bitnami("redis", "redis", "master", "17.3.2"),
        ),
        service(
            "redis-replicas",
            ports=[port(6379, "tcp-redis", target="redis")],
            selector=sel("redis", "redis", "replica"),
            labels=bitnami("redis", "redis", "replica", "17.3.2"),
        ),
        service(
            "redis-metrics",
            ports=[port(9121, "http-metrics")],
            selector=sel("redis", "redis"),
            labels=bitnami("redis", "redis", "metrics", "17.3.2"),
        ),
    ],
    pods=[
        pod(
            "redis-master-0",
            labels=bitnami("redis", "redis", "master"),
            images=["docker.io/bitnami/redis:7.2.4-debian-12-r0", "docker.io/bitnami/redis-exporter:1.58.0"],
            ports=[6379],
        ),
        pod(
            "redis-replicas-0",
            labels=bitnami("redis", "redis", "replica"),
            images=["docker.io/bitnami/redis:7.2.4-debian-12-r0"],
            ports=[6379],
        ),
    ],
    expected=[("redis", "redis-master", ["redis-replicas", "redis-headless"])],
)

POSTGRES_RELEASE = Case(
    services=[
        service(
            "keycloak-db-postgresql-hl",
            headless=True,
            ports=[port(5432, "tcp-postgresql")],
            selector=sel("postgresql", "keycloak-db"),
            labels=bitnami("postgresql", "keycloak-db", "primary"),
        ),
        service(
            "keycloak-db-postgresql",
            ports=[port(5432, "tcp-postgresql")],
            selector=sel("postgresql", "keycloak-db"),
            labels=bitnami("postgresql", "keycloak-db", "primary"),
        ),
    ],
    pods=[
        pod(
            "keycloak-db-postgresql-0",
            labels=bitnami("postgresql", "keycloak-db", "primary"),
            images=["docker.io/bitnami/postgresql:16.2.0"],
            ports=[5432],
        )
    ],
    expected=[("postgres", "keycloak-db-postgresql", ["keycloak-db-postgresql-hl"])],
)

ADMIN_UIS_BESIDE_DATABASES = Case(
    services=[
        service("mongo", ports=[port(27017)], selector={"app": "mongo"}),
        service("mongo-express", ports=[port(8081)], selector={"app": "mongo-express"}),
        service("redis", ports=[port(6379)], selector={"app": "redis"}),
        service("redis-commander", ports=[port(8081)], selector={"app": "redis-commander"}),
        service("redisinsight", ports=[port(5540)], selector={"app": "redisinsight"}),
        service("postgres", ports=[port(5432)], selector={"app": "postgres"}),
        service("pgadmin", ports=[port(80)], selector={"app": "pgadmin"}),
        service("db-tools", ports=[port(8080)], selector={"app": "db-tools"}),
        service("postgres-exporter", ports=[port(9187)], selector={"app": "postgres-exporter"}),
        service("mongodb-metrics", ports=[port(9216)], selector={"app": "mongo"}),
        service("postgres-ui", ports=[port(5432)], selector={"app": "postgres"}),
    ],
    pods=[
        pod("mongo-7d9", labels={"app": "mongo"}, images=["mongo:8.0"], ports=[27017]),
        pod(
            "mongo-express-5c", labels={"app": "mongo-express"}, images=["mongo-express:1.0.2"], ports=[8081]
        ),
        pod("redis-6f", labels={"app": "redis"}, images=["redis:7-alpine"], ports=[6379]),
        pod(
            "redis-commander-1",
            labels={"app": "redis-commander"},
            images=["ghcr.io/joeferner/redis-commander:latest"],
            ports=[8081],
        ),
        pod(
            "redisinsight-2", labels={"app": "redisinsight"}, images=["redis/redisinsight:2.50"], ports=[5540]
        ),
        pod("postgres-0", labels={"app": "postgres"}, images=["postgres:16-alpine"], ports=[5432]),
        pod("pgadmin-3", labels={"app": "pgadmin"}, images=["dpage/pgadmin4:8.6"], ports=[80]),
        pod("db-tools-4", labels={"app": "db-tools"}, images=["adminer:4.8.1"], ports=[8080]),
        pod(
            "postgres-exporter-5",
            labels={"app": "postgres-exporter"},
            images=["quay.io/prometheuscommunity/postgres-exporter:v0.15.0"],
            ports=[9187],
        ),
    ],
    expected=[("mongo", "mongo", []), ("redis", "redis", []), ("postgres", "postgres", [])],
)

KEYCLOAK_AND_ITS_POSTGRES = Case(
    services=[
        service(
            "keycloak", ports=[port(8080, "http"), port(9000, "management")], selector={"app": "keycloak"}
        ),
        service("keycloak-postgres", ports=[port(5432)], selector={"app": "keycloak-postgres"}),
    ],
    pods=[
        pod(
            "keycloak-0",
            labels={"app": "keycloak"},
            images=["quay.io/keycloak/keycloak:26.0"],
            ports=[8080, 9000],
        ),
        pod(
            "keycloak-postgres-0",
            labels={"app": "keycloak-postgres"},
            images=["postgres:16-alpine"],
            ports=[5432],
        ),
    ],
    expected=[("postgres", "keycloak-postgres", []), ("keycloak", "keycloak", [])],
)

BY_POD_IMAGE_ONLY = Case(
    services=[service("cache", ports=[port(7000, "tcp", target=6379)], selector={"run": "cache"})],
    pods=[pod("cache-abc", labels={"run": "cache"}, images=["bitnami/redis:7.2"], ports=[6379])],
    expected=[("redis", "cache", [])],
)

BY_LABEL_ONLY = Case(
    services=[
        service(
            "store",
            ports=[port(7017)],
            selector={"tier": "store"},
            labels={"app.kubernetes.io/name": "mongodb", "app.kubernetes.io/instance": "store"},
        ),
        service("graph", ports=[port(8000)], selector={"tier": "graph"}),
    ],
    pods=[
        pod("store-0", labels={"tier": "store"}, images=["registry.example.com/team/doc-store:1.4"]),
        pod(
            "graph-0",
            labels={"tier": "graph", "app.kubernetes.io/name": "neo4j"},
            images=["registry.example.com/team/graph:2"],
        ),
    ],
    expected=[("mongo", "store", []), ("neo4j", "graph", [])],
)

MULTI_PORT = Case(
    services=[
        service("vectors", ports=[port(6334, "grpc"), port(6333, "http")], selector={"app": "vectors"}),
        service("neo4j", ports=[port(7474, "http"), port(7687, "bolt")], selector={"app": "neo4j"}),
        service(
            "rabbitmq",
            ports=[port(15672, "http-stats"), port(5672, "amqp"), port(4369, "epmd")],
            selector={"app": "rabbitmq"},
        ),
    ],
    pods=[
        pod("vectors-0", labels={"app": "vectors"}, images=["qdrant/qdrant:v1.12.1"], ports=[6333, 6334]),
        pod("neo4j-0", labels={"app": "neo4j"}, images=["neo4j:5.24"], ports=[7474, 7687]),
        pod("rabbitmq-0", labels={"app": "rabbitmq"}, images=["rabbitmq:3.13-management"], ports=[5672]),
    ],
    expected=[("qdrant", "vectors", []), ("neo4j", "neo4j", []), ("rabbitmq", "rabbitmq", [])],
)

NOT_INFRASTRUCTURE = Case(
    services=[
        service("kubernetes", "default", ports=[port(443, "https", target=6443)]),
        service("api", ports=[port(8080, "http")], selector={"app": "api"}),
        service("worker", ports=[port(8000)], selector={"app": "worker"}),
        service("frontend", ports=[port(80)], selector={"app.kubernetes.io/name": "frontend"}),
        service("kafka-ui", ports=[port(8080)], selector={"app": "kafka-ui"}),
        service("kibana", ports=[port(5601)], selector={"app": "kibana"}),
        service("opensearch-dashboards", ports=[port(5601)], selector={"app": "osd"}),
        service("minio-console", ports=[port(9001)], selector={"app": "minio"}),
        service("mongodb-operator-webhook", ports=[port(443)], selector={"app": "op"}),
        service("myapp", ports=[port(5432)], selector={"app.kubernetes.io/name": "myapp"}),
    ],
    pods=[
        pod("api-1", labels={"app": "api"}, images=["ghcr.io/acme/api:1.2"], ports=[8080]),
        # an app with a redis sidecar: the Service fronts the app, not the redis
        pod("worker-1", labels={"app": "worker"}, images=["ghcr.io/acme/worker:1", "redis:7"], ports=[8000]),
        pod("frontend-1", labels={"app.kubernetes.io/name": "frontend"}, images=["nginx:1.27"], ports=[80]),
        pod("kafka-ui-1", labels={"app": "kafka-ui"}, images=["provectuslabs/kafka-ui:latest"]),
        pod("kibana-1", labels={"app": "kibana"}, images=["docker.elastic.co/kibana/kibana:8.15.0"]),
        pod("osd-1", labels={"app": "osd"}, images=["opensearchproject/opensearch-dashboards:2"]),
        pod("myapp-1", labels={"app.kubernetes.io/name": "myapp"}, images=["ghcr.io/acme/myapp:3"]),
    ],
    expected=[],
)

SIGNALS_OUTRANK_NAMES = Case(
    services=[
        service("mongo-cache", ports=[port(6379)], selector={"app": "mongo-cache"}),
        service("legacy-mongo", ports=[port(5432)], labels={"app.kubernetes.io/name": "postgresql"}),
        service("db", ports=[port(5432, "tcp-postgresql")]),
    ],
    pods=[pod("mongo-cache-1", labels={"app": "mongo-cache"}, images=["redis:7.2"], ports=[6379])],
    expected=[("redis", "mongo-cache", []), ("postgres", "db", []), ("postgres", "legacy-mongo", [])],
)

NAMESPACES_ARE_SEPARATE = Case(
    services=[
        service("cache", "team-a", ports=[port(6379)], selector={"app": "cache"}),
        service("cache", "team-b", ports=[port(11211)], selector={"app": "cache"}),
    ],
    pods=[
        pod("cache-a", "team-a", labels={"app": "cache"}, images=["redis:7"]),
        pod("cache-b", "team-b", labels={"app": "cache"}, images=["memcached:1.6"]),
    ],
    expected=[("redis", "cache", []), ("memcached", "cache", [])],
)

TWO_RELEASES_OF_ONE_TYPE = Case(
    services=[
        service(
            "sessions-redis-master",
            ports=[port(6379)],
            selector=sel("redis", "sessions", "master"),
            labels=bitnami("redis", "sessions", "master"),
        ),
        service(
            "sessions-redis-headless",
            headless=True,
            ports=[port(6379)],
            selector=sel("redis", "sessions"),
            labels=bitnami("redis", "sessions"),
        ),
        service(
            "queue-redis-master",
            ports=[port(6379)],
            selector=sel("redis", "queue", "master"),
            labels=bitnami("redis", "queue", "master"),
        ),
        service(
            "queue-redis-headless",
            headless=True,
            ports=[port(6379)],
            selector=sel("redis", "queue"),
            labels=bitnami("redis", "queue"),
        ),
    ],
    expected=[
        ("redis", "queue-redis-master", ["queue-redis-headless"]),
        ("redis", "sessions-redis-master", ["sessions-redis-headless"]),
    ],
)

MONGODB_REPLICASET = Case(
    services=[
        service(
            "mongodb-headless",
            headless=True,
            ports=[port(27017, "mongodb")],
            selector=sel("mongodb", "mongodb"),
            labels=bitnami("mongodb", "mongodb", "mongodb"),
        ),
        service(
            "mongodb-arbiter-headless",
            headless=True,
            ports=[port(27017, "tcp-mongodb")],
            selector=sel("mongodb", "mongodb", "arbiter"),
            labels=bitnami("mongodb", "mongodb", "arbiter"),
        ),
    ],
    expected=[("mongo", "mongodb-headless", ["mongodb-arbiter-headless"])],
)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(REDIS_RELEASE, id="helm-redis-release"),
        pytest.param(POSTGRES_RELEASE, id="helm-postgresql-release"),
        pytest.param(ADMIN_UIS_BESIDE_DATABASES, id="admin-uis-and-exporters"),
        pytest.param(KEYCLOAK_AND_ITS_POSTGRES, id="keycloak-postgres"),
        pytest.param(BY_POD_IMAGE_ONLY, id="pod-image-only"),
        pytest.param(BY_LABEL_ONLY, id="label-only"),
        pytest.param(MULTI_PORT, id="multi-port"),
        pytest.param(NOT_INFRASTRUCTURE, id="not-infrastructure"),
        pytest.param(SIGNALS_OUTRANK_NAMES, id="images-and-labels-outrank-names"),
        pytest.param(NAMESPACES_ARE_SEPARATE, id="namespaces"),
        pytest.param(TWO_RELEASES_OF_ONE_TYPE, id="two-releases"),
        pytest.param(MONGODB_REPLICASET, id="mongodb-replicaset"),
    ],
)
def test_matches(case: Case) -> None:
    matches = match_services(case.services, case.pods, [], None)
    got = [(m.infra_type, m.service, [r["service"] for r in m.extra["related_services"]]) for m in matches]
    assert got == case.expected


@pytest.mark.parametrize(
    ("case", "service_name", "reasons"),
    [
        (
            REDIS_RELEASE,
            "redis-master",
            [
                "pod image docker.io/bitnami/redis:7.2.4-debian-12-r0",
                "label app.kubernetes.io/name=redis",
                "label helm.sh/chart=redis-17.3.2",
                "name token redis",
            ],
        ),
        (BY_POD_IMAGE_ONLY, "cache", ["pod image bitnami/redis:7.2"]),
        (BY_LABEL_ONLY, "store", ["label app.kubernetes.io/name=mongodb"]),
        (BY_LABEL_ONLY, "graph", ["label app.kubernetes.io/name=neo4j"]),
        (
            KEYCLOAK_AND_ITS_POSTGRES,
            "keycloak-postgres",
            ["pod image postgres:16-alpine", "label app=keycloak-postgres", "name token postgres"],
        ),
        (SIGNALS_OUTRANK_NAMES, "db", ["port 5432 (postgres default)", "port name tcp-postgresql"]),
    ],
)
def test_reasons_say_why(case: Case, service_name: str, reasons: list[str]) -> None:
    match = next(m for m in match_services(case.services, case.pods, [], None) if m.service == service_name)
    for reason in reasons:
        assert reason in match.reason.split("; ")


def test_helm_release_is_one_match_with_the_primary_endpoint_first() -> None:
    slices = [
        endpoint_slice("redis-master", endpoints=[endpoint("redis-master-0")]),
        endpoint_slice(
            "redis-replicas", endpoints=[endpoint("redis-replicas-0"), endpoint("redis-replicas-1")]
        ),
        endpoint_slice(
            "redis-headless",
            endpoints=[
                endpoint("redis-master-0", hostname="redis-master-0"),
                endpoint("redis-replicas-0", hostname="redis-replicas-0"),
            ],
        ),
    ]
    (match,) = match_services(REDIS_RELEASE.services, REDIS_RELEASE.pods, slices, None)
    assert match.endpoints[:3] == [
        "redis-master.ushadow.svc.cluster.local:6379",
        "redis-replicas.ushadow.svc.cluster.local:6379",
        "redis-headless.ushadow.svc.cluster.local:6379",
    ]
    assert "redis-master-0.redis-headless.ushadow.svc.cluster.local:6379" in match.endpoints
    assert match.connection_string == "redis://redis-master.ushadow.svc.cluster.local:6379"
    assert match.ready_endpoints == 1
    assert match.extra["instance"] == "redis"
    assert match.extra["statefulset_pods"] == ["redis-master-0", "redis-replicas-0"]
    replicas = match.extra["related_services"][0]
    assert (replicas["service"], replicas["ready_endpoints"]) == ("redis-replicas", 2)


def test_multi_port_services_list_the_main_port_first() -> None:
    matches = {m.service: m for m in match_services(MULTI_PORT.services, MULTI_PORT.pods, [], None)}
    assert matches["vectors"].endpoints == [
        "vectors.ushadow.svc.cluster.local:6333",
        "vectors.ushadow.svc.cluster.local:6334",
    ]
    assert matches["neo4j"].connection_string == "bolt://neo4j.ushadow.svc.cluster.local:7687"
    assert matches["rabbitmq"].endpoints[0] == "rabbitmq.ushadow.svc.cluster.local:5672"
    assert matches["rabbitmq"].connection_string == "amqp://rabbitmq.ushadow.svc.cluster.local:5672"


def test_selector_takes_only_pods_with_every_label_in_the_same_namespace() -> None:
    pods = [
        pod("a", "ns1", labels={"app": "x", "tier": "db"}, images=["redis"]),
        pod("b", "ns1", labels={"app": "x"}, images=["mongo"]),
        pod("c", "ns2", labels={"app": "x", "tier": "db"}, images=["postgres"]),
    ]
    index = PodIndex(pods)
    assert [p["metadata"]["name"] for p in index.selected("ns1", {"app": "x", "tier": "db"})] == ["a"]
    assert [p["metadata"]["name"] for p in index.selected("ns1", {"app": "x"})] == ["a", "b"]
    assert index.selected("ns1", {}) == []
    assert index.selected("ns3", {"app": "x"}) == []


@pytest.mark.parametrize(
    ("svc", "pods", "expected"),
    [
        (service("x", ports=[port(6379)]), [], ("redis", "port")),
        (service("x", ports=[port(8080)]), [], None),
        (service("x", ports=[port(9000, "api")]), [], None),
        (service("x", ports=[port(3306)]), [], ("mysql", "port")),
        (service("mariadb", ports=[port(3306)]), [], ("mariadb", "name")),
        (service("x", ports=[port(6379), port(5432)]), [], None),
        (
            service("redis-proxy", ports=[port(6379)], selector={"a": "b"}),
            [pod("p", labels={"a": "b"}, images=["envoyproxy/envoy:v1.31"])],
            ("redis", "name"),
        ),
        (
            service("cache", ports=[port(6379)], selector={"a": "b"}),
            [pod("p", labels={"a": "b"}, images=["mongo-express"])],
            None,
        ),
        (service("pg", kind="ExternalName", external_name="db.example.com"), [], ("postgres", "name")),
        (service("x", ports=[port(8086)]), [], None),
        (service("alertmanager", ports=[port(9093)]), [], None),
        (
            service("keycloak-postgres", ports=[port(5432)], labels={"app.kubernetes.io/name": "keycloak"}),
            [],
            ("postgres", "name"),
        ),
        (
            service("keycloak", ports=[port(8080)], labels={"app.kubernetes.io/name": "keycloak"}),
            [],
            ("keycloak", "label"),
        ),
    ],
)
def test_recognise_one_service(svc: Obj, pods: list[Obj], expected: tuple[str, str] | None) -> None:
    found = recognise(svc, pods, catalog=load_catalog())
    assert (None if found is None else (found.infra_type, found.signal)) == expected


def test_namespace_whose_slices_could_not_be_read_has_unknown_readiness() -> None:
    services = [service("redis", "a", ports=[port(6379)]), service("redis", "b", ports=[port(6379)])]
    slices = [endpoint_slice("redis", "b", endpoints=[endpoint("redis-0")])]
    matches = match_services(services, [], slices, None, unread={"a": ["endpointslices"]})
    state = {m.namespace: (m.ready_endpoints, m.extra["ready"], m.extra["unread"]) for m in matches}
    assert state == {"a": (0, None, ["endpointslices"]), "b": (1, True, [])}


def test_a_reason_by_port_names_the_port_the_default_port_column_shows() -> None:
    matches = {m.service: m for m in match_services(MULTI_PORT.services, MULTI_PORT.pods, [], None)}
    reason = matches["neo4j"].reason
    assert "port 7687 (neo4j default)" in reason and "7474" not in reason, reason
