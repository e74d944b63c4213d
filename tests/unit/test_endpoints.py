"""Endpoints, readiness and connection strings for every Service type (pure, raw API JSON)."""

from __future__ import annotations

from typing import Any

import pytest

from core.catalog import load_catalog
from core.scan.endpoints import (
    ServiceEndpoints,
    host_port,
    node_addresses,
    ordered_ports,
    readiness,
    service_endpoints,
)
from tests.support.kubejson import endpoint, endpoint_slice, node, port, service

NODES = [
    node("kwok-node-0", internal="10.0.0.10", external="203.0.113.10"),
    node("kwok-node-1", internal="10.0.0.11"),
    node("kwok-node-2"),
]


def endpoints_of(
    svc: dict[str, Any], infra: str, slices: list[dict[str, Any]] | None = None, nodes: Any = None
) -> ServiceEndpoints:
    return service_endpoints(svc, load_catalog().get(infra), slices=slices or [], nodes=nodes)


@pytest.mark.parametrize(
    ("svc", "infra", "expected", "connection"),
    [
        pytest.param(
            service("mongo", "data", ports=[port(27017)]),
            "mongo",
            ["mongo.data.svc.cluster.local:27017"],
            "mongodb://mongo.data.svc.cluster.local:27017",
            id="clusterip",
        ),
        pytest.param(
            service("q", ports=[port(6334, "grpc"), port(9999, "other"), port(6333, "http")]),
            "qdrant",
            [
                "q.ushadow.svc.cluster.local:6333",
                "q.ushadow.svc.cluster.local:6334",
                "q.ushadow.svc.cluster.local:9999",
            ],
            "http://q.ushadow.svc.cluster.local:6333",
            id="main-port-first",
        ),
        pytest.param(
            service("graph", ports=[port(80, "http", target=7474), port(7000, "bolt", target=7687)]),
            "neo4j",
            ["graph.ushadow.svc.cluster.local:7000", "graph.ushadow.svc.cluster.local:80"],
            "bolt://graph.ushadow.svc.cluster.local:7000",
            id="main-port-by-target-port",
        ),
        pytest.param(
            service("pg", kind="ExternalName", external_name="db.example.com"),
            "postgres",
            ["db.example.com:5432"],
            "postgresql://db.example.com:5432",
            id="externalname-without-ports",
        ),
        pytest.param(
            service("cache", kind="ExternalName", external_name="cache.example.com.", ports=[port(6380)]),
            "redis",
            ["cache.example.com:6380"],
            "redis://cache.example.com:6380",
            id="externalname-with-port",
        ),
    ],
)
def test_endpoints(svc: dict[str, Any], infra: str, expected: list[str], connection: str) -> None:
    found = endpoints_of(svc, infra)
    assert found.endpoints == expected
    assert found.connection_string == connection


def test_nodeport_lists_every_node_address_with_the_real_node_port() -> None:
    svc = service("redis", kind="NodePort", ports=[port(6379, "redis", node_port=31379)])
    found = endpoints_of(svc, "redis", nodes=NODES)
    assert found.endpoints == [
        "redis.ushadow.svc.cluster.local:6379",
        "10.0.0.10:31379",
        "203.0.113.10:31379",
        "10.0.0.11:31379",
    ]
    assert found.connection_string == "redis://redis.ushadow.svc.cluster.local:6379"


def test_nodeport_without_node_access_has_only_the_cluster_dns_form() -> None:
    svc = service("redis", kind="NodePort", ports=[port(6379, node_port=31379)])
    assert endpoints_of(svc, "redis", nodes=None).endpoints == ["redis.ushadow.svc.cluster.local:6379"]


@pytest.mark.parametrize(
    ("ingress", "extra", "pending"),
    [
        ([{"ip": "198.51.100.7", "ipMode": "VIP"}], ["198.51.100.7:5432"], False),
        ([{"hostname": "pg-123.elb.example.com"}], ["pg-123.elb.example.com:5432"], False),
        ([{"ip": "2001:db8::7"}], ["[2001:db8::7]:5432"], False),
        (None, [], True),
    ],
)
def test_loadbalancer(ingress: list[dict[str, str]] | None, extra: list[str], pending: bool) -> None:
    svc = service("pg", kind="LoadBalancer", ports=[port(5432, node_port=30432)], ingress=ingress)
    found = endpoints_of(svc, "postgres", nodes=NODES)
    assert found.endpoints == ["pg.ushadow.svc.cluster.local:5432", *extra]
    assert found.pending is pending


