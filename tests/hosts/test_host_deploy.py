"""Deploying a compose service to a Docker host, and day-2 there, against the real engine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine

FIXTURE = Path(__file__).with_name("compose") / "web.yaml"


def test_deploy_wait_idempotent_logs_exec_undeploy(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, settings.compose_dirs[0] / "web.yaml")
    client = docker_engine.client()
    redis = client.containers.run(
        "ushadow.local/busybox:1",
        ["httpd", "-f", "-p", "6379"],
        detach=True,
        name="redis",
        ports={"6379/tcp": None},
    )
    try:
        run_json(capsys, "hosts", "add", "edge", "--url", docker_engine.url)
        run_json(capsys, "scan", "edge")
        dry = run_json(capsys, "deploy", "edge", "web:web", "--dry-run")
        assert [c["action"] for c in dry["changes"]] == ["create", "create", "create"]
        assert client.containers.list(filters={"name": "edgeweb-web-1"}) == []
        first = run_json(capsys, "deploy", "edge", "web:web", "--wait", "--timeout", "120")
        assert first["health"] == {"edgeweb-web-1": "healthy"}
        env = {r["name"]: r for r in first["environment"]}
        assert env["REDIS_URL"]["value"] == "redis://redis:6379"
        assert env["REDIS_URL"]["source"] == "scan"
        web = client.containers.get("edgeweb-web-1")
        assert web.labels["com.docker.compose.project"] == "edgeweb"
        assert web.labels["com.docker.compose.service"] == "web"
        assert client.volumes.get("edgeweb_webdata").attrs["Labels"]["com.docker.compose.volume"] == "webdata"
        ps = subprocess.run(
            ["docker", "ps", "--filter", "label=com.docker.compose.project=edgeweb", "--format", "{{.Names}}"],
            env=docker_engine.cli_env(), capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert ps.stdout.split() == ["edgeweb-web-1"]
        again = run_json(capsys, "deploy", "edge", "web:web", "--wait")
        assert again["status"] == "unchanged"
        assert client.containers.get("edgeweb-web-1").id == web.id
        changed = run_json(capsys, "deploy", "edge", "web:web", "--env", "GREETING=yo")
        assert changed["changes"][-1] == {
            "kind": "container", "name": "edgeweb-web-1", "action": "recreate", "reason": "changed: environment",
        }  # fmt: skip
        logs = run_json(capsys, "logs", "edge", "web")
        assert "started redis://redis:6379" in logs[0]["text"]
        code, out, _ = run(capsys, "exec", "edge", "web", "--", "cat", "/www/index.html")
        assert code == 0 and out == "hello\n"
        status = run_json(capsys, "status", "edge")
        assert [(s["container"], s["state"]) for s in status] == [("edgeweb-web-1", "running")]
        gone = run_json(capsys, "undeploy", "edge", "web")
        assert {"kind": "volume", "name": "edgeweb_webdata", "action": "kept"} in gone["changes"]
        assert client.containers.list(all=True, filters={"name": "edgeweb-web-1"}) == []
        assert client.volumes.get("edgeweb_webdata").name == "edgeweb_webdata"
    finally:
        redis.remove(force=True)
        client.close()
