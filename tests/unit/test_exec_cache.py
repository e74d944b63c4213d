"""An exec credential plugin runs once per credential and process, not on every check and scan.

Its ExecCredential is kept in memory until shortly before its ``expirationTimestamp`` (without one,
for the process's life), and a 401 makes the client run the plugin again, once. The plugin here is
a real script that counts its runs; the API server is a fake one on 127.0.0.1 that accepts only
the tokens the test names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.clusters import execcache
from core.clusters.connecting import check
from core.clusters.kubeconfigs import Credential
from core.settings import Settings
from tests.support.fakeapi import FakeAPI, fake_api


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    execcache.clear()
    yield
    execcache.clear()


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """Prints an ExecCredential whose token is ``tok-N`` (N: this run's number) and whose expiry is
    its first argument (none when empty)."""
    script = tmp_path / "counting-plugin"
    count = tmp_path / "runs"
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}\n"
        'if [ -n "$1" ]; then exp=", \\"expirationTimestamp\\": \\"$1\\""; else exp=""; fi\n'
        'printf \'{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", '
        '"status": {"token": "tok-%s"%s}}\' "$n" "$exp"\n'
    )
    script.chmod(0o755)
    return script


def runs(plugin: Path) -> int:
    count = plugin.with_name("runs")
    return int(count.read_text()) if count.exists() else 0


def _setup(settings: Settings, api: FakeAPI, plugin: Path, expires: str = "") -> tuple[Credential, Settings]:
    spec = {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "args": [expires]}
    cred = Credential(context="main", cluster_name="c1", server=api.url, exec_spec=spec)
    return cred, dataclasses.replace(settings, exec_allowlist=frozenset({str(plugin)}))


def _stamp(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_without_an_expiry_the_plugin_runs_once_for_many_checks(settings: Settings, plugin: Path) -> None:
    with fake_api() as api:
        api.tokens = {"tok-1"}
        cred, allowed = _setup(settings, api, plugin)
        for _ in range(4):
            assert check(cred, allowed).status == "connected"
    assert runs(plugin) == 1


def test_a_credential_near_its_expiry_is_renewed_and_a_later_one_is_kept(
    settings: Settings, plugin: Path
) -> None:
    with fake_api() as api:
        soon, allowed = _setup(settings, api, plugin, _stamp(timedelta(seconds=5)))
        assert check(soon, allowed).ok and check(soon, allowed).ok
        assert runs(plugin) == 2  # within the refresh margin: run again each time
        later, allowed = _setup(settings, api, plugin, _stamp(timedelta(hours=1)))
        for _ in range(3):
            assert check(later, allowed).ok
    assert runs(plugin) == 3


def test_a_401_runs_the_plugin_again_once(settings: Settings, plugin: Path) -> None:
    with fake_api() as api:
        api.tokens = {"tok-2"}  # the first token is refused (revoked, say)
        cred, allowed = _setup(settings, api, plugin)
        assert check(cred, allowed).status == "connected"
        assert runs(plugin) == 2
        assert check(cred, allowed).status == "connected"
        assert runs(plugin) == 2  # the renewed one is kept
        api.tokens = set()  # nothing is accepted any more: one more run per client, then unauthorized
        assert check(cred, allowed).status == "unauthorized"
        assert runs(plugin) == 3


def test_the_cache_is_in_memory_only_and_follows_the_allowlist(
    settings: Settings, plugin: Path, tmp_path: Path
) -> None:
    with fake_api() as api:
        cred, allowed = _setup(settings, api, plugin)
        assert check(cred, allowed).ok
        refused = check(cred, dataclasses.replace(allowed, exec_allowlist=frozenset({"/bin/true"})))
    assert refused.status == "error" and "must not run commands" in (refused.error or "")
    assert runs(plugin) == 1
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"tok-1" not in path.read_bytes(), path
