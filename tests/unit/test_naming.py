"""Kubernetes names from compose names: valid, stable, and distinct when shortened."""

from __future__ import annotations

import pytest

from core.naming import (
    config_key,
    dns1035_label,
    dns_label,
    dns_subdomain,
    is_config_key,
    is_dns1035_label,
    is_dns_label,
    is_dns_subdomain,
    is_label_value,
    is_port_name,
    is_qualified_name,
    label_value,
    new_id,
    port_name,
    qualified_name,
    short_hash,
    unique_port_names,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("mongo", "mongo"),
        ("my_service", "my-service"),
        ("My_Service", "my-service"),
        ("mem0-ui", "mem0-ui"),
        ("__x__", "x"),
        ("a..b", "a-b"),
        ("web.app", "web-app"),
        ("speaker_model_cache", "speaker-model-cache"),
        ("3proxy", "3proxy"),
        ("a--b", "a-b"),
    ],
)
def test_dns_label_cleans(raw: str, expected: str) -> None:
    assert dns_label(raw) == expected
    assert is_dns_label(expected)


@pytest.mark.parametrize("raw", ["", "___", "!!!", "ü"])
def test_dns_label_of_nothing_usable_is_still_valid_and_stable(raw: str) -> None:
    name = dns_label(raw)
    assert is_dns_label(name)
    assert name == dns_label(raw)


def test_long_names_are_shortened_with_a_stable_hash() -> None:
    a = "a" * 70 + "-one"
    b = "a" * 70 + "-two"
    na, nb = dns_label(a), dns_label(b)
    assert len(na) == 63 and len(nb) == 63
    assert is_dns_label(na) and is_dns_label(nb)
    assert na != nb
    assert na.endswith(short_hash(a)) and na == dns_label(a)
    # a name at the limit is kept as is
    assert dns_label("b" * 63) == "b" * 63


def test_shortening_never_leaves_a_trailing_hyphen_before_the_hash() -> None:
    raw = "x" * 56 + "-" + "y" * 20
    name = dns_label(raw)
    assert "--" not in name and is_dns_label(name)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("web", "web"), ("3proxy", "s-3proxy"), ("_9", "s-9"), ("API", "api")],
)
def test_dns1035_label_starts_with_a_letter(raw: str, expected: str) -> None:
    assert dns1035_label(raw) == expected
    assert is_dns1035_label(expected)


def test_dns1035_label_respects_max_length() -> None:
    name = dns1035_label("9" * 80, max_length=52)
    assert len(name) <= 52 and is_dns1035_label(name)


@pytest.mark.parametrize(
    ("raw", "valid"),
    [("a.b.c", True), ("A.b", False), ("a..b", False), ("-a", False), ("a" * 254, False), ("", False)],
)
def test_is_dns_subdomain(raw: str, valid: bool) -> None:
    assert is_dns_subdomain(raw) is valid


@pytest.mark.parametrize("raw", ["My_Config.File", "a..b", "x" * 300, "..", "host.docker.internal"])
def test_dns_subdomain_is_valid(raw: str) -> None:
    assert is_dns_subdomain(dns_subdomain(raw))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ushadow", "ushadow"),
        ("my_service", "my_service"),  # underscores are fine in label values
        ("docker-compose.infra:mongo", "docker-compose.infra-mongo"),  # colons are not
        ("-edge-", "edge"),
        ("", ""),
        ("a b/c", "a-b-c"),
    ],
)
def test_label_value(raw: str, expected: str) -> None:
    assert label_value(raw) == expected
    assert is_label_value(expected)


def test_long_label_value_is_hashed() -> None:
    raw = "v" * 100
    value = label_value(raw)
    assert len(value) == 63 and is_label_value(value) and value.endswith(short_hash(raw))


@pytest.mark.parametrize(
    ("value", "valid"),
    [("ok", True), ("", True), ("a:b", False), ("-a", False), ("a" * 64, False), ("a_b.c-d", True)],
)
def test_is_label_value(value: str, valid: bool) -> None:
    assert is_label_value(value) is valid


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("app", True),
        ("app.kubernetes.io/name", True),
        ("ushadow.component", True),
        ("kompose.service.healthcheck.readiness.test", True),
        ("Bad Key", False),
        ("UPPER.example.com/x", False),
        ("/x", False),
        ("x/", False),
        ("a" * 64, False),
    ],
)
def test_is_qualified_name(key: str, valid: bool) -> None:
    assert is_qualified_name(key) is valid


@pytest.mark.parametrize("key", ["Bad Key", "x/", "UPPER.example.com/x y", "a" * 80, "ok.key"])
def test_qualified_name_is_valid(key: str) -> None:
    assert is_qualified_name(qualified_name(key))


@pytest.mark.parametrize(
    ("key", "valid"), [("API_KEY", True), ("a.b-c", True), ("weird key", False), ("", False), ("k=v", False)]
)
def test_config_keys(key: str, valid: bool) -> None:
    assert is_config_key(key) is valid
    assert is_config_key(config_key(key))


def test_config_key_keeps_distinct_keys_distinct() -> None:
    assert config_key("a b") != config_key("a/b")


@pytest.mark.parametrize(
    ("proto", "port", "declared", "expected"),
    [
        ("tcp", 8080, None, "tcp-8080"),
        ("udp", 53, None, "udp-53"),
        ("tcp", 80, "http", "http"),
        ("tcp", 80, "HTTP_API", "http-api"),
        ("tcp", 80, "8080", "tcp-80"),  # no letter: not a valid port name
        ("tcp", 80, "a-very-long-port-name", "a-very-long-por"),
        ("sctp", 65535, None, "sctp-65535"),
    ],
)
def test_port_name(proto: str, port: int, declared: str | None, expected: str) -> None:
    assert port_name(proto, port, declared) == expected
    assert is_port_name(expected)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("http", True), ("tcp-80", True), ("80", False), ("a--b", False), ("-a", False), ("a" * 16, False)],
)
def test_is_port_name(value: str, valid: bool) -> None:
    assert is_port_name(value) is valid


def test_unique_port_names_same_number_tcp_and_udp() -> None:
    names = unique_port_names([("tcp", 53, None), ("udp", 53, None)])
    assert names == ["tcp-53", "udp-53"]


def test_unique_port_names_clashing_declared_names() -> None:
    names = unique_port_names(
        [("tcp", 80, "web"), ("tcp", 81, "WEB"), ("tcp", 82, "web"), ("udp", 80, "web")]
    )
    assert len(set(names)) == 4
    assert all(is_port_name(n) for n in names)
    assert names[0] == "web" and names[1] == "tcp-81"


def test_unique_port_names_long_declared_names_stay_within_15() -> None:
    names = unique_port_names(
        [("tcp", 1, "abcdefghijklmnopq"), ("tcp", 1, "abcdefghijklmnopq"), ("tcp", 1, "x")]
    )
    assert len(set(names)) == 3
    assert all(is_port_name(n) and len(n) <= 15 for n in names)


def test_new_ids_never_start_like_an_option() -> None:
    # One in 32 URL-safe tokens starts with '-' or '_'; 2,000 ids would all but surely include one.
    ids = [new_id() for _ in range(2000)]
    assert all(token[0].isalnum() for token in ids)
    assert len(set(ids)) == len(ids)
    assert all(len(token) == 22 for token in ids)
