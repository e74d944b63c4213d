"""The ConfigMap/Secret split and masking of Secret values."""

from __future__ import annotations

import base64

import pytest

from core.secrets.masking import (
    conceal,
    distinctive,
    env_refs,
    in_container,
    redact,
    scrub_text,
    secret_refs,
    secret_values,
)
from core.secrets.sensitivity import (
    MASK,
    is_sensitive,
    is_sensitive_name,
    is_sensitive_value,
    name_words,
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
        # run-together words
        ("PGPASSWORD", True),
        ("DBPASS", True),
        ("ROOTPASSWORD", True),
        ("GITHUBTOKEN", True),
        ("DOCKER_AUTH_CONFIG", True),
        ("CACHE_BYPASS", False),
        # settings about a secret, not the secret
        ("KEY_PREFIX", False),
        ("PASSWORD_MIN_LENGTH", False),
        ("TOKEN_TTL_SECONDS", False),
        ("OPENAI_MAX_TOKENS", False),
        ("TOKENS_PER_MINUTE", False),
        ("TOKEN_URL", False),
        ("PASSWORD_RESET_URL", False),
        ("PUBLIC_KEY_PATH", False),
        ("PASSWORD_FILE", False),
        ("SECRETS_DIR", False),
        ("API_KEY_HEADER", False),
        ("SECRET_KEY_BASE", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("ACCESS_TOKEN_SECRET", True),
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
        ("Server=db;Database=app;User Id=sa;Password=Str0ng-pw;", True),
        ("Server=db;Uid=sa;Pwd=Str0ng-pw", True),
        ("--password=Str0ng-pw --ssl", True),
        ("--password= --ssl", False),
        ("PWD=/app", False),
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


# -- hunting secret values down outside Secrets (moved here from the Services page) ---------------

STRONG = "sk-live-0123456789abcdef"  # credential-shaped
PASSWORD = "Hunter2-but-longer"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _compiled() -> list[dict[str, object]]:
    """A Secret, a ConfigMap and a Deployment whose container leaks both values."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "web-secrets"},
        "data": {"API_KEY": _b64(STRONG), "my-pass": _b64(PASSWORD), "WEAK": _b64("postgres")},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web-config"},
        "data": {"X": STRONG},
    }
    container = {
        "name": "web",
        "image": "postgres:17",
        "command": ["postgres", f"--key={STRONG}"],
        "args": [f"--pw={PASSWORD}", "cost $$5"],
        "envFrom": [{"secretRef": {"name": "web-secrets"}}],
        "env": [
            {"name": "MY_PASS", "valueFrom": {"secretKeyRef": {"name": "web-secrets", "key": "my-pass"}}},
            {"name": "URL", "value": f"http://u:{STRONG}@h"},
        ],
        "readinessProbe": {"exec": {"command": ["redis-cli", "-a", STRONG, "ping"]}},
        "livenessProbe": {"exec": {"command": ["sh", "-c", f"check --pw '{PASSWORD}'"]}},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"note": f"key {STRONG}"}},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}},
    }
    return [secret, config, deployment]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgres", False),  # a well-known default: also an image, a command, a user
        ("changeme", False),
        ("password", False),
        ("hunter2", False),  # too short
        ("abcdefghij", False),  # one kind of character only
        ("12345678", False),
        ("hunter2hunter2", True),
        ("pw-in-url-5150", True),
        ("Sup3r-redis-pw", True),
        ("sk-" + "a" * 24, True),  # credential-shaped, whatever its length
        ("postgres://u:p@db/x", True),
    ],
)
def test_distinctive(value: str, expected: bool) -> None:
    assert distinctive(value) is expected


@pytest.mark.parametrize(
    ("env", "objects", "expected"),
    [
        ({"API_KEY": STRONG, "MODE": "prod-2024-ok"}, [], {STRONG}),  # only the secret side
        ({"POSTGRES_PASSWORD": "postgres"}, [], set()),  # not distinctive
        ({"TOKEN": None, "EMPTY_PASSWORD": ""}, [], set()),
        ({}, _compiled(), {STRONG, PASSWORD}),  # from Secret data, weak "postgres" left out
        ({}, [{"kind": "Secret", "stringData": {"A": PASSWORD, "B": MASK}}], {PASSWORD}),
        ({}, [{"kind": "Secret", "data": {"A": "not base64!"}}], set()),
        ({}, [{"kind": "ConfigMap", "data": {"A": STRONG}}], set()),  # ConfigMaps hold no secrets
    ],
)
def test_secret_values(
    env: dict[str, str | None], objects: list[dict[str, object]], expected: set[str]
) -> None:
    assert secret_values(env, objects) == expected


def test_env_refs_name_the_variables_that_hold_secret_values() -> None:
    env = {"API_KEY": STRONG, "MODE": "x", "my password": PASSWORD, "DB_PASSWORD": "postgres"}
    assert env_refs(env) == {STRONG: "API_KEY", "postgres": "DB_PASSWORD"}  # "my password" is no $(name)


def test_secret_refs_follow_env_from_and_secret_key_refs() -> None:
    assert secret_refs(_compiled()) == {STRONG: "API_KEY", "postgres": "WEAK", PASSWORD: "MY_PASS"}
    assert secret_refs(_compiled()[:2]) == {}  # no container loads the Secret


@pytest.mark.parametrize(
    ("text", "hide", "expected"),
    [
        ("nothing here", {STRONG}, "nothing here"),
        (f"key={STRONG}!", {STRONG}, f"key={MASK}!"),
        (f"{PASSWORD}{PASSWORD}", {PASSWORD, "Hunter2"}, MASK * 2),  # the longest value first
        ("", {STRONG}, ""),
    ],
)
def test_scrub_text(text: str, hide: set[str], expected: str) -> None:
    assert scrub_text(text, hide) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"--key={STRONG}", "--key=$(API_KEY)"),
        (f"--pw={PASSWORD}", f"--pw={MASK}"),  # no variable known for it: masked
        ("cost $$5", "cost $$5"),
        ("--tok=a$$b-1234567", "--tok=$(TOK)"),  # compiled text escapes the value's `$`
    ],
)
def test_in_container(text: str, expected: str) -> None:
    refs = {STRONG: "API_KEY", "a$b-1234567": "TOK"}
    assert in_container(text, {STRONG, PASSWORD, "a$b-1234567"}, refs) == expected


def test_conceal_keeps_containers_working_and_masks_the_rest() -> None:
    objects = redact(_compiled())  # redact alone already hunts (see below); conceal is its engine
    original = _compiled()
    out = conceal(original[1:], {STRONG, PASSWORD}, secret_refs(original))
    config, deployment = out
    assert config["data"] == {"X": MASK}
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["postgres", "--key=$(API_KEY)"]
    assert container["args"] == ["--pw=$(MY_PASS)", "cost $$5"]
    assert container["env"][1]["value"] == "http://u:$(API_KEY)@h"
    assert container["readinessProbe"]["exec"]["command"] == [
        "sh",
        "-c",
        'exec redis-cli -a "${API_KEY}" ping',
    ]  # probes are not expanded by Kubernetes: the shell reads the variable
    assert container["livenessProbe"]["exec"]["command"] == ["sh", "-c", "check --pw ''\"${MY_PASS}\"''"]
    assert deployment["metadata"]["annotations"]["note"] == f"key {MASK}"
    assert deployment["metadata"]["labels"] == {"app": "web"}
    assert original == _compiled()  # the input is untouched
    assert objects[1:] == out


def test_conceal_leaves_names_and_labels_and_weak_values_alone() -> None:
    objects = [{"kind": "Service", "metadata": {"name": "postgres", "labels": {"app": "postgres"}}}]
    assert conceal(objects, {"postgres"}) == objects
    assert conceal(objects, set()) == objects


def test_redact_of_a_list_hunts_its_secret_values_down() -> None:
    masked = redact(_compiled())
    text = repr(masked)
    for value in (STRONG, PASSWORD, _b64(STRONG), _b64(PASSWORD)):
        assert value not in text
    assert masked[0]["stringData"] == {"API_KEY": MASK, "my-pass": MASK, "WEAK": MASK}
    assert masked[2]["spec"]["template"]["spec"]["containers"][0]["image"] == "postgres:17"
    kube_list = redact({"kind": "List", "items": _compiled()})
    assert STRONG not in repr(kube_list)
    assert STRONG in repr(redact(_compiled()[1]))  # one object alone: no Secret to learn values from
