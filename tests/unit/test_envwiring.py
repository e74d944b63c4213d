"""The deploy form's environment: what a service asks for, wired to a scan (pure, no cluster)."""

from __future__ import annotations

from typing import Any

import pytest

from core.catalog import load_catalog
from core.compose.loading import load_project
from core.compose.model import ServiceSpec
from core.deploy.envwiring import (
    EnvRow,
    environment_for,
    missing_required,
    overrides,
    requested_variables,
    require_complete,
    wire,
)
from core.deploy.infravalues import Hint, Variable, hints_for, value_from
from core.errors import InvalidInput
from core.secrets.sensitivity import MASK
from core.store.scans import Match, ScanResult
from tests.support.paths import FIXTURES

SHOP = FIXTURES / "deploy" / "shop.yaml"
NS = "shop"


def match(
    infra_type: str,
    service: str,
    ports: list[tuple[str, int]],
    *,
    namespace: str = NS,
    ready: int = 1,
    external_name: str | None = None,
) -> Match:
    extra: dict[str, Any] = {
        "ports": [
            {"name": n, "port": p, "target_port": p, "node_port": None, "protocol": "TCP"} for n, p in ports
        ],
        "external_name": external_name,
    }
    host = external_name or f"{service}.{namespace}.svc.cluster.local"
    return Match(
        infra_type=infra_type,
        service=service,
        namespace=namespace,
        service_type="ExternalName" if external_name else "ClusterIP",
        ready_endpoints=ready,
        endpoints=[f"{host}:{p}" for _, p in ports],
        extra=extra,
    )


def scan_of(*matches: Match) -> ScanResult:
    return ScanResult(
        scan_id="s" * 22,
        cluster_id="c1",
        namespaces=[NS],
        catalog=load_catalog().default_ports(),
        matches=list(matches),
    )


MONGO = match("mongo", "mongo", [("mongodb", 27017)])
REDIS = match("redis", "cache-redis-master", [("tcp-redis", 6379)])
POSTGRES = match("postgres", "db", [("postgresql", 5432)])
MYSQL = match("mysql", "mysql", [("mysql", 3306)])
QDRANT = match("qdrant", "qdrant", [("http", 6333), ("grpc", 6334)])
NEO4J = match("neo4j", "graph", [("http", 7474), ("bolt", 7687)])
SCAN = scan_of(MONGO, REDIS, POSTGRES, QDRANT, NEO4J)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MONGODB_URL", [("mongo", "url", None)]),
        ("MONGO_URL", [("mongo", "url", None)]),
        ("MONGODB_URI", [("mongo", "url", None)]),
        ("REDIS_URL", [("redis", "url", None)]),
        ("REDIS_HOST", [("redis", "host", None)]),
        ("REDIS_PORT", [("redis", "port", None)]),
        ("DATABASE_URL", [("postgres", "url", None), ("mysql", "url", None), ("mariadb", "url", None)]),
        ("POSTGRES_URL", [("postgres", "url", None)]),
        ("POSTGRES_HOST", [("postgres", "host", None)]),
        ("POSTGRES_PORT", [("postgres", "port", None)]),
        ("QDRANT_HOST", [("qdrant", "host", None)]),
        ("QDRANT_PORT", [("qdrant", "port", None)]),
        ("QDRANT_URL", [("qdrant", "url", None)]),
        ("QDRANT_GRPC_PORT", [("qdrant", "port", "grpc")]),
        ("NEO4J_URI", [("neo4j", "url", None)]),
        ("NEO4J_URL", [("neo4j", "url", None)]),
        ("NEO4J_HOST", [("neo4j", "host", None)]),
        # Not in the catalog: read from the words of the name.
        ("MEM0_QDRANT_HOST", [("qdrant", "host", None)]),
        ("CHAT_REDIS_URI", [("redis", "url", None)]),
        ("NEO4J_HTTP_URL", [("neo4j", "url", "http")]),
        ("ORDERS_MONGO_ADDRESS", [("mongo", "host_port", None)]),
        # Nothing to wire: not an endpoint part, no type, or an admin UI.
        ("MONGO_INITDB_ROOT_USERNAME", []),
        ("LOG_LEVEL", []),
        ("SERVICE_URL", []),
        ("REDIS_UI_URL", []),
        ("URL", []),
    ],
)
def test_hints(name: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(h.infra_type, h.part, h.port) for h in hints_for(name)] == expected


