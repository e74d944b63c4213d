"""A secret environment value reaches the container's process and never the engine's disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine

FIXTURE = Path(__file__).with_name("compose") / "vault.yaml"
MARKER = "tok-9f3c1e77a2b4d6e8-marker"


def _memory_mounts() -> list[str]:
    """Mount points of in-memory filesystems (a tmpfs volume's ``_data`` is one: not the disk)."""
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return [line.split()[1] for line in mounts if line.split()[2] == "tmpfs"]


def _files_holding(root: Path, needle: bytes) -> list[str]:
    memory = _memory_mounts()
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in memory]
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                try:
                    if needle in path.read_bytes():
                        found.append(str(path))
                except OSError:
                    continue
    return found


def test_secret_value_reaches_the_process_and_no_file_on_disk(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, settings.compose_dirs[0] / "vault.yaml")
    client = docker_engine.client()
    try:
        run_json(capsys, "hosts", "add", "vault-host", "--url", docker_engine.url)
        deployed = run_json(
            capsys, "deploy", "vault-host", "vault:app", "--env", f"API_TOKEN={MARKER}", "--wait"
        )
        assert MARKER not in str(deployed)
        app = client.containers.get("vaulted-app-1")
        assert "API_TOKEN" not in str(app.attrs["Config"]["Env"])
        assert "MODE=plain" in app.attrs["Config"]["Env"]
        code, out, _ = run(capsys, "exec", "vault-host", "app", "--", "cat", "/proc/1/environ")
        assert code == 0 and f"API_TOKEN={MARKER}" in out.split("\0")
        assert f"token length {len(MARKER)}" in run_json(capsys, "logs", "vault-host", "app")[0]["text"]
        run_json(capsys, "restart", "vault-host", "app")
        code, out, _ = run(capsys, "exec", "vault-host", "app", "--", "cat", "/proc/1/environ")
        assert f"API_TOKEN={MARKER}" in out.split("\0"), "a restart keeps the value (the keeper holds it)"
        assert _files_holding(docker_engine.base, MARKER.encode()) == []
        assert _files_holding(settings.data_dir, MARKER.encode()) == []
        records = run_json(capsys, "deployments", "vault-host")
        assert [(r["cluster"], r["namespace"], r["name"], r["status"]) for r in records] == [
            ("vault-host", "vaulted", "app", "ready")
        ]
        again = run_json(capsys, "deploy", "vault-host", "vault:app", "--env", f"API_TOKEN={MARKER}")
        assert again["status"] == "unchanged"
        changed = run_json(capsys, "deploy", "vault-host", "vault:app", "--env", "API_TOKEN=another-one-77")
        assert {"kind": "container", "name": "vaulted-app-1", "action": "recreate",
                "reason": "changed: secrets"} in changed["changes"]  # fmt: skip
        gone = run_json(capsys, "undeploy", "vault-host", "app")
        assert {"kind": "container", "name": "vaulted-app-secrets", "action": "removed"} in gone["changes"]
        assert {"kind": "volume", "name": "vaulted_app-secrets", "action": "removed"} in gone["changes"]
    finally:
        for container in client.containers.list(all=True, filters={"name": "vaulted-"}):
            container.remove(force=True)
        client.close()
