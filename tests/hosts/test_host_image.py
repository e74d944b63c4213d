"""A host deploy whose image is not on the host says so, and how to get it there, and leaves nothing."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine

COMPOSE = """name: ghostly
services:
  alpha:
    image: ushadow.local/absent-image:9
    command: ["sleep", "600"]
"""


def test_a_missing_image_is_named_with_how_to_get_it_and_no_network_is_left(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    (settings.compose_dirs[0] / "ghost.yaml").write_text(COMPOSE)
    client = docker_engine.client()
    try:
        run_json(capsys, "hosts", "add", "imageless", "--url", docker_engine.url)
        code, _out, err = run(capsys, "deploy", "imageless", "ghost:alpha")
        assert code == 3, err
        assert "image ushadow.local/absent-image:9 is not on Docker host imageless" in err
        assert "docker pull ushadow.local/absent-image:9" in err and "docker load" in err
        assert "HTTPError" not in err and "http+docker" not in err
        assert client.networks.list(names=["ghostly_default"]) == []
        assert client.containers.list(all=True, filters={"label": "com.docker.compose.project=ghostly"}) == []
        records = run_json(capsys, "deployments", "imageless")
        assert [r["status"] for r in records] == ["failed"]
    finally:
        for network in client.networks.list(names=["ghostly_default"]):
            network.remove()
        client.close()
