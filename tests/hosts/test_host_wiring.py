"""The address a host deploy wires must work from the deployed container."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine

FIXTURE = Path(__file__).with_name("compose") / "web.yaml"


def test_infrastructure_on_a_network_without_name_lookup_is_wired_by_address(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """podman's default network (as Docker's default bridge) resolves no names: the scan's
    ``redis:6379`` would be a bad address there, so the container's IP is wired, and said."""
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, settings.compose_dirs[0] / "web.yaml")
    client = docker_engine.client()
    redis = client.containers.run(
        "ushadow.local/busybox:1",
        ["sh", "-c", "mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 6379 -h /www"],
        detach=True,
        name="redis",
        ports={"6379/tcp": None},
    )  # no network named: the engine's default one
    try:
        redis.reload()
        (default_network,) = redis.attrs["NetworkSettings"]["Networks"]
        address = redis.attrs["NetworkSettings"]["Networks"][default_network]["IPAddress"]
        run_json(capsys, "hosts", "add", "plain", "--url", docker_engine.url)
        run_json(capsys, "scan", "plain")
        deployed = run_json(capsys, "deploy", "plain", "web:web", "--wait", "--timeout", "120")
        env = {r["name"]: r for r in deployed["environment"]}
        assert env["REDIS_URL"]["value"] == f"redis://{address}:6379"
        assert env["REDIS_URL"]["source"] == "scan"
        assert f"does not resolve on network {default_network}" in env["REDIS_URL"]["note"]
        code, out, _ = run(
            capsys, "exec", "plain", "web", "--", "sh", "-c", 'wget -q -O - "http://${REDIS_URL#redis://}/"'
        )
        assert code == 0 and out == "pong\n", out
        run_json(capsys, "undeploy", "plain", "web", "--delete-volumes")
    finally:
        for container in client.containers.list(all=True, filters={"name": "edgeweb-"}):
            container.remove(force=True)
        redis.remove(force=True)
        for network in client.networks.list(names=["edgeweb_default"]):
            network.remove()
        client.close()
