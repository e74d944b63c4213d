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
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, settings.compose_dirs[0] / "web.yaml")
    client = docker_engine.client()
    infra = client.networks.create("infra")  # a user-defined network: names resolve there
    redis = client.containers.run(
        "ushadow.local/busybox:1",
        ["httpd", "-f", "-p", "6379"],
        detach=True,
        name="redis",
        ports={"6379/tcp": None},
        network="infra",
    )
    try:
        run_json(capsys, "hosts", "add", "edge", "--url", docker_engine.url)
        scan = run_json(capsys, "scan", "edge")
        published = client.api.inspect_container("redis")["NetworkSettings"]["Ports"]["6379/tcp"][0]
        assert scan["infra_services"]["redis"]["matches"][0]["published"] == [
            f"{published['HostPort']}->6379"
        ]
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
        assert sorted(web.attrs["NetworkSettings"]["Networks"]) == ["edgeweb_default", "infra"]
        # the wired name is served on the network web joined (podman's CNI dnsname: one DNS
        # server per network, each answering for its own containers; Docker's embedded DNS
        # answers for all of a container's networks at once)
        gateway = client.networks.get("infra").attrs["IPAM"]["Config"][0]["Gateway"]
        code, out, _ = run(capsys, "exec", "edge", "web", "--", "nslookup", "redis", gateway)
        assert code == 0 and "Name:\tredis" in out, out
        compose_file = tmp_path / "docker-compose.yml"  # compose v1 reads no top-level `name`
        compose_file.write_text(FIXTURE.read_text().replace("name: edgeweb\n", ""))
        ps = subprocess.run(
            ["docker-compose", "-p", "edgeweb", "-f", str(compose_file), "ps"],
            env=docker_engine.cli_env(), capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert "edgeweb-web-1" in ps.stdout and "Up (healthy)" in ps.stdout, ps.stdout + ps.stderr
        records = run_json(capsys, "deployments", "edge")
        assert [(r["cluster"], r["namespace"], r["status"]) for r in records] == [
            ("edge", "edgeweb", "ready")
        ]
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
        infra.remove()
        client.close()
