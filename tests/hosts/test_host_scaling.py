"""``scale HOST SERVICE N``: more containers of the configuration that runs, no value asked again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine

FIXTURE = Path(__file__).with_name("compose") / "vault.yaml"
TOKEN = "tok-5a7c2e9d41b3f608-scale"


def _environ(capsys: pytest.CaptureFixture[str], container: str, engine: Engine) -> list[str]:
    client = engine.client()
    try:
        result = client.containers.get(container).exec_run(["cat", "/proc/1/environ"])
    finally:
        client.close()
    return bytes(result.output or b"").decode().split("\0")


def test_scale_reuses_the_deployed_config_and_secret_volume(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service has a required variable: scaling must not ask for it again (nor re-render)."""
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, settings.compose_dirs[0] / "vault.yaml")
    client = docker_engine.client()
    try:
        run_json(capsys, "hosts", "add", "scaler", "--url", docker_engine.url)
        run_json(capsys, "deploy", "scaler", "vault:app", "--env", f"API_TOKEN={TOKEN}", "--wait")
        first = client.containers.get("vaulted-app-1").id
        code, out, err = run(capsys, "scale", "scaler", "app", "2", "--json")
        assert code == 0, out + err
        assert TOKEN not in out + err
        names = sorted(
            c.name for c in client.containers.list(filters={"label": "com.docker.compose.service=app"})
        )
        assert names == ["vaulted-app-1", "vaulted-app-2"]
        assert client.containers.get("vaulted-app-1").id == first, "the running one is left as it is"
        assert f"API_TOKEN={TOKEN}" in _environ(capsys, "vaulted-app-2", docker_engine)
        assert "MODE=plain" in _environ(capsys, "vaulted-app-2", docker_engine)
        assert run_json(capsys, "scale", "scaler", "app", "0")["changes"][0]["action"] == "remove"
        back = run_json(capsys, "scale", "scaler", "app", "1")  # from the record: no container left
        assert {"kind": "container", "name": "vaulted-app-1", "action": "create"} in back["changes"]
        assert f"API_TOKEN={TOKEN}" in _environ(capsys, "vaulted-app-1", docker_engine)
        again = run_json(capsys, "deploy", "scaler", "vault:app", "--env", f"API_TOKEN={TOKEN}")
        assert again["status"] == "unchanged", "scaling made the same config a deploy makes"
        run_json(capsys, "undeploy", "scaler", "app")
    finally:
        for container in client.containers.list(all=True, filters={"name": "vaulted-"}):
            container.remove(force=True)
        for network in client.networks.list(names=["vaulted_default"]):
            network.remove()
        client.close()
