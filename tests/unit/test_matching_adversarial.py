"""Recognition against an outside check's cases (issue 4): datastores whose names hold a deny word,
images that run several components, admin-UI sidecars, tools named after their datastore,
CloudNativePG's role Services and a management-port Service. Each table row is a small namespace as
the API returns it and the matches it must give: (type, primary Service, related Services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from core.catalog import load_catalog
from core.scan.matching import match_services
from core.scan.recognition import recognise
from tests.support.kubejson import bitnami, endpoint, endpoint_slice, pod, port, sel, service

Obj = dict[str, Any]
STRIMZI = "quay.io/strimzi/kafka:0.40.0-kafka-3.7.0"


def app(name: str, image: str | list[str], ports: list[int], svc_ports: list[Obj] | None = None) -> list[Obj]:
    """A Deployment's pod labelled ``app=name`` and its Service of the same name."""
    images = [image] if isinstance(image, str) else image
    return [
        pod(f"{name}-0", labels={"app": name}, images=images, ports=ports),
        service(name, ports=svc_ports or [port(p) for p in ports], selector={"app": name}),
    ]


def split(objects: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """(Services, pods) of a mixed list (pods have containers)."""
    services = [o for o in objects if "containers" not in o["spec"]]
    return services, [o for o in objects if "containers" in o["spec"]]


@dataclass
class Case:
    objects: list[Obj]
    expected: list[tuple[str, str, list[str]]] = field(default_factory=list)


# D1: a deny word in the release's or the app's part of the name does not hide a datastore.
RELEASE_NAMED_WEB = Case(
    [
        pod("web-redis-master-0", labels=bitnami("redis", "web", "master"), images=["bitnami/redis:7.2.4"]),
        pod("web-redis-replicas-0", labels=bitnami("redis", "web", "replicas"), images=["bitnami/redis:7.2"]),
        service(
            "web-redis-master",
            ports=[port(6379, "tcp-redis", target="redis")],
            selector=sel("redis", "web", "master"),
            labels=bitnami("redis", "web", "master", "19.0.1"),
        ),
        service(
            "web-redis-replicas",
            ports=[port(6379, "tcp-redis", target="redis")],
            selector=sel("redis", "web", "replicas"),
            labels=bitnami("redis", "web", "replicas", "19.0.1"),
        ),
        service(
            "web-redis-headless",
            headless=True,
            ports=[port(6379, "tcp-redis", target="redis")],
            selector=sel("redis", "web"),
            labels=bitnami("redis", "web", "headless", "19.0.1"),
        ),
    ],
    [("redis", "web-redis-master", ["web-redis-replicas", "web-redis-headless"])],
)

RELEASE_NAMED_DASHBOARD = Case(
    [
        pod(
            "dashboard-postgresql-0",
            labels=bitnami("postgresql", "dashboard", "primary"),
            images=["docker.io/bitnami/postgresql:16.3.0"],
            ports=[5432],
        ),
        service(
            "dashboard-postgresql",
            ports=[port(5432, "tcp-postgresql", target="tcp-postgresql")],
            selector=sel("postgresql", "dashboard", "primary"),
            labels=bitnami("postgresql", "dashboard", "primary", "15.5.0"),
        ),
        service(
            "dashboard-postgresql-hl",
            headless=True,
            ports=[port(5432, "tcp-postgresql", target="tcp-postgresql")],
            selector=sel("postgresql", "dashboard", "primary"),
            labels=bitnami("postgresql", "dashboard", "primary", "15.5.0"),
        ),
    ],
    [("postgres", "dashboard-postgresql", ["dashboard-postgresql-hl"])],
)

DENY_WORD_BEFORE_THE_TYPE = Case(
    [
        *app("console-mongodb", "mongo:7.0", [27017], [port(27017, "mongo", target="mongo")]),
        *app("metrics-postgres", "postgres:16", [5432]),
        # a deny word after the type's word is that type's tool, whatever the pods run
        *app("postgres-ui", "postgres:16", [5432]),
        *app("minio-console", "quay.io/minio/minio:RELEASE.2024-05-10T01-41-38Z", [9001]),
    ],
    [("mongo", "console-mongodb", []), ("postgres", "metrics-postgres", [])],
)

TOOL_OF_NOTHING_KNOWN = Case(
    [
        # `dashboard`, `web`: a datastore image serving the Service's port outweighs the word
        *app("dashboard", "postgres:16", [5432]),
        *app("web", "nginx:1.27", [80]),
        *app("console", ["ghcr.io/acme/console:2", "redis:7"], [8080]),
    ],
    [("postgres", "dashboard", [])],
)

# D2: Strimzi runs ZooKeeper (and Connect) from its kafka image: labels and names decide.
STRIMZI_CLUSTER = Case(
    [
        pod(
            f"my-cluster-{part}-0",
            labels={
                "strimzi.io/cluster": "my-cluster",
                "strimzi.io/name": f"my-cluster-{part}",
                "app.kubernetes.io/name": part,
                "app.kubernetes.io/instance": "my-cluster",
            },
            images=[STRIMZI],
            ports=ports,
        )
        for part, ports in (("kafka", [9091, 9092, 9093]), ("zookeeper", [2181, 2888, 3888]))
    ]
    + [
        service(
            f"my-cluster-{part}-{suffix}",
            headless=suffix in ("brokers", "nodes"),
            ports=[port(n, f"tcp-{n}") for n in ports],
            selector={"strimzi.io/cluster": "my-cluster", "strimzi.io/name": f"my-cluster-{part}"},
            labels={"app.kubernetes.io/name": part, "app.kubernetes.io/instance": "my-cluster"},
        )
        for part, suffix, ports in (
            ("kafka", "bootstrap", [9091, 9092, 9093]),
            ("kafka", "brokers", [9091, 9092, 9093]),
            ("zookeeper", "client", [2181]),
            ("zookeeper", "nodes", [2181, 2888, 3888]),
        )
    ]
    + [
        pod(
            "my-connect-0",
            labels={"strimzi.io/name": "my-connect", "app.kubernetes.io/name": "kafka-connect"},
            images=[STRIMZI],
            ports=[8083],
        ),
        service(
            "my-connect-connect-api",
            ports=[port(8083, "rest-api")],
            selector={"strimzi.io/name": "my-connect"},
            labels={"app.kubernetes.io/name": "kafka-connect"},
        ),
    ],
    [
        ("kafka", "my-cluster-kafka-bootstrap", ["my-cluster-kafka-brokers"]),
        ("zookeeper", "my-cluster-zookeeper-client", ["my-cluster-zookeeper-nodes"]),
    ],
)

STRIMZI_ZOOKEEPER_ALONE = Case(
    [
        pod(
            "my-zookeeper-0",
            labels={"strimzi.io/name": "my-zookeeper", "app.kubernetes.io/name": "zookeeper"},
            images=[STRIMZI],
            ports=[2181],
        ),
        service(
            "my-zookeeper-client",
            ports=[port(2181, "tcp-clients")],
            selector={"strimzi.io/name": "my-zookeeper"},
            labels={"app.kubernetes.io/name": "zookeeper"},
        ),
    ],
    [("zookeeper", "my-zookeeper-client", [])],
)

# D3: a Service exposing only the admin-UI sidecar of a database pod is the admin UI.
ADMIN_SIDECAR = Case(
    [
        pod(
            "notes-0", labels={"app": "notes"}, images=["mongo:7.0", "mongo-express:1.0.2-20"], ports=[27017]
        ),
        service("notes-panel", ports=[port(8081, "http")], selector={"app": "notes"}),
        service("notes-db", ports=[port(27017, "mongo")], selector={"app": "notes"}),
    ],
    [("mongo", "notes-db", [])],
)


def _sidecar_pod(name: str, labels: dict[str, str]) -> Obj:
    """A mongo container and a mongo-express container that declares its port 8081."""
    p = pod(name, labels=labels, images=["mongo:7.0", "mongo-express:1.0.2-20"], ports=[27017])
    p["spec"]["containers"][1]["ports"] = [{"containerPort": 8081, "name": "ui", "protocol": "TCP"}]
    return p


ADMIN_SIDECAR_WITH_A_HINT = Case(
    [
        # the pod and the name say mongo: the port still lands on the UI's container
        _sidecar_pod("mongo-0", {"app": "mongo"}),
        service("mongo-panel", ports=[port(80, "http", target="ui")], selector={"app": "mongo"}),
        service("mongo-web", ports=[port(8081)], selector={"app": "mongo"}),
        service("mongo", ports=[port(27017)], selector={"app": "mongo"}),
    ],
    [("mongo", "mongo", [])],
)

# D4: tools named after their datastore are not the datastore.
TOOLS_NAMED_AFTER_DATASTORES = Case(
    [
        *app("kafka-connect", "confluentinc/cp-kafka-connect:7.6.0", [8083]),
        *app("kafka-manager", "hlebalbau/kafka-manager:stable", [9000]),
        *app("kafka-rest", "confluentinc/cp-kafka-rest:7.6.0", [8082]),
        *app("schema-registry", "confluentinc/cp-schema-registry:7.6.0", [8081]),
        *app("elasticsearch-hq", "elastichq/elasticsearch-hq:release-v3.5.12", [5000]),
        *app("cassandra-reaper", "thelastpickle/cassandra-reaper:3.5.0", [8080, 8081]),
        pod(
            "elastic-apm-server-0",
            labels={"app": "apm-server", "release": "elastic", "chart": "apm-server-8.5.1"},
            images=["docker.elastic.co/apm/apm-server:8.5.1"],
            ports=[8200],
        ),
        service(
            "elastic-apm-server",
            ports=[port(8200, "http")],
            selector={"app": "apm-server", "release": "elastic"},
            labels={"app": "apm-server", "release": "elastic", "chart": "apm-server-8.5.1"},
        ),
    ],
)

UNKNOWN_IMAGES_NEED_A_PORT = Case(
    [
        # words of a longer name or label, pods running nothing known: the port must agree
        *app("kafka-lag", "ghcr.io/acme/lag:1", [8000]),
        *app("mongo-sync", "ghcr.io/acme/sync:1", [8080]),
        pod("bridge-0", labels={"app.kubernetes.io/name": "redis-bridge"}, images=["ghcr.io/acme/b:1"]),
        service("bridge", ports=[port(8080)], selector={"app.kubernetes.io/name": "redis-bridge"}),
        *app("redis-proxy", "envoyproxy/envoy:v1.31", [6379]),
        # a label or name that ends in the type's word is the type: no port needed
        *app("orders-postgres", "ghcr.io/acme/pg-custom:16", [5433]),
        pod("sessions-0", labels={"app": "sessions", "k8s-app": "keydb"}, images=["corp/kv:6"], ports=[7000]),
        service("sessions", ports=[port(7000, "kv")], selector={"app": "sessions"}),
        pod("ledger-0", labels={"app": "ledger", "app.kubernetes.io/name": "mongodb"}, images=["corp/doc:7"]),
        service("ledger", ports=[port(27017, "tcp-db")], selector={"app": "ledger"}),
        # no pods (ExternalName): the name alone still speaks
        service("billing-postgres", kind="ExternalName", external_name="db.example.com"),
    ],
    [
        ("mongo", "ledger", []),
        ("redis", "redis-proxy", []),
        ("redis", "sessions", []),
        ("postgres", "billing-postgres", []),
        ("postgres", "orders-postgres", []),
    ],
)

# D5: CloudNativePG's read-write, read-only and any-instance Services are one database, -rw first.
CLOUDNATIVE_PG = Case(
    [
        pod(
            f"pg-{i}",
            labels={"cnpg.io/cluster": "pg", "cnpg.io/instanceRole": role, "cnpg.io/podRole": "instance"},
            images=["ghcr.io/cloudnative-pg/postgresql:16.3"],
            ports=[5432],
        )
        for i, role in ((1, "primary"), (2, "replica"))
    ]
    + [
        service(f"pg-{suffix}", ports=[port(5432, "postgres")], selector={"cnpg.io/cluster": "pg", **extra})
        for suffix, extra in (
            ("r", {"cnpg.io/podRole": "instance"}),
            ("ro", {"cnpg.io/instanceRole": "replica"}),
            ("rw", {"cnpg.io/instanceRole": "primary"}),
        )
    ],
    [("postgres", "pg-rw", ["pg-ro", "pg-r"])],
)

# A Service exposing only RabbitMQ's management port of the broker's pods belongs to the broker; two
# Services of one database that both expose the main port stay two matches.
MANAGEMENT_PORT_SERVICE = Case(
    [
        pod(
            "rabbitmq-0", labels={"app": "rabbitmq"}, images=["rabbitmq:3.13-management"], ports=[5672, 15672]
        ),
        service(
            "rabbitmq-management",
            ports=[port(15672, "http", target="management")],
            selector={"app": "rabbitmq"},
        ),
        service("rabbitmq", ports=[port(5672, "amqp")], selector={"app": "rabbitmq"}),
        pod("ledger-0", labels={"app": "ledger"}, images=["mongo:7.0"], ports=[27017]),
        service("ledger", ports=[port(27017)], selector={"app": "ledger"}),
        service("catalogue", ports=[port(27017)], selector={"app": "ledger"}),
    ],
    [("mongo", "catalogue", []), ("mongo", "ledger", []), ("rabbitmq", "rabbitmq", ["rabbitmq-management"])],
)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(RELEASE_NAMED_WEB, id="D1-release-web"),
        pytest.param(RELEASE_NAMED_DASHBOARD, id="D1-release-dashboard"),
        pytest.param(DENY_WORD_BEFORE_THE_TYPE, id="D1-deny-word-before-type"),
        pytest.param(TOOL_OF_NOTHING_KNOWN, id="D1-deny-word-alone"),
        pytest.param(STRIMZI_CLUSTER, id="D2-strimzi-cluster"),
        pytest.param(STRIMZI_ZOOKEEPER_ALONE, id="D2-strimzi-zookeeper"),
        pytest.param(ADMIN_SIDECAR, id="D3-admin-sidecar"),
        pytest.param(ADMIN_SIDECAR_WITH_A_HINT, id="D3-admin-sidecar-hinted"),
        pytest.param(TOOLS_NAMED_AFTER_DATASTORES, id="D4-tools"),
        pytest.param(UNKNOWN_IMAGES_NEED_A_PORT, id="D4-unknown-images"),
        pytest.param(CLOUDNATIVE_PG, id="D5-cloudnative-pg"),
        pytest.param(MANAGEMENT_PORT_SERVICE, id="management-port"),
    ],
)
def test_matches(case: Case) -> None:
    services, pods = split(case.objects)
    matches = match_services(services, pods, [], None)
    got = [(m.infra_type, m.service, [r["service"] for r in m.extra["related_services"]]) for m in matches]
    assert got == case.expected


