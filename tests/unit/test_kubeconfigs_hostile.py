"""Hostile kubeconfigs: bombs, deep nesting, odd URLs, passwords, impersonation, exec tricks.

Each is answered with the project's own error, quickly, and with a message of bounded size.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.clusters.execplugins import run_exec_plugin
from core.clusters.kubeconfigs import INSECURE_WARNING, MAX_BYTES, parse_kubeconfig, resolve
from core.errors import InvalidInput
from core.untrusted import load_yaml
from tests.support.kubeconfig_factory import dump, kubeconfig


def _refused(text: str | bytes, allow: frozenset[str] = frozenset()) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        resolve(parse_kubeconfig(text), None, exec_allowlist=allow)
    assert len(err.value.message) < 600
    return err.value


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"kind: *a{levels - 1}")
    lines.append("clusters: []")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_anything_expands_it() -> None:
    err = _refused(_bomb(4))
    assert "aliases" in err.message


def test_even_one_alias_is_refused_in_a_kubeconfig() -> None:
    doc = dump(kubeconfig()) + "extensions: &x []\npreferences: {colors: *x}\n"
    assert "aliases" in _refused(doc).message


def test_the_loader_takes_an_alias_budget_for_other_inputs() -> None:
    assert load_yaml("a: &x [1, 2]\nb: *x\n", what="the file", max_aliases=1) == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(InvalidInput, match="expands to more than"):
        load_yaml(_bomb(6), what="the file", max_aliases=100, max_nodes=10_000)


@pytest.mark.parametrize(
    "shape", ["[" * 5000 + "]" * 5000, "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 400))]
)
def test_deep_nesting_is_refused_not_a_recursion_error(shape: str) -> None:
    assert "nested more than" in _refused(shape).message


def test_a_paste_over_1_mib_is_refused_before_parsing() -> None:
    text = dump(kubeconfig()) + "# " + "x" * MAX_BYTES + "\n"
    assert "1 MiB" in _refused(text).message


def test_a_long_value_is_clipped_in_the_message() -> None:
    doc = dump({**kubeconfig(), "kind": "K" * 100_000})
    assert len(_refused(doc).message) < 300


@pytest.mark.parametrize(
    ("server", "proxy", "expected"),
    [
        ("https://[::1", None, "not a well-formed URL"),
        ("https://h:99999", None, "not a well-formed URL"),
        ("https://h :6443", None, "not a well-formed URL"),
        ("ftp://h", None, "not an http(s) URL"),
        ("https://h:6443", "ftp://proxy:21", "not supported"),
        ("https://h:6443", "socks5://proxy:1080", "PySocks"),
        ("https://h:6443", "http://[::1", "not a well-formed URL"),
        ("https://h:6443", "proxy:3128", "not supported"),
    ],
)
def test_bad_urls_are_clear_errors(server: str, proxy: str | None, expected: str) -> None:
    doc = kubeconfig(server=server)
    if proxy:
        doc["clusters"][0]["cluster"]["proxy-url"] = proxy
    assert expected in _refused(dump(doc)).message


def test_a_password_in_the_server_url_is_refused_and_never_echoed() -> None:
    err = _refused(dump(kubeconfig(server="https://admin:Zq9sEcRet@h:6443")))
    assert "password" in err.message
    assert "Zq9sEcRet" not in err.message + (err.hint or "")


@pytest.mark.parametrize("field", ["as-groups", "as-uid", "as-user-extra"])
def test_impersonation_that_cannot_be_sent_is_refused_and_says_so(field: str) -> None:
    value = {"as-groups": ["system:masters"], "as-uid": "42", "as-user-extra": {"scopes": ["x"]}}[field]
    err = _refused(dump(kubeconfig(user={"token": "t", "as": "bob", field: value})))
    assert field in err.message


def test_insecure_skip_tls_verify_is_a_warning() -> None:
    doc = kubeconfig()
    doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    cred = resolve(parse_kubeconfig(dump(doc)), None)
    assert cred.warnings == (INSECURE_WARNING,)
    assert resolve(parse_kubeconfig(dump(kubeconfig())), None).warnings == ()


# -- exec plugins -------------------------------------------------------------------------------


def _program(folder: Path, name: str, body: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _exec(command: str, **extra: object) -> str:
    return dump(kubeconfig(user={"exec": {"command": command, **extra}}))


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on PATH holding an allowlisted program ``authplug``."""
    folder = tmp_path / "bin"
    _program(folder, "authplug")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return folder


ALLOW = frozenset({"authplug"})


def test_a_bare_name_on_the_allowlist_resolves_through_path(on_path: Path) -> None:
    cred = resolve(parse_kubeconfig(_exec("authplug")), None, exec_allowlist=ALLOW)
    assert cred.exec_spec == {"command": "authplug"}
    resolve(parse_kubeconfig(_exec(str(on_path / "authplug"))), None, exec_allowlist=ALLOW)


def test_the_same_name_elsewhere_is_refused(
    on_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _program(tmp_path / "any" / "dir", "authplug")
    assert "must not run commands" in _refused(_exec(str(other)), ALLOW).message
    monkeypatch.chdir(tmp_path)
    _program(tmp_path / "x", "authplug")
    assert "must not run commands" in _refused(_exec("./x/authplug"), ALLOW).message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"args": "eks get-token"}, "exec field args"),
        ({"args": [1, 2]}, "exec field args"),
        ({"args": ["ok\x00no"]}, "NUL"),
        ({"env": {"AWS_PROFILE": "x"}}, "exec field env"),
        ({"env": [{"name": "AWS_PROFILE", "value": "a\x00b"}]}, "NUL"),
        ({"env": [{"name": "LD_PRELOAD", "value": "/tmp/x.so"}]}, "LD_PRELOAD"),
        ({"env": [{"name": "PATH", "value": "/tmp"}]}, "PATH"),
        ({"env": [{"name": "PYTHONWARNINGS", "value": "x"}]}, "PYTHONWARNINGS"),
        ({"env": [{"name": "BROWSER", "value": "x"}]}, "BROWSER"),
    ],
)
def test_exec_args_and_env_are_checked(on_path: Path, extra: dict[str, object], expected: str) -> None:
    assert expected in _refused(_exec("authplug", **extra), ALLOW).message


def test_the_plugin_gets_only_allowlisted_variables(
    on_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "env.txt"
    answer = json.dumps({"kind": "ExecCredential", "status": {"token": "tok"}})
    _program(on_path, "authplug", f"env > {seen}\necho '{answer}'\n")
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    monkeypatch.setenv("BROWSER", "/tmp/evil")
    monkeypatch.setenv("HOME", str(tmp_path))
    spec = {"command": "authplug", "env": [{"name": "AWS_PROFILE", "value": "prod"}]}
    got = run_exec_plugin(spec, allowlist=ALLOW, cluster_server="https://h", timeout=5)
    assert got.token == "tok"
    names = {
        line.split("=", 1)[0]: line.split("=", 1)[1] for line in seen.read_text().splitlines() if "=" in line
    }
    assert names["AWS_PROFILE"] == "prod"
    assert names["HOME"] == str(tmp_path)
    assert "PYTHONWARNINGS" not in names
    assert "BROWSER" not in names
    assert "KUBERNETES_EXEC_INFO" in names


@pytest.mark.parametrize("field", ["token", "username", "as"])
def test_header_values_must_be_one_printable_line(field: str) -> None:
    user = {"token": "t", field: "ok\r\nX-Injected: 1"}
    err = _refused(dump(kubeconfig(user=user)))
    assert "control characters" in err.message
    assert "X-Injected" not in err.message
