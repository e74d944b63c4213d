"""The HTTP API over real HTTP (httpx) against ``streamlit run serve.py`` and the local control plane:
every endpoint, every auth case, the original endpoints with the original request bodies, garbage
bodies, CORS preflight and the rate limit on failed token checks."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client
from sqlalchemy import update

from core.api.app import ENDPOINTS
from core.cli import main
from core.clusters import registering as clusters
from core.clusters.kube import open_kube
from core.deploy.applying import apply
from core.localcluster.demo import sample_manifests
from core.store.models import ApiTokenRow, utcnow
from core.store.store import Store
from tests.support.apiserver import Server, free_port, running_server
from tests.support.deploykit import REGISTRY, eventually

pytestmark = pytest.mark.cluster
FRONTEND = "http://frontend.example:3000"


@dataclass(frozen=True)
class Api:
    server: Server
    infra_ns: str
    apps_ns: str
    tokens: dict[str, str]  # role or state -> secret

    def call(self, method: str, path: str, token: str | None = "operator", **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        return httpx.request(method, self.server.url + path, headers=headers, timeout=180, **kwargs)


def _namespace(kube_api: client.ApiClient) -> str:
    name = f"t-{secrets.token_hex(4)}"
    client.CoreV1Api(kube_api).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name)), _request_timeout=10
    )
    return name


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, admin_kubeconfig: str, kube_api: client.ApiClient
) -> Iterator[Api]:
    infra_ns, apps_ns = _namespace(kube_api), _namespace(kube_api)
    home = tmp_path_factory.mktemp("api")
    settings = {
        "USHADOW_COMPOSE_DIR": str(REGISTRY),
        "USHADOW_API_CORS_ORIGINS": FRONTEND,
        "USHADOW_API_FAILURE_LIMIT": "1000",
    }
    try:
        with running_server(home, **settings) as server:
            store = Store.open(server.settings)
            kubeconfig = Path(admin_kubeconfig).read_text()
            with open_kube(kubeconfig.encode(), server.settings) as kube:
                for obj in sample_manifests(infra_ns):
                    apply(kube, obj)
            clusters.add_cluster(
                store, server.settings, name="local", kubeconfig=kubeconfig, namespace=infra_ns
            )
            dead = yaml.safe_load(kubeconfig)
            dead["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
            clusters.add_cluster(
                store, server.settings, name="gone", kubeconfig=yaml.safe_dump(dead), save_unreachable=True
            )
            tokens = {
                "operator": store.tokens.create("ops", role="operator")[1],
                "viewer": store.tokens.create("look")[1],
                "expired": store.tokens.create("old", role="operator", expires_in_days=1)[1],
                "revoked": store.tokens.create("gone", role="operator")[1],
            }
            store.tokens.revoke("gone")
            with store.engine.begin() as conn:
                conn.execute(
                    update(ApiTokenRow)
                    .where(ApiTokenRow.name == "old")
                    .values(expires_at=utcnow() - timedelta(minutes=1))
                )
            store.close()
            yield Api(server, infra_ns, apps_ns, tokens)
    finally:
        for ns in (infra_ns, apps_ns):
            client.CoreV1Api(kube_api).delete_namespace(ns, _request_timeout=10)


def ready_infra(api: Api) -> None:
    """The sample infrastructure's pods are ready (a precondition, so the scan sees endpoints)."""

    def probe() -> bool:
        for name in ("mongo", "redis", "postgres"):
            answer = api.call("GET", f"/api/v1/clusters/local/workloads/{name}?namespace={api.infra_ns}")
            if answer.status_code != 200 or answer.json()["workloads"][0]["ready"] < 1:
                return False
        return True

    eventually(probe, "the sample infrastructure to be ready")


# -- auth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "status", "says"),
    [
        (None, 401, "needs an API token"),
        ("ush_not-a-real-token", 401, "not valid"),
        ("expired", 401, "'old' is expired"),
        ("revoked", 401, "'gone' is revoked"),
        ("viewer", 200, None),
        ("operator", 200, None),
    ],
)
def test_each_auth_case(api: Api, token: str | None, status: int, says: str | None) -> None:
    answer = api.call("GET", "/api/v1/clusters", token=token)
    assert answer.status_code == status, answer.text
    if says:
        error = answer.json()["error"]
        assert error["type"] == "Not authenticated" and says in error["message"]
        assert "tokens create" in error["hint"]


@pytest.mark.parametrize("header", ["Basic b3BzOm9wcw==", "Bearer", "ush_no_scheme"])
def test_a_malformed_authorization_header_is_401(api: Api, header: str) -> None:
    answer = httpx.get(api.server.url + "/api/v1/clusters", headers={"Authorization": header}, timeout=30)
    assert answer.status_code == 401 and "error" in answer.json()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.change], ids=lambda e: f"{e.method} {e.path}")
