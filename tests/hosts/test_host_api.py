"""The HTTP API takes a Docker host wherever it takes a cluster (the ASGI app in-process, a real
engine, a real database): scan, deploy, deployments, workloads, logs, exec, restart, scale, undeploy."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from core.api.app import api_app
from core.hosts.registering import add_host
from core.settings import Settings
from core.store.store import Store
from tests.support.dockerengine import Engine

FIXTURE = Path(__file__).with_name("compose") / "web.yaml"


def test_api_scans_deploys_and_operates_a_host(settings: Settings, docker_engine: Engine) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    (settings.compose_dirs[0] / "web.yaml").write_text(
        FIXTURE.read_text().replace("edgeweb", "apiweb").replace("18080:8080", "18081:8080")
    )
    store = Store.open(settings)
    engine_client = docker_engine.client()
    infra = engine_client.networks.create("api-infra")  # names resolve there (see test_host_wiring)
    redis = engine_client.containers.run(
        "ushadow.local/busybox:1",
        ["httpd", "-f", "-p", "6379"],
        detach=True,
        name="api-redis",
        network="api-infra",
    )
    try:
        add_host(store, settings, name="api-host", url=docker_engine.url)
        secret = store.tokens.create("ops", role="operator")[1]
        web = TestClient(
            api_app(lambda: store, lambda: settings), headers={"Authorization": f"Bearer {secret}"}
        )
        base = "/v1/clusters/api-host"
        assert [h["name"] for h in web.get("/v1/hosts").json()] == ["api-host"]
        assert web.post(base + "/check").json()["status"] == "connected"
        scan = web.post("/v1/scans", json={"cluster": "api-host"})
        assert scan.status_code == 200, scan.text
        assert scan.json()["cluster"] == "api-host"
        assert scan.json()["infra_services"]["redis"]["matches"][0]["service"] == "api-redis"
        refused = web.post("/v1/scans", json={"cluster": "api-host", "namespaces": ["x"]})
        assert refused.status_code == 400 and "no namespaces" in refused.text
        body = {"service_id": "web:web", "wait": True, "timeout": 120}
        deployed = web.post(base + "/deployments", json=body)
        assert deployed.status_code == 200, deployed.text
        assert deployed.json()["health"] == {"apiweb-web-1": "healthy"}
        assert {r["name"]: r["value"] for r in deployed.json()["environment"]}[
            "REDIS_URL"
        ] == "redis://api-redis:6379"
        assert web.post(base + "/deployments", json=body).json()["status"] == "unchanged"
        records = web.get("/v1/deployments", params={"cluster": "api-host"}).json()
        assert [(r["cluster"], r["namespace"], r["status"]) for r in records][:2] == [
            ("api-host", "apiweb", "unchanged"),
            ("api-host", "apiweb", "ready"),
        ]
        status = web.get(base + "/workloads/web").json()
        assert [(c["container"], c["health"]) for c in status["containers"]] == [("apiweb-web-1", "healthy")]
        assert "started redis://api-redis:6379" in web.get(base + "/workloads/web/logs").json()[0]["text"]
        ran = web.post(base + "/workloads/web/exec", json={"command": ["cat", "/www/index.html"]})
        assert ran.json() == {"exit_code": 0, "output": "hello\n"}
        assert web.post(base + "/workloads/web/restart", json={}).json()[0]["state"] == "running"
        scaled = web.post(base + "/workloads/web/scale", json={"replicas": 0}).json()
        assert "changes" in scaled, scaled
        assert {"kind": "container", "name": "apiweb-web-1", "action": "remove",
                "reason": "above the replica count"} in scaled["changes"]  # fmt: skip
        assert web.post(base + "/workloads/web/scale", json={"replicas": 1}).status_code == 200
        gone = web.post(base + "/workloads/web/undeploy", json={}).json()
        assert "changes" in gone, gone
        assert {"kind": "volume", "name": "apiweb_webdata", "action": "kept"} in gone["changes"]
        assert engine_client.volumes.get("apiweb_webdata").name == "apiweb_webdata"
    finally:
        for container in engine_client.containers.list(all=True, filters={"name": "apiweb-"}):
            container.remove(force=True)
        redis.remove(force=True)
        infra.remove()
        engine_client.close()
        store.close()
    shutil.rmtree(settings.compose_dirs[0])