@pytest.mark.parametrize(
    ("svc", "expected"),
    [
        # a release named `web` whose Service is named like the release: its labels still speak
        (
            service("web", ports=[port(6379)], selector=sel("redis", "web"), labels=bitnami("redis", "web")),
            ("redis", "label"),
        ),
        (
            service("web-headless", headless=True, ports=[port(6379)], labels=bitnami("redis", "web")),
            ("redis", "label"),
        ),
        # a release's name does not excuse a deny word after a type word
        (service("redis-commander", ports=[port(8081)], labels={"release": "redis-commander"}), None),
        (service("minio-console", ports=[port(9001)], labels={"release": "minio"}), None),
    ],
)
def test_release_names(svc: Obj, expected: tuple[str, str] | None) -> None:
    found = recognise(svc, [], catalog=load_catalog())
    assert (None if found is None else (found.infra_type, found.signal)) == expected


def test_a_datastore_image_outweighing_a_deny_word_says_so() -> None:
    services, pods = split(app("dashboard", "postgres:16", [5432]))
    found = recognise(services[0], pods, catalog=load_catalog())
    assert found is not None
    assert (found.infra_type, found.signal) == ("postgres", "image")
    assert found.reasons[0] == "pod image postgres:16"
    assert "name token dashboard outweighed by the image" in found.reasons