def test_a_viewer_may_not_change_anything(api: Api, endpoint: Any) -> None:
    path = (
        endpoint.path.replace("{cluster}", "local").replace("{cluster_id}", "local").replace("{service}", "x")
    )
    answer = api.call(endpoint.method, path, token="viewer", json={})
    assert answer.status_code == 403, answer.text
    assert "viewer token" in answer.json()["error"]["message"]


def test_no_token_on_the_original_deploy_is_401(api: Api) -> None:
    answer = api.call("POST", "/api/kubernetes/local/deploy", token=None, json={"service_id": "shop:stash"})
    assert answer.status_code == 401


# -- the original endpoints -------------------------------------------------------------------------


def test_original_service_lists(api: Api) -> None:
    available = api.call("GET", "/api/kubernetes/services/available", token="viewer").json()
    by_id = {s["service_id"]: s for s in available["services"]}
    assert {"shop:shop-api", "cache-infra:redis"} <= set(by_id)
    assert set(by_id["shop:shop-api"]) >= {
        "service_id", "service_name", "display_name", "description", "image", "requires", "namespace"
    }  # fmt: skip
    assert by_id["shop:shop-api"]["service_name"] == "shop-api"
    infra = api.call("GET", "/api/kubernetes/services/infra", token="viewer").json()
    assert [(s["service_id"], s["type"]) for s in infra["services"]] == [("cache-infra:redis", "redis")]
    assert set(infra["services"][0]) >= {"service_id", "service_name", "display_name", "type", "image"}


