"""The catalog of infrastructure types: its data, its validation, and recognising compose services."""

from __future__ import annotations

import pytest
import yaml

from core.catalog import (
    CATALOG_FILE,
    image_repository,
    load_catalog,
    name_tokens,
    parse_catalog,
    recognise_compose_service,
)
from core.errors import InvalidInput
from tests.support.paths import FIXTURES

PLATFORM = FIXTURES / "compose" / "platform"  # a realistic registry of many files

REQUIRED = {
    "mongo": 27017,
    "redis": 6379,
    "postgres": 5432,
    "qdrant": 6333,
    "neo4j": 7687,
    "keycloak": 8080,
    "mysql": 3306,
    "mariadb": 3306,
    "rabbitmq": 5672,
    "kafka": 9092,
    "elasticsearch": 9200,
    "opensearch": 9200,
    "minio": 9000,
    "nats": 4222,
    "memcached": 11211,
}


def test_required_types_with_their_main_ports() -> None:
    ports = load_catalog().default_ports()
    assert {t: ports[t] for t in REQUIRED} == REQUIRED
    assert list(ports)[:5] == ["mongo", "redis", "postgres", "qdrant", "neo4j"]


@pytest.mark.parametrize(
    ("infra_type", "port_name", "number", "scheme"),
    [
        ("qdrant", "http", 6333, "http"),
        ("qdrant", "grpc", 6334, "http"),
        ("neo4j", "bolt", 7687, "bolt"),
        ("neo4j", "http", 7474, "http"),
        ("rabbitmq", "amqp", 5672, "amqp"),
        ("rabbitmq", "management", 15672, "http"),
        ("minio", "api", 9000, "http"),
        ("minio", "console", 9001, "http"),
        ("mongo", "mongodb", 27017, "mongodb"),
        ("redis", "redis", 6379, "redis"),
        ("postgres", "postgresql", 5432, "postgresql"),
        ("mysql", "mysql", 3306, "mysql"),
        ("nats", "client", 4222, "nats"),
        ("memcached", "memcache", 11211, "memcached"),
    ],
)
def test_named_ports_and_schemes(infra_type: str, port_name: str, number: int, scheme: str) -> None:
    spec = load_catalog().get(infra_type).port_named(port_name)
    assert spec is not None
    assert (spec.port, spec.scheme) == (number, scheme)


@pytest.mark.parametrize(
    ("infra_type", "env", "part", "port"),
    [
        ("mongo", "MONGODB_URL", "url", None),
        ("redis", "REDIS_URL", "url", None),
        ("postgres", "DATABASE_URL", "url", None),
        ("postgres", "POSTGRES_HOST", "host", None),
        ("postgres", "POSTGRES_PORT", "port", None),
        ("qdrant", "QDRANT_URL", "url", None),
        ("qdrant", "QDRANT_GRPC_PORT", "port", "grpc"),
        ("neo4j", "NEO4J_URI", "url", None),
        ("kafka", "KAFKA_BOOTSTRAP_SERVERS", "host_port", None),
    ],
)
def test_env_hints_are_data(infra_type: str, env: str, part: str, port: str | None) -> None:
    hints = {h.name: h for h in load_catalog().get(infra_type).env}
    assert (hints[env].part, hints[env].port) == (part, port)


def test_catalog_is_loaded_once() -> None:
    assert load_catalog() is load_catalog()


def test_unknown_type_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not an infrastructure type"):
        load_catalog().get("oracle")