@pytest.mark.parametrize(
    ("found", "hint", "default", "value"),
    [
        (MONGO, Hint("mongo", "url"), None, "mongodb://mongo.shop.svc.cluster.local:27017"),
        (
            MONGO,
            Hint("mongo", "url"),
            "mongodb://mongo:27017/shop",
            "mongodb://mongo.shop.svc.cluster.local:27017/shop",
        ),
        (MONGO, Hint("mongo", "host"), None, "mongo.shop.svc.cluster.local"),
        (MONGO, Hint("mongo", "port"), None, "27017"),
        (MONGO, Hint("mongo", "host_port"), None, "mongo.shop.svc.cluster.local:27017"),
        (
            REDIS,
            Hint("redis", "url"),
            "redis://redis:6379/0",
            "redis://cache-redis-master.shop.svc.cluster.local:6379/0",
        ),
        (POSTGRES, Hint("postgres", "url"), None, "postgresql://db.shop.svc.cluster.local:5432"),
        # The default's spelling of the scheme and its driver survive; its host does not.
        (
            POSTGRES,
            Hint("postgres", "url"),
            "postgres://x:5432/app",
            "postgres://db.shop.svc.cluster.local:5432/app",
        ),
        (
            POSTGRES,
            Hint("postgres", "url"),
            "postgresql+asyncpg://x/app?ssl=off",
            "postgresql+asyncpg://db.shop.svc.cluster.local:5432/app?ssl=off",
        ),
        # A default of another protocol does not lend its scheme.
        (
            POSTGRES,
            Hint("postgres", "url"),
            "http://x/app",
            "postgresql://db.shop.svc.cluster.local:5432/app",
        ),
        (QDRANT, Hint("qdrant", "url"), None, "http://qdrant.shop.svc.cluster.local:6333"),
        (QDRANT, Hint("qdrant", "port"), None, "6333"),
        (QDRANT, Hint("qdrant", "port", "grpc"), None, "6334"),
        (NEO4J, Hint("neo4j", "url"), None, "bolt://graph.shop.svc.cluster.local:7687"),
        (NEO4J, Hint("neo4j", "url", "http"), None, "http://graph.shop.svc.cluster.local:7474"),
        (NEO4J, Hint("neo4j", "port"), None, "7687"),
        # A Service that maps the port elsewhere: the Service port is what clients use.
        (match("redis", "r", [("redis", 16379)]), Hint("redis", "port"), None, "16379"),
        (
            match("mongo", "m", [("mongodb", 27017)], external_name="mongo.example.com"),
            Hint("mongo", "url"),
            None,
            "mongodb://mongo.example.com:27017",
        ),
    ],
)
def test_value_from_a_match(found: Match, hint: Hint, default: str | None, value: str) -> None:
    got = value_from(found, hint, default=default)
    assert got is not None
    assert got[0] == value


def test_a_port_the_service_lacks_gives_nothing() -> None:
    only_http = match("qdrant", "q", [("http", 6333)])
    assert value_from(only_http, Hint("qdrant", "port", "grpc")) is None