def test_original_scan_infra_and_its_json_twin(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ready_infra(api)
    answer = api.call("POST", "/api/kubernetes/local/scan-infra", json={"namespace": api.infra_ns})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["namespace"] == api.infra_ns and doc["cluster_id"]
    found = {t for t, entry in doc["infra_services"].items() if entry["found"]}
    assert {"mongo", "redis", "postgres"} <= found
    mongo = doc["infra_services"]["mongo"]
    assert set(mongo) >= {"found", "type", "default_port", "endpoints", "matches"}
    assert mongo["endpoints"] == [f"mongo.{api.infra_ns}.svc.cluster.local:27017"]

    twin = api.call("GET", f"/api/v1/scans/{doc['scan_id']}", token="viewer").json()
    for key, value in {
        "USHADOW_DATA_DIR": str(api.server.settings.data_dir),
        "USHADOW_PUBLIC_URL": api.server.url,
        "USHADOW_COMPOSE_DIR": str(REGISTRY),
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["scans", "show", doc["scan_id"], "--json"]) == 0
    assert twin == json.loads(capsys.readouterr().out)
    assert twin == doc
    events = _audit(api)
    assert ("token:ops", "scan") in {(e.actor, e.action) for e in events}


def _audit(api: Api) -> list[Any]:
    store = Store.open(api.server.settings)
    try:
        return store.list_audit()
    finally:
        store.close()


def test_original_envmap_then_deploy(api: Api, kube_api: client.ApiClient) -> None:
    body = {
        "service_name": "shop-api",
        "namespace": api.apps_ns,
        "env_vars": {"SHOP_API_KEY": "k3y", "LOG_LEVEL": "debug"},
    }
    answer = api.call("POST", "/api/kubernetes/local/envmap", json=body)
    assert answer.status_code == 200, answer.text
    envmap = answer.json()
    assert {k: envmap[k] for k in ("success", "configmap", "secret", "namespace")} == {
        "success": True, "configmap": "shop-api-config", "secret": "shop-api-secrets", "namespace": api.apps_ns
    }  # fmt: skip

    answer = api.call(
        "POST", "/api/kubernetes/local/deploy", json={"service_id": "shop:shop-api", "namespace": api.apps_ns}
    )
    assert answer.status_code == 200, answer.text
    deployed = answer.json()
    assert deployed["success"] is True and deployed["message"]
    assert (deployed["service_id"], deployed["namespace"]) == ("shop:shop-api", api.apps_ns)
    env = {r["name"]: r for r in deployed["environment"]}
    assert env["SHOP_API_KEY"]["value"] == "********"  # the envmap's value, masked in the answer
    apps = client.AppsV1Api(kube_api)
    assert apps.read_namespaced_deployment("shop-api", api.apps_ns, _request_timeout=10)
    actors = {(e.actor, e.action) for e in _audit(api)}
    assert {("token:ops", "envmap"), ("token:ops", "deploy")} <= actors


def test_original_deploy_without_its_values_says_to_write_the_envmap(api: Api) -> None:
    answer = api.call(
        "POST", "/api/kubernetes/local/deploy", json={"service_id": "shop:worker", "namespace": api.apps_ns}
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "WORKER_TOKEN" in error["message"] and "/envmap" in error["hint"]


@pytest.mark.parametrize("field", ["config_id", "node_name"])
def test_original_deploy_fields_we_do_not_support_are_422(api: Api, field: str) -> None:
    body = {"service_id": "shop:stash", "namespace": api.apps_ns, field: "x"}
    answer = api.call("POST", "/api/kubernetes/local/deploy", json=body)
    assert answer.status_code == 422 and field in answer.json()["error"]["message"]


# -- /api/v1 ----------------------------------------------------------------------------------------


def test_clusters_and_services(api: Api) -> None:
    listed = api.call("GET", "/api/v1/clusters", token="viewer").json()
    assert {c["name"]: c["status"] for c in listed} == {"local": "connected", "gone": "unreachable"}
    local = api.call("GET", "/api/v1/clusters/local", token="viewer").json()
    assert local["namespace"] == api.infra_ns and "credential" not in json.dumps(local)
    checked = api.call("POST", "/api/v1/clusters/local/check", token="viewer")
    assert checked.status_code == 200 and checked.json()["status"] == "connected"
    services = api.call("GET", "/api/v1/services", token="viewer").json()
    assert {"shop:shop-api", "cache-infra:redis"} <= {s["id"] for s in services}
    infra = api.call("GET", "/api/v1/services?infra=true", token="viewer").json()
    assert [s["id"] for s in infra] == ["cache-infra:redis"]


def test_scans_run_list_and_show(api: Api) -> None:
    ready_infra(api)
    one = api.call(
        "POST", "/api/v1/scans", token="viewer", json={"cluster": "local", "namespaces": [api.infra_ns]}
    )
    assert one.status_code == 200, one.text
    scan = one.json()
    assert scan["namespaces"] == [api.infra_ns] and scan["infra_services"]["redis"]["found"]
    assert scan["link"].startswith(api.server.url)
    every = api.call("POST", "/api/v1/scans", json={"cluster": "local", "all_namespaces": True}).json()
    assert every["all_namespaces"] is True
    many = api.call("POST", "/api/v1/scans", json={"clusters": ["local", "gone"]}).json()
    assert [("error" in d, d["cluster"]) for d in many] == [(False, "local"), (True, "gone")]
    listed = api.call("GET", "/api/v1/scans?cluster=local&limit=2", token="viewer").json()
    assert len(listed) == 2 and all(r["cluster"] == "local" for r in listed)
    shown = api.call("GET", f"/api/v1/scans/{scan['scan_id']}", token="viewer").json()
    assert shown["scan_id"] == scan["scan_id"] and shown["infra_services"] == scan["infra_services"]


def test_deploy_and_day_two(api: Api) -> None:
    ns = api.apps_ns
    dry = api.call("POST", "/api/v1/clusters/local/deployments",
                   json={"service_id": "shop:stash", "namespace": ns, "dry_run": True})  # fmt: skip
    assert dry.status_code == 200 and dry.json()["status"] == "dry-run", dry.text
    done = api.call("POST", "/api/v1/clusters/local/deployments",
                    json={"service_id": "shop:stash", "namespace": ns, "wait": True, "timeout": 120})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "ready" and done.json()["rollout"]["ready"] == 1
    failed = api.call("POST", "/api/v1/clusters/local/deployments",
                      json={"service_id": "shop:broken", "namespace": ns, "wait": True, "timeout": 30})  # fmt: skip
    assert failed.status_code == 409
    assert failed.json()["status"] == "failed" and "ImagePull" in failed.json()["error"]["message"]

    history = api.call("GET", "/api/v1/deployments?cluster=local", token="viewer").json()
    assert {"shop:stash", "shop:broken"} <= {d["service_id"] for d in history}
    status = api.call("GET", f"/api/v1/clusters/local/workloads?namespace={ns}", token="viewer").json()
    assert {"stash", "broken"} <= {w["name"] for w in status["workloads"]}
    logs = api.call(
        "GET", f"/api/v1/clusters/local/workloads/stash/logs?namespace={ns}&tail=2", token="viewer"
    )
    assert logs.status_code == 200 and "ushadow-local" in logs.json()[0]["text"]

    scaled = api.call("POST", "/api/v1/clusters/local/workloads/stash/scale",
                      json={"namespace": ns, "replicas": 2, "wait": True})  # fmt: skip
    assert scaled.status_code == 200, scaled.text
    assert (scaled.json()["from"], scaled.json()["to"], scaled.json()["rollout"]["ready"]) == (1, 2, 2)
    restarted = api.call("POST", "/api/v1/clusters/local/workloads/stash/restart", json={"namespace": ns})
    assert restarted.status_code == 200 and restarted.json()["name"] == "stash"
    ran = api.call("POST", "/api/v1/clusters/local/workloads/shop-api/exec",
                   json={"namespace": ns, "command": ["sh", "-c", "echo out; echo err >&2; exit 4"]})  # fmt: skip
    assert ran.status_code == 200, ran.text
    assert (ran.json()["stdout"], ran.json()["stderr"], ran.json()["exit_code"]) == ("out\n", "err\n", 4)
    gone = api.call("POST", "/api/v1/clusters/local/workloads/broken/undeploy", json={"namespace": ns})
    assert gone.status_code == 200 and {"deleted"} <= {r["action"] for r in gone.json()["resources"]}
    actions = {e.action for e in _audit(api) if e.actor == "token:ops"}
    assert {"deploy", "scale", "restart", "exec", "undeploy"} <= actions


def test_envmap_v1(api: Api) -> None:
    body = {
        "name": "notes",
        "namespace": api.apps_ns,
        "env": {"MODE": "a", "API_TOKEN": "t0k"},
        "dry_run": True,
    }
    answer = api.call("POST", "/api/v1/clusters/local/envmap", json=body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["config_keys"], answer.json()["secret_keys"]) == (["MODE"], ["API_TOKEN"])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/clusters/nope", 404),
        ("/api/v1/scans/0123456789abcdef0123456789abcdef", 404),
        ("/api/v1/scans/not*an*id", 400),
        ("/api/v1/clusters/local/workloads/nothing-here", 404),
        ("/api/v1/clusters/gone/workloads", 502),
        ("/api/v1/no-such-route", 404),
        ("/api/v1/scans?limit=abc", 400),
    ],
)
def test_errors_get_fitting_statuses(api: Api, path: str, status: int) -> None:
    answer = api.call("GET", path, token="viewer")
    assert answer.status_code == status, answer.text
    assert set(answer.json()["error"]) == {"type", "message", "hint"}