def _broken(mutate: object) -> str:
    data = yaml.safe_load(CATALOG_FILE.read_text())
    assert callable(mutate)
    mutate(data)
    return yaml.safe_dump(data)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["types"][0]["ports"].append({"name": "x", "port": 1, "scheme": "x", "main": True}),
            "main port",
        ),
        (lambda d: d["types"][1]["tokens"].append("mongo"), "token 'mongo' is claimed"),
        (lambda d: d["types"][0]["ports"][0].update(port=70000), "types.0.ports.0.port"),
        (lambda d: d["types"][0].update(colour="green"), "types.0.colour"),
        (lambda d: d["types"][0]["ports"][0].update(port="27017"), "types.0.ports.0.port"),
        (lambda d: d["types"][0]["env"].append({"name": "X", "part": "url", "port": "nope"}), "unknown port"),
        (lambda d: d["deny"]["tokens"].append("redis"), "also type tokens"),
        (lambda d: d["types"][2]["tokens"].append("Post-Gres"), "one lowercase word"),
        (lambda d: d["shared_images"].append("bitnami/redis"), "shared images \\['bitnami/redis'\\]"),
    ],
)
def test_invalid_catalog_names_the_field(mutate: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_catalog(_broken(mutate))


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("mongo", "mongo"),
        ("mongo:8.0", "mongo"),
        ("docker.io/library/redis:7.2", "redis"),
        ("docker.io/bitnami/redis:7.2.4-debian-12-r0", "bitnami/redis"),
        ("quay.io/keycloak/keycloak:26.0", "keycloak/keycloak"),
        ("localhost:5000/mongo", "mongo"),
        ("anubis:32000/ushadow-frontend:latest", "ushadow-frontend"),
        ("ghcr.io/ushadow-io/mycelia/backend:latest", "ushadow-io/mycelia/backend"),
        ("postgres@sha256:0123abcd", "postgres"),
        ("Redis/Redis-Stack:7.2.0-v10", "redis/redis-stack"),
    ],
)
def test_image_repository(image: str, repository: str) -> None:
    assert image_repository(image) == repository


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("keycloak-postgres", ["keycloak", "postgres"]),
        ("my_redis.cache", ["my", "redis", "cache"]),
        ("Mongo--Express", ["mongo", "express"]),
        ("", []),
    ],
)
def test_name_tokens(name: str, tokens: list[str]) -> None:
    assert name_tokens(name) == tokens


@pytest.mark.parametrize(
    ("image", "infra_type", "denied"),
    [
        ("bitnami/redis:7.2", "redis", False),
        ("redis/redis-stack-server:latest", "redis", False),
        ("registry.k8s.io/redis:e2e", "redis", False),
        ("sameersbn/postgresql:9.5-3", "postgres", False),
        ("centos/mariadb", "mariadb", False),
        ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "elasticsearch", False),
        ("opensearchproject/opensearch:2", "opensearch", False),
        ("quay.io/minio/minio:RELEASE.2023-12-20T01-00-02Z", "minio", False),
        ("confluentinc/cp-kafka:7.6.0", "kafka", False),
        ("mongo-express:1.0", None, True),
        ("rediscommander/redis-commander:latest", None, True),
        ("redis/redisinsight:2.50", None, True),
        ("dpage/pgadmin4:8", None, True),
        ("oliver006/redis_exporter:v1.62.0", None, True),
        ("quay.io/prometheuscommunity/postgres-exporter:v0.15.0", None, True),
        ("someone/mongodb-exporter", None, True),
        ("docker.elastic.co/kibana/kibana:8.15.0", None, True),
        ("ghcr.io/ushadow-io/ushadow-backend:latest", None, False),
        ("nginx:alpine", None, False),
        ("ghcr.io/acme/server:1", None, False),
        ("mariadb/server:10.3", "mariadb", False),
        ("ghcr.io/acme/spilo-15:3", None, False),
        # one image, several components (Kafka, ZooKeeper, Connect): it names no type
        ("quay.io/strimzi/kafka:0.40.0-kafka-3.7.0", None, False),
        ("apache/kafka:3.7.0", "kafka", False),
        # companion tools named after their datastore
        ("confluentinc/cp-kafka-connect:7.6.0", None, True),
        ("confluentinc/cp-schema-registry:7.6.0", None, True),
        ("confluentinc/cp-kafka-rest:7.6.0", None, True),
        ("hlebalbau/kafka-manager:stable", None, True),
        ("elastichq/elasticsearch-hq:release-v3.5.12", None, True),
        ("thelastpickle/cassandra-reaper:3.5.0", None, True),
        ("docker.elastic.co/apm/apm-server:8.5.1", None, True),
        ("ghcr.io/acme/kafka-manager:1", None, True),
        # a deny word before the type's word qualifies it: an unknown image, not a tool
        ("ghcr.io/acme/dashboard-postgres:1", None, False),
    ],
)
def test_classify_image(image: str, infra_type: str | None, denied: bool) -> None:
    verdict = load_catalog().classify_image(image)
    assert (verdict.infra_type, verdict.denied) == (infra_type, denied)


@pytest.mark.parametrize(
    ("name", "skip", "tool"),
    [
        ("mongo-express", 0, ("express", True)),
        ("postgres-exporter", 0, ("exporter", True)),
        ("myrel-postgresql-primary-metrics", 0, ("metrics", True)),
        ("kafka-connect", 0, ("connect", True)),
        ("elastic-apm-server", 0, ("apm", True)),
        ("minio-console", 1, ("console", True)),
        ("redis-commander", 2, ("commander", True)),
        ("web-headless", 1, None),
        ("web", 0, ("web", False)),
        ("dashboard", 0, ("dashboard", False)),
        ("schema-registry", 0, ("registry", False)),
        ("web", 1, None),
        ("console-mongodb", 0, None),
        ("web-redis-master", 0, None),
        ("dashboard-postgresql-hl", 0, None),
        ("keycloak-postgres", 0, None),
        ("redis-proxy", 0, None),
    ],
)
def test_tool_names(name: str, skip: int, tool: tuple[str, bool] | None) -> None:
    found = load_catalog().tool_name(name_tokens(name), skip=skip)
    assert (None if found is None else (found.token, found.of_type)) == tool


