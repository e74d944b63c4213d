"""Untrusted kubeconfigs: each bad one gets a clear message that says what is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from core.clusters.kubeconfigs import Credential, parse_kubeconfig, resolve
from core.errors import InvalidInput
from tests.support.kubeconfig_factory import b64, dump, kubeconfig

PEM_CERT = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
PEM_KEY = b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"


def _with(**changes: object) -> str:
    doc = kubeconfig(ca=PEM_CERT)
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return dump(doc)


BAD = [
    ("empty", "", "empty"),
    ("not yaml", "apiVersion: v1\nclusters: [\n  - name: x\n  bad: : :", "not valid YAML at line"),
    ("a list", "- a\n- b\n", "not a kubeconfig"),
    ("a pod manifest", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "not a kubeconfig"),
    ("no contexts", dump({**kubeconfig(), "contexts": []}), "no contexts"),
    ("unknown context", _with(**{"current-context": "nope"}), "no context 'nope'"),
    ("missing cluster", _with(contexts__0__context__cluster="ghost"), "cluster 'ghost'"),
    ("missing user", _with(contexts__0__context__user="ghost"), "user 'ghost'"),
    ("no server", _with(clusters__0__cluster__server=None), "no server URL"),
    ("server not a URL", _with(clusters__0__cluster__server="127.0.0.1:6443"), "not an http(s) URL"),
    (
        "bad base64 CA",
        _with(clusters__0__cluster={"server": "https://h:6443", "certificate-authority-data": "@@@"}),
        "not valid base64",
    ),
    (
        "CA not PEM",
        _with(clusters__0__cluster={"server": "https://h:6443", "certificate-authority-data": b64("hello")}),
        "not PEM",
    ),
    (
        "CA from a file",
        _with(clusters__0__cluster={"server": "https://h:6443", "certificate-authority": "/etc/passwd"}),
        "never read",
    ),
    ("token from a file", _with(users__0__user={"tokenFile": "/var/run/secrets/token"}), "never read"),
    ("cert without key", _with(users__0__user={"client-certificate-data": b64(PEM_CERT)}), "without its key"),
    ("no credential", _with(users__0__user={}), "no credential"),
    (
        "exec plugin",
        _with(
            users__0__user={
                "exec": {
                    "command": "/bin/sh",
                    "args": ["-c", "touch /tmp/pwned"],
                    "apiVersion": "client.authentication.k8s.io/v1",
                }
            }
        ),
        "must not run commands",
    ),
    (
        "auth-provider",
        _with(users__0__user={"auth-provider": {"name": "gcp", "config": {"cmd-path": "/bin/sh"}}}),
        "auth-provider",
    ),
    ("unknown field", _with(users__0__user={"token": "x", "tokne": "y"}), "users['u1'].user.tokne"),
    (
        "wrong type",
        _with(clusters__0__cluster={"server": "https://h:6443", "insecure-skip-tls-verify": "maybe"}),
        "insecure-skip-tls-verify",
    ),
    ("several contexts, none current", None, "several contexts"),
]


def _several_contexts() -> str:
    doc = kubeconfig()
    doc["contexts"].append({"name": "other", "context": {"cluster": "c1", "user": "u1"}})
    del doc["current-context"]
    return dump(doc)


@pytest.mark.parametrize(("case", "text", "expected"), BAD, ids=[c[0] for c in BAD])
def test_bad_kubeconfigs_get_a_clear_error(case: str, text: str | None, expected: str) -> None:
    if text is None:
        text = _several_contexts()
    with pytest.raises(InvalidInput) as err:
        resolve(parse_kubeconfig(text), None)
    assert expected in err.value.message
    # No secret material is echoed back in the message.
    assert "touch /tmp/pwned" not in err.value.message


def test_exec_plugin_is_allowed_only_when_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = tmp_path / "aws"
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ.get('PATH', '')}")
    text = _with(users__0__user={"exec": {"command": "aws", "args": ["eks", "get-token"]}})
    cred = resolve(parse_kubeconfig(text), None, exec_allowlist=frozenset({"aws"}))
    assert cred.exec_spec is not None
    assert cred.exec_spec["command"] == "aws"


def test_context_is_picked_and_only_it_is_kept() -> None:
    doc = kubeconfig(
        ca=PEM_CERT, user={"client-certificate-data": b64(PEM_CERT), "client-key-data": b64(PEM_KEY)}
    )
    doc["clusters"].append({"name": "c2", "cluster": {"server": "https://other:443"}})
    doc["users"].append({"name": "u2", "user": {"token": "second-secret"}})
    doc["contexts"].append({"name": "prod", "context": {"cluster": "c2", "user": "u2", "namespace": "apps"}})
    kc = parse_kubeconfig(dump(doc))
    assert kc.context_names() == ["main", "prod"]
    cred = resolve(kc, "prod")
    assert (cred.server, cred.namespace, cred.token) == ("https://other:443", "apps", "second-secret")
    stored = yaml.safe_load(cred.to_bytes())
    assert [c["name"] for c in stored["contexts"]] == ["prod"]
    assert "client-key-data" not in cred.to_bytes().decode()  # the other user's key is dropped


def test_credential_round_trips_and_repr_hides_secrets() -> None:
    cred = resolve(parse_kubeconfig(_with(users__0__user={"token": "s3cr3t-token"})), None)
    again = Credential.from_bytes(cred.to_bytes())
    assert again == cred
    assert "s3cr3t-token" not in repr(cred)


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        parse_kubeconfig(b"\xff\xfe\x00garbage")