BODY_ENDPOINTS = [e for e in ENDPOINTS if e.body is not None]


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b"[1, 2, 3]", 422),
        (b'"just a string"', 422),
        (b'{"bogus_field": 1}', 422),
        (b'{"namespace": 5, "service_id": ["x"], "command": "ls", "replicas": "many"}', 422),
        (b"{" + b'"a": "' + b"x" * (1 << 20) + b'"}', 413),
    ],
    ids=["not-json", "binary", "array", "string", "unknown-field", "wrong-types", "oversize"],
)
def test_garbage_bodies_are_4xx_never_500(api: Api, endpoint: Any, content: bytes, status: int) -> None:
    path = (
        endpoint.path.replace("{cluster}", "local")
        .replace("{cluster_id}", "local")
        .replace("{service}", "stash")
    )
    answer = api.call(endpoint.method, path, content=content, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"]


def test_openapi_is_served_without_a_token(api: Api) -> None:
    doc = httpx.get(api.server.url + "/api/v1/openapi.json", timeout=30).json()
    assert doc["openapi"].startswith("3.") and "/api/kubernetes/{cluster_id}/scan-infra" in doc["paths"]
    assert "OriginalEnvmapRequest" in doc["components"]["schemas"]


def test_cors_preflight_for_the_named_origin_only(api: Api) -> None:
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = httpx.options(
        api.server.url + "/api/kubernetes/local/deploy", headers={"Origin": FRONTEND, **ask}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == FRONTEND
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = httpx.options(
        api.server.url + "/api/kubernetes/local/deploy", headers={"Origin": "http://evil.example", **ask}
    )
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    simple = api.call("GET", "/api/v1/clusters", headers={"Origin": FRONTEND})
    assert simple.headers["access-control-allow-origin"] == FRONTEND


def test_no_cors_without_the_setting_and_failed_checks_are_rate_limited(tmp_path: Path) -> None:
    with running_server(tmp_path, USHADOW_API_FAILURE_LIMIT="3") as server:
        store = Store.open(server.settings)
        _, good = store.tokens.create("ci")
        store.close()
        preflight = httpx.options(
            server.url + "/api/v1/clusters",
            headers={"Origin": FRONTEND, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
        bad = {"Authorization": "Bearer ush_guess"}
        codes = [httpx.get(server.url + "/api/v1/clusters", headers=bad).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        blocked = httpx.get(server.url + "/api/v1/clusters", headers={"Authorization": f"Bearer {good}"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert "too many failed token checks" in blocked.json()["error"]["message"]