@pytest.mark.parametrize(
    ("chart", "infra_type"),
    [
        ("redis-17.3.2", "redis"),
        ("postgresql-12.1.0", "postgres"),
        ("postgresql-ha-11.9.4", "postgres"),
        ("mongodb-15.6.26", "mongo"),
        ("keycloakx-2.3.0", "keycloak"),
        ("kube-prometheus-stack-45.0.0", None),
        ("prometheus-redis-exporter-6.1.0", None),
        ("myapp-0.1.0", None),
    ],
)
def test_chart_labels(chart: str, infra_type: str | None) -> None:
    assert load_catalog().type_of_chart(chart) == infra_type


@pytest.mark.parametrize(
    ("name", "image", "ports", "expected"),
    [
        ("mongo", "mongo:8.0", [27017], "mongo"),
        ("mongo-init", "mongo:8.0", [], None),
        ("redis", "redis:7-alpine", [6379], "redis"),
        ("keycloak", "quay.io/keycloak/keycloak:26.0", [8080, 9000], "keycloak"),
        ("keycloak-postgres", None, [], "postgres"),
        ("keycloak-postgres", "postgres:16-alpine", [5432], "postgres"),
        ("db", "postgres", [5432], "postgres"),
        ("database", "bitnami/mariadb:latest", [3306], "mariadb"),
        ("cache", None, [6379], "redis"),
        ("store", "mycorp/custom:1", [3306], "mysql"),
        ("mongo-express", "mongo-express", [8081], None),
        ("pgadmin", "dpage/pgadmin4", [80], None),
        ("redis-commander", "rediscommander/redis-commander:latest", [8081], None),
        ("redis-exporter", "oliver006/redis_exporter", [9121], None),
        ("admin", "adminer", [8080], None),
        ("backend", "ghcr.io/ushadow-io/ushadow-backend:latest", [8000], None),
        ("api", "ghcr.io/acme/api", [8080], None),
        ("web", "nginx", [80], None),
        ("search", None, [9200], "elasticsearch"),
        ("thing", None, [6379, 5432], None),
        ("ollama", "ollama/ollama:latest", [11434], "ollama"),
        ("postgres", "redis:7", [6379], "redis"),
        ("console-mongodb", "mongo:7.0", [27017], "mongo"),
        ("dashboard", "postgres:16", [5432], "postgres"),
        ("dashboard", None, [5432], None),
        ("kafka-connect", "confluentinc/cp-kafka-connect:7.6.0", [8083], None),
        ("zookeeper", "quay.io/strimzi/kafka:0.40.0-kafka-3.7.0", [2181], "zookeeper"),
    ],
)
def test_recognise_compose_service(
    name: str, image: str | None, ports: list[int], expected: str | None
) -> None:
    assert recognise_compose_service(name, image, ports) == expected


def test_an_infra_compose_file_is_recognised() -> None:
    doc = yaml.safe_load((PLATFORM / "platform.infra.yml").read_text())
    found = {
        name: recognise_compose_service(name, svc.get("image"), []) for name, svc in doc["services"].items()
    }
    assert found == {
        "mongo": "mongo",
        "mongo-setup": None,  # a one-shot job on the mongo image is not a mongo
        "redis": "redis",
        "postgres": "postgres",
        "qdrant": "qdrant",
        "neo4j": "neo4j",
        "keycloak": "keycloak",
        "ollama": "ollama",
    }


def test_app_compose_files_have_only_their_own_mongo() -> None:
    apps = [p for p in PLATFORM.glob("*.y*ml") if p.name != "platform.infra.yml"]
    assert len(apps) >= 5
    flagged = []
    for path in apps:
        doc = yaml.safe_load(path.read_text()) or {}
        for name, svc in (doc.get("services") or {}).items():
            found = recognise_compose_service(name, (svc or {}).get("image"), [])
            if found:
                flagged.append((path.name, name, found))
    assert flagged == [("share-compose.yaml", "mongodb", "mongo")]  # a real `mongo:7.0` service