def test_headless_statefulset_pods_get_their_own_dns_names() -> None:
    svc = service("mongodb-headless", headless=True, ports=[port(27017, "mongodb")])
    slices = [
        endpoint_slice(
            "mongodb-headless",
            endpoints=[
                endpoint("mongodb-0", hostname="mongodb-0"),
                endpoint("mongodb-1", hostname="mongodb-1", ready=False),
            ],
        )
    ]
    found = endpoints_of(svc, "mongo", slices)
    assert found.endpoints == [
        "mongodb-headless.ushadow.svc.cluster.local:27017",
        "mongodb-0.mongodb-headless.ushadow.svc.cluster.local:27017",
        "mongodb-1.mongodb-headless.ushadow.svc.cluster.local:27017",
    ]
    assert (found.headless, found.ready_endpoints, found.ready) == (True, 1, True)
    assert found.pod_hostnames == ["mongodb-0", "mongodb-1"]


@pytest.mark.parametrize(
    ("slices", "count", "hostnames"),
    [
        ([], 0, []),
        ([endpoint_slice("s", endpoints=[])], 0, []),
        ([endpoint_slice("s", endpoints=[endpoint("a", ready=False), endpoint("b", ready=False)])], 0, []),
        ([endpoint_slice("s", endpoints=[endpoint("a"), endpoint("b", ready=None)])], 2, []),
        (
            [
                endpoint_slice("s", endpoints=[endpoint("a"), endpoint("b")], suffix="v4"),
                endpoint_slice("s", endpoints=[endpoint("a", ip="fd00::1")], suffix="v6"),
            ],
            2,
            [],
        ),
        ([endpoint_slice("s", endpoints=[endpoint("a", hostname="web-0")])], 1, ["web-0"]),
    ],
    ids=[
        "no-slices",
        "empty-slice",
        "none-ready",
        "unset-ready-is-ready",
        "dual-stack-counted-once",
        "hostname",
    ],
)
def test_readiness(slices: list[dict[str, Any]], count: int, hostnames: list[str]) -> None:
    assert readiness(slices) == (count, hostnames)


@pytest.mark.parametrize(
    ("selector", "slices", "ready"),
    [
        ({"app": "x"}, [endpoint_slice("x", endpoints=[endpoint("x-1")])], True),
        ({"app": "x"}, [endpoint_slice("x", endpoints=[endpoint("x-1", ready=False)])], False),
        ({"app": "x"}, [], False),
        (None, [], None),
    ],
    ids=["ready", "found-but-not-ready", "selector-without-slices", "selectorless-unknown"],
)
def test_ready_flag(
    selector: dict[str, str] | None, slices: list[dict[str, Any]], ready: bool | None
) -> None:
    svc = service("x", ports=[port(6379)], selector=selector)
    assert endpoints_of(svc, "redis", slices).ready is ready


def test_ordered_ports_keep_names_and_node_ports() -> None:
    svc = service(
        "r", ports=[port(15672, "http-stats", node_port=31672), port(5672, "amqp", node_port=30672)]
    )
    ports = ordered_ports(svc, load_catalog().get("rabbitmq"))
    assert [p.to_json() for p in ports] == [
        {"name": "amqp", "port": 5672, "target_port": 5672, "node_port": 30672, "protocol": "TCP"},
        {"name": "http-stats", "port": 15672, "target_port": 15672, "node_port": 31672, "protocol": "TCP"},
    ]


def test_node_addresses_in_node_order_without_repeats() -> None:
    nodes = [*NODES, node("kwok-node-3", internal="10.0.0.10")]
    assert node_addresses(nodes) == ["10.0.0.10", "203.0.113.10", "10.0.0.11"]
    assert node_addresses(None) == []


def test_node_addresses_of_ready_schedulable_nodes_come_first() -> None:
    nodes = [
        node("down", internal="10.0.0.1", ready=False),
        node("cordoned", internal="10.0.0.2", unschedulable=True),
        node("serving", internal="10.0.0.3", external="203.0.113.3"),
    ]
    assert node_addresses(nodes) == ["10.0.0.3", "203.0.113.3", "10.0.0.1", "10.0.0.2"]


@pytest.mark.parametrize(
    ("host", "port_number", "expected"),
    [("10.0.0.1", 80, "10.0.0.1:80"), ("fd00::1", 6379, "[fd00::1]:6379"), ("a.b", 1, "a.b:1")],
)
def test_host_port(host: str, port_number: int, expected: str) -> None:
    assert host_port(host, port_number) == expected


def test_connection_strings_never_carry_credentials() -> None:
    svc = service("pg", ports=[port(5432)], labels={"password": "hunter2"})
    svc["metadata"]["annotations"] = {"url": "postgresql://admin:hunter2@pg:5432"}
    found = endpoints_of(svc, "postgres")
    assert found.connection_string == "postgresql://pg.ushadow.svc.cluster.local:5432"
    assert "@" not in (found.connection_string or "")