def test_cloudnative_pg_primary_endpoint_comes_first() -> None:
    services, pods = split(CLOUDNATIVE_PG.objects)
    slices = [
        endpoint_slice("pg-rw", endpoints=[endpoint("pg-1")]),
        endpoint_slice("pg-ro", endpoints=[endpoint("pg-2")]),
        endpoint_slice("pg-r", endpoints=[endpoint("pg-1"), endpoint("pg-2")]),
    ]
    (match,) = match_services(services, pods, slices, None)
    assert match.endpoints == [
        "pg-rw.ushadow.svc.cluster.local:5432",
        "pg-ro.ushadow.svc.cluster.local:5432",
        "pg-r.ushadow.svc.cluster.local:5432",
    ]
    assert match.connection_string == "postgresql://pg-rw.ushadow.svc.cluster.local:5432"
    assert match.ready_endpoints == 1
    assert match.reason.endswith("; together with pg-ro, pg-r")


def test_the_management_service_is_listed_behind_the_broker() -> None:
    services, pods = split(MANAGEMENT_PORT_SERVICE.objects)
    match = next(m for m in match_services(services, pods, [], None) if m.infra_type == "rabbitmq")
    assert match.connection_string == "amqp://rabbitmq.ushadow.svc.cluster.local:5672"
    assert match.endpoints == [
        "rabbitmq.ushadow.svc.cluster.local:5672",
        "rabbitmq-management.ushadow.svc.cluster.local:15672",
    ]