@pytest.mark.parametrize(
    ("variable", "typed", "scan", "value", "source"),
    [
        (
            Variable("REDIS_URL", "redis://redis:6379", False, True),
            {},
            SCAN,
            "redis://cache-redis-master.shop.svc.cluster.local:6379",
            "scan",
        ),
        (
            Variable("REDIS_URL", "redis://redis:6379", False, True),
            {"REDIS_URL": "redis://x:1"},
            SCAN,
            "redis://x:1",
            "typed",
        ),
        (Variable("REDIS_URL", "redis://redis:6379", False, True), {}, None, "redis://redis:6379", "default"),
        (
            Variable("REDIS_URL", "redis://redis:6379", False, True),
            {},
            scan_of(MONGO),
            "redis://redis:6379",
            "default",
        ),
        (Variable("QDRANT_PORT", "6333", False, True), {}, SCAN, "6333", "scan"),
        (Variable("API_KEY", None, True, True), {}, SCAN, None, "missing"),
        (Variable("API_KEY", None, True, True), {"API_KEY": "k"}, SCAN, "k", "typed"),
        (Variable("TAG", None, False, False), {}, SCAN, None, "unset"),
        (Variable("LOG_LEVEL", "info", False, True), {}, SCAN, "info", "default"),
        # Typed beats the scan also when empty: an explicit choice.
        (Variable("REDIS_HOST", "redis", False, True), {"REDIS_HOST": ""}, SCAN, "", "typed"),
    ],
)
def test_where_a_value_comes_from(
    variable: Variable, typed: dict[str, str], scan: ScanResult | None, value: str | None, source: str
) -> None:
    (row,) = wire([variable], scan=scan, namespace=NS, typed=typed)
    assert (row.value, row.source) == (value, source)
    assert (row.match is not None) == (source == "scan")


def test_the_scan_row_names_its_match() -> None:
    (row,) = wire([Variable("MONGODB_URL", None, False, True)], scan=SCAN, namespace=NS)
    assert row.match == MONGO
    assert (row.infra_type, row.part) == ("mongo", "url")
    assert row.to_json()["match"] == "shop/mongo"


@pytest.mark.parametrize(
    ("default", "scan", "expected"),
    [
        (None, scan_of(POSTGRES, MYSQL), "postgresql://db.shop.svc.cluster.local:5432"),
        (
            "mysql://app@mysql/app",
            scan_of(POSTGRES, MYSQL),
            "mysql://app@mysql.shop.svc.cluster.local:3306/app",
        ),
        (None, scan_of(MYSQL), "mysql://mysql.shop.svc.cluster.local:3306"),
    ],
)
def test_database_url_picks_the_type_its_default_speaks(
    default: str | None, scan: ScanResult, expected: str
) -> None:
    (row,) = wire([Variable("DATABASE_URL", default, False, True)], scan=scan, namespace=NS)
    assert row.value == expected


def test_matches_in_the_target_namespace_and_ready_ones_come_first() -> None:
    elsewhere = match("redis", "redis", [("redis", 6379)], namespace="other")
    not_ready = match("redis", "cold", [("redis", 6379)], ready=0)
    ready = match("redis", "warm", [("redis", 6379)])
    (row,) = wire(
        [Variable("REDIS_HOST", None, False, True)], scan=scan_of(elsewhere, not_ready, ready), namespace=NS
    )
    assert row.value == "warm.shop.svc.cluster.local"
    assert row.note is not None and "also found" in row.note
    (only,) = wire([Variable("REDIS_HOST", None, False, True)], scan=scan_of(elsewhere), namespace=NS)
    assert only.value == "redis.other.svc.cluster.local"


def test_credentials_are_never_generated_and_a_default_with_them_is_kept() -> None:
    default = "mongodb://app:s3cret@mongo:27017/shop"
    (row,) = wire([Variable("MONGODB_URL", default, False, True)], scan=SCAN, namespace=NS)
    assert (row.value, row.source) == (default, "default")
    assert row.note is not None and "mongo.shop.svc.cluster.local" in row.note
    got = value_from(MONGO, Hint("mongo", "url"), default=default)
    assert got is not None and "s3cret" not in got[0]
    for row in wire(
        [Variable(n, None, False, True) for n in ("MONGODB_URL", "REDIS_URL", "NEO4J_URI")],
        scan=SCAN,
        namespace=NS,
    ):
        assert row.value is not None and "@" not in row.value


def test_typed_names_the_service_did_not_ask_for_are_added() -> None:
    rows = wire([], scan=None, namespace=NS, typed={"EXTRA": "1"})
    assert [(r.name, r.value, r.source, r.in_environment) for r in rows] == [("EXTRA", "1", "typed", True)]
    with pytest.raises(InvalidInput, match="not an environment variable name"):
        wire([], scan=None, namespace=NS, typed={"BAD NAME": "1"})


