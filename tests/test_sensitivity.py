"""The ConfigMap/Secret split and masking of Secret values."""

from __future__ import annotations

import base64

import pytest

from core.sensitivity import (
    MASK,
    is_sensitive,
    is_sensitive_name,
    is_sensitive_value,
    mask_environment,
    name_words,
    redact,
    split_environment,
)


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("API_KEY", True),
        ("OPENAI_API_KEY", True),
        ("SECRET_KEY", True),
        ("AUTH_SECRET_KEY", True),
        ("POSTGRES_PASSWORD", True),
        ("KC_BOOTSTRAP_ADMIN_PASSWORD", True),
        ("REDIS_PASS", True),
        ("DB_PASSWD", True),
        ("HF_TOKEN", True),
        ("JOIN_TOKEN", True),
        ("GOOGLE_APPLICATION_CREDENTIALS", True),
        ("SESSION_SECRET", True),
        ("TS_AUTHKEY", True),
        ("NEO4J_AUTH", True),
        ("PRIVATE_KEY_PEM", True),
        ("apiKey", True),
        ("dbPassword", True),
        ("OpenAIKey", True),
        ("PASSWORD2", True),
        ("app.secret", True),
        ("KEYCLOAK_URL", False),
        ("KEYCLOAK_REALM", False),
        ("PASSPORT_URL", False),
        ("MONGODB_AUTH_SOURCE", False),
        ("AUTH_ENABLED", False),
        ("MONKEY", False),
        ("TOKENIZER_PATH", False),
        ("PWD", False),
        ("HOST", False),
        ("REDIS_URL", False),
        ("KC_HOSTNAME_STRICT", False),
        ("NEXT_PUBLIC_USER_ID", False),
    ],
)
def test_sensitive_names(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


@pytest.mark.parametrize(
    ("value", "sensitive"),
    [
        ("postgresql://ushadow:ushadow@postgres:5432/ushadow", True),
        ("redis://:s3cret@redis:6379/0", True),
        ("mongodb://root:pw@a:27017,b:27017/db?replicaSet=rs0", True),
        ("see amqp://guest:guest@rabbit/ for details", True),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", True),
        ("ghp_" + "a" * 36, True),
        ("sk-" + "A1" * 12, True),
        ("AKIA" + "ABCDEFGHIJKLMNOP", True),
        ("redis://redis@host:6379", False),  # a user without a password is not a credential
        ("http://user:@host/", False),
        ("sqlite:////app/data/openmemory.db", False),
        ("http://qdrant:6333", False),
        ("bolt://neo4j:7687", False),
        ("", False),
        (None, False),
        ("desk-lamp", False),
    ],
)
def test_sensitive_values(value: str | None, sensitive: bool) -> None:
    assert is_sensitive_value(value) is sensitive


def test_name_words_split_separators_camel_case_and_digits() -> None:
    assert name_words("NEO4J_AUTH") == ["NEO4J", "AUTH"]
    assert name_words("myAPIKey-v2.x") == ["MY", "API", "KEY", "V", "X"]


def test_split_environment_keeps_order_and_unset() -> None:
    env = {
        "MODE": "prod",
        "API_KEY": "k",
        "DATABASE_URL": "postgresql://u:p@db/x",
        "REDIS_URL": "redis://redis:6379",
        "BARE": None,
        "EMPTY_PASSWORD": "",
    }
    split = split_environment(env)
    assert split.config == {"MODE": "prod", "REDIS_URL": "redis://redis:6379"}
    assert split.secret == {"API_KEY": "k", "DATABASE_URL": "postgresql://u:p@db/x", "EMPTY_PASSWORD": ""}
    assert split.unset == ["BARE"]


def test_is_sensitive_combines_name_and_value() -> None:
    assert is_sensitive("URL", "https://a:b@c")
    assert is_sensitive("TOKEN", "x")
    assert not is_sensitive("URL", "https://c")


def _secret() -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "s",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"A":"c2VjcmV0"}}'},
        },
        "data": {"A": base64.b64encode(b"secret").decode()},
        "stringData": {"B": "plain-secret"},
    }


def test_redact_masks_every_secret_value_and_does_not_touch_the_input() -> None:
    original = _secret()
    masked = redact(original)
    assert masked["stringData"] == {"A": MASK, "B": MASK}
    assert "data" not in masked
    assert masked["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == MASK  # type: ignore[index]
    text = repr(masked)
    assert "plain-secret" not in text and "c2VjcmV0" not in text
    assert original["stringData"] == {"B": "plain-secret"}  # input untouched


def test_redact_lists_and_kube_lists_and_leaves_other_kinds_alone() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"A": "visible"}}
    out = redact([cm, _secret()])
    assert out[0] == cm and out[0] is not cm
    assert out[1]["stringData"]["B"] == MASK
    kube_list = redact({"kind": "List", "items": [_secret()]})
    assert kube_list["items"][0]["stringData"]["A"] == MASK


def test_mask_environment() -> None:
    masked = mask_environment({"API_KEY": "k", "MODE": "x", "BARE": None, "U": "http://a:b@c"})
    assert masked == {"API_KEY": MASK, "MODE": "x", "BARE": None, "U": MASK}
