"""``scan HOST``: containers started by hand, recognised with the catalog, stored and shared."""

from __future__ import annotations

import socket

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_scan_finds_a_redis_container_with_its_published_port(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    client = docker_engine.client()
    port = _free_port()
    network = client.networks.create("scan-net")
    redis = client.containers.run(
        "ushadow.local/busybox:1",
        ["httpd", "-f", "-p", "6379"],
        detach=True,
        name="cache-redis",
        ports={"6379/tcp": port},
        network="scan-net",
    )
    plain = client.containers.run("ushadow.local/busybox:1", ["sleep", "600"], detach=True, name="idle-box")
    try:
        run_json(capsys, "hosts", "add", "edge", "--url", docker_engine.url)
        scan = run_json(capsys, "scan", "edge")
        found = scan["infra_services"]["redis"]
        assert found["found"] is True, scan
        match = found["matches"][0]
        assert match["service"] == "cache-redis"
        assert match["service_type"] == "container"
        assert match["endpoints"][:2] == [f"127.0.0.1:{port}", "cache-redis:6379"]
        assert match["networks"] == {"scan-net": ["cache-redis:6379"]}
        assert match["published"] == [f"{port}->6379"]
        assert scan["infra_services"]["postgres"]["found"] is False
        assert all("idle-box" not in str(v) for v in scan["infra_services"].values())
        assert scan["cluster"] == "edge"
        shown = run_json(capsys, "scans", "show", scan["scan_id"])
        assert shown["infra_services"] == scan["infra_services"]
        listed = run_json(capsys, "scans", "list", "edge")
        assert [s["scan_id"] for s in listed] == [scan["scan_id"]]
        assert listed[0]["cluster"] == "edge"
        redis.stop(timeout=1)
        again = run_json(capsys, "scan", "edge")
        assert again["infra_services"]["redis"]["found"] is False
        assert again["changes"]["previous_scan_id"] == scan["scan_id"]
        code, _out, _ = run(capsys, "hosts", "remove", "edge")
        assert code == 0
        assert run_json(capsys, "scans", "list") == []
    finally:
        for container in (redis, plain):
            container.remove(force=True)
        network.remove()
        client.close()