def test_required_ones_must_be_filled() -> None:
    variables = [
        Variable("API_KEY", None, True, True),
        Variable("DB_PASS", None, True, False),
        Variable("X", "1", False, True),
    ]
    rows = wire(variables, scan=None, namespace=NS, typed={"DB_PASS": ""})
    assert missing_required(rows) == ["API_KEY", "DB_PASS"]
    with pytest.raises(InvalidInput, match="API_KEY, DB_PASS"):
        require_complete(rows)
    filled = wire(variables, scan=None, namespace=NS, typed={"API_KEY": "k", "DB_PASS": "p"})
    assert missing_required(filled) == []
    require_complete(filled)


def test_sensitive_values_are_masked_when_shown() -> None:
    rows = wire(
        [Variable("SHOP_API_KEY", None, True, True), Variable("LOG_LEVEL", "info", False, True)],
        scan=None,
        namespace=NS,
        typed={"SHOP_API_KEY": "abc"},
    )
    shown = {r["name"]: r for r in (row.to_json() for row in rows)}
    assert shown["SHOP_API_KEY"]["value"] == MASK and shown["SHOP_API_KEY"]["sensitive"]
    assert shown["LOG_LEVEL"]["value"] == "info"
    assert rows[0].to_json(mask=False)["value"] == "abc"


def _shop_api() -> ServiceSpec:
    return load_project(SHOP, strict=False, environ={}).services["shop-api"]


def test_what_the_shop_asks_for() -> None:
    got = [(v.name, v.default, v.required, v.in_environment) for v in requested_variables(_shop_api())]
    assert got == [
        ("MONGODB_URL", "mongodb://mongo:27017/shop", False, True),
        ("REDIS_URL", "redis://redis:6379/0", False, True),
        ("QDRANT_HOST", "qdrant", False, True),
        ("QDRANT_PORT", "6333", False, True),
        ("LOG_LEVEL", "info", False, True),
        ("SHOP_API_KEY", None, True, True),
    ]


def test_the_shop_form_against_a_scan() -> None:
    rows = wire(requested_variables(_shop_api()), scan=SCAN, namespace=NS, typed={"SHOP_API_KEY": "k"})
    by_name = {r.name: r for r in rows}
    assert by_name["MONGODB_URL"].value == "mongodb://mongo.shop.svc.cluster.local:27017/shop"
    assert by_name["REDIS_URL"].value == "redis://cache-redis-master.shop.svc.cluster.local:6379/0"
    assert (by_name["QDRANT_HOST"].value, by_name["QDRANT_PORT"].value) == (
        "qdrant.shop.svc.cluster.local",
        "6333",
    )
    assert [r.source for r in rows] == ["scan", "scan", "scan", "scan", "default", "typed"]
    assert overrides(rows) == {
        "MONGODB_URL": "mongodb://mongo.shop.svc.cluster.local:27017/shop",
        "REDIS_URL": "redis://cache-redis-master.shop.svc.cluster.local:6379/0",
        "QDRANT_HOST": "qdrant.shop.svc.cluster.local",
        "QDRANT_PORT": "6333",
        "SHOP_API_KEY": "k",
    }
    assert {r.name: r.value for r in rows}["LOG_LEVEL"] == "info"


def test_environment_for_keeps_values_built_from_other_variables() -> None:
    spec = ServiceSpec(
        name="app",
        image="x",
        environment={"DATABASE_URL": "postgresql://app:pw@db/app", "MODE": "a"},
        variables=["DB_PASS"],
    )
    rows = [
        EnvRow("DATABASE_URL", "postgresql://app:@db/app", "default", False, "postgresql://app:@db/app"),
        EnvRow("MODE", "b", "typed", False, "a"),
        EnvRow("DB_PASS", "pw", "typed", True, None, in_environment=False),
    ]
    assert environment_for(spec, rows) == {"DATABASE_URL": "postgresql://app:pw@db/app", "MODE": "b"}
