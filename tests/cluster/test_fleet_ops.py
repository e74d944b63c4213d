"""``ushadow-ops events``, ``drift`` and ``rollback`` against the local control plane: the events of
a failing deploy, hand edits and compose edits found as drift, and going back to a deploy."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from core.cli import main
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, eventually, register

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A copy of the deploy registry the test may edit."""
    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY, folder)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def run_text(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def deploy(capsys: pytest.CaptureFixture[str], cluster: str, registry: Path, sid: str, *extra: str) -> Any:
    code, doc, err = run(capsys, "deploy", cluster, sid, "--registry", str(registry), *extra)
    assert code == 0, err
    return doc


def test_events_show_the_image_pull_warning_of_a_failing_deploy(
    capsys: pytest.CaptureFixture[str], cluster: str, namespace: str
) -> None:
    deploy(capsys, cluster, REGISTRY, "shop:broken")

    def warnings() -> list[dict[str, Any]]:
        code, doc, err = run(capsys, "events", cluster, "broken")
        assert code == 0, err
        return [e for e in doc["events"] if e["type"] == "Warning" and e["object"].startswith("Pod/broken-")]

    found = eventually(warnings, "the fake node's image pull warning")
    assert any("pull" in e["message"].lower() for e in found)
    code, doc, _ = run(capsys, "events", cluster, "shop:broken", "-n", namespace)
    assert code == 0 and doc["name"] == "broken"
    types = [e["type"] for e in doc["events"]]
    assert types == sorted(types, key=lambda t: t != "Warning")  # warnings first
    assert {e["object"].split("/")[0] for e in doc["events"]} <= {"Deployment", "ReplicaSet", "Pod"}

    code, _, err = run(capsys, "events", cluster, "nothing-here")
    assert code != 0 and "nothing-here" in err


def _fields(doc: list[dict[str, Any]], service: str) -> dict[str, dict[str, Any]]:
    (row,) = [r for r in doc if r["service"] == service]
    return {f["field"]: f for f in row["fields"]}


def test_drift_names_hand_edits_and_compose_edits_and_rollback_restores(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    deploy(capsys, cluster, registry, "shop:shop-api", "--env", "SHOP_API_KEY=k3y-Secret-42", "--wait")
    deploy(capsys, cluster, registry, "shop:worker", "--env", "WORKER_TOKEN=tok-Secret-9876", "--wait")
    code, doc, err = run(capsys, "drift", cluster, "--registry", str(registry), "--exit-code")
    assert code == 0, (doc, err)
    assert sorted(r["service"] for r in doc) == ["shop-api", "worker"]
    assert not any(r["drifted"] for r in doc)

    # by hand: replicas and one env value of the Deployment, and the Secret's value
    apps, core = client.AppsV1Api(kube_api), client.CoreV1Api(kube_api)
    patch = {"spec": {"replicas": 2}}
    apps.patch_namespaced_deployment(
        "shop-api", namespace, patch, field_manager="kubectl-edit", _request_timeout=10
    )
    env = [{"name": "EXTRA_FLAG", "value": "on"}]
    body = {"spec": {"template": {"spec": {"containers": [{"name": "shop-api", "env": env}]}}}}
    apps.patch_namespaced_deployment(
        "shop-api", namespace, body, field_manager="kubectl-edit", _request_timeout=10
    )
    secret = {"data": {"SHOP_API_KEY": base64.b64encode(b"changed-by-hand").decode()}}
    core.patch_namespaced_secret("shop-api-secrets", namespace, secret, _request_timeout=10)
    # in the source: a new image tag
    compose = registry / "shop.yaml"
    compose.write_text(compose.read_text().replace("nginx:1.27-alpine", "nginx:1.28-alpine"))

    code, doc, err = run(capsys, "drift", cluster, "--registry", str(registry), "--exit-code")
    assert code == 1, err
    fields = _fields(doc, "shop-api")
    assert fields["Deployment/shop-api spec.replicas"] == {
        "field": "Deployment/shop-api spec.replicas",
        "deployed": 1,
        "live": 2,
        "would_render": None,
        "kind": "cluster",
    }
    env_keys = fields["Deployment/shop-api containers[shop-api].env"]
    assert env_keys["kind"] == "cluster" and "EXTRA_FLAG" in env_keys["live"]
    assert "EXTRA_FLAG" not in env_keys["deployed"]
    image = fields["Deployment/shop-api containers[shop-api].image"]
    assert (image["kind"], image["deployed"], image["would_render"]) == (
        "source",
        "nginx:1.27-alpine",
        "nginx:1.28-alpine",
    )
    assert fields["Secret/shop-api-secrets data"]["kind"] == "cluster"
    assert set(fields) == {
        "Deployment/shop-api spec.replicas",
        "Deployment/shop-api containers[shop-api].env",
        "Deployment/shop-api containers[shop-api].image",
        "Secret/shop-api-secrets data",
    }
    text = json.dumps(doc)
    assert "changed-by-hand" not in text and "k3y-Secret-42" not in text and "tok-Secret-9876" not in text
    assert _fields(doc, "worker") == {}
    code, one, _ = run(capsys, "drift", cluster, "worker", "--registry", str(registry), "--exit-code")
    assert code == 0 and [r["service"] for r in one] == ["worker"]

    # deploy the new tag, then roll back to the one before
    deploy(capsys, cluster, registry, "shop:shop-api", "--env", "SHOP_API_KEY=k3y-Secret-42", "--wait")
    code, back, err = run(capsys, "rollback", cluster, "shop-api", "--wait", "--timeout", "120")
    assert code == 0, err
    assert back["status"] == "ready" and back["rollout"]["ready"] == back["rollout"]["desired"]
    live = apps.read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert live.spec.template.spec.containers[0].image == "nginx:1.27-alpine"
    kept = core.read_namespaced_secret("shop-api-secrets", namespace, _request_timeout=10)
    assert base64.b64decode(kept.data["SHOP_API_KEY"]).decode() == "k3y-Secret-42"  # the cluster's value
    code, again, _ = run(capsys, "rollback", cluster, "shop-api", "--to", back["rolled_back_to"])
    assert code == 0 and again["rolled_back_to"] == back["rolled_back_to"]
    code, _, err = run(capsys, "rollback", cluster, "shop-api", "--to", "nope")
    assert code != 0 and "nope" in err


def test_fleet_shows_each_service_on_each_target_and_a_dead_cluster_as_one_grey_column(
    capsys: pytest.CaptureFixture[str],
    store: Store,
    settings: Settings,
    admin_kubeconfig: str,
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    from core.clusters import registering

    second = f"{namespace}-b"
    core = client.CoreV1Api(kube_api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=second)), _request_timeout=10)
    try:
        registering.add_cluster(
            store,
            settings,
            name="other",
            kubeconfig=Path(admin_kubeconfig).read_text(),
            namespace=second,
            labels={"env": "prod"},
        )
        dead = Path(admin_kubeconfig).read_text()
        server = next(line.split("server:", 1)[1].strip() for line in dead.splitlines() if "server:" in line)
        registering.add_cluster(
            store,
            settings,
            name="dead",
            kubeconfig=dead.replace(server, "https://127.0.0.1:1"),
            namespace=namespace,
            save_unreachable=True,
        )
        for target in (cluster, "other"):
            deploy(capsys, target, registry, "shop:shop-api", "--env", "SHOP_API_KEY=k3y-Secret-42", "--wait")
            deploy(capsys, target, registry, "shop:worker", "--env", "WORKER_TOKEN=tok-Secret-9876", "--wait")
        # a deploy whose rollout failed (its image does not exist): the workload is there, failing
        code, failed, _ = run(
            capsys,
            "deploy",
            cluster,
            "shop:broken",
            "--registry",
            str(registry),
            "--wait",
            "--timeout",
            "120",
        )
        assert code == 9 and failed["status"] == "failed"
        (record,) = [d for d in store.list_deployments("other") if d.name == "worker"]
        store.record_deployment(
            cluster_id=store.get_cluster("dead").cluster_id,
            namespace=namespace,
            service_id="shop:worker",
            name="worker",
            manifests=record.manifests,
            resources=[],
            status="ready",
            message=None,
            dry_run=False,
        )

        code, doc, err = run(capsys, "fleet", "--registry", str(registry))
        assert code == 0, err
        targets = {t["target"]: t for t in doc["targets"]}
        assert set(targets) == {f"local/{namespace}", f"other/{second}", f"dead/{namespace}"}
        assert targets[f"dead/{namespace}"]["reachable"] is False
        rows = {r["service_id"]: r["cells"] for r in doc["services"]}
        for target in (f"local/{namespace}", f"other/{second}"):
            api = rows["shop:shop-api"][target]
            assert (api["tag"], api["ready"], api["desired"], api["health"]) == ("1.27-alpine", 1, 1, "ready")
            assert rows["shop:worker"][target]["tag"] == "1.37"
        assert rows["shop:worker"][f"dead/{namespace}"]["health"] == "unreachable"
        broken = rows["shop:broken"]
        assert set(broken) == {f"local/{namespace}"}  # deployed there only
        cell = broken[f"local/{namespace}"]
        assert (cell["tag"], cell["ready"], cell["desired"], cell["health"], cell["status"]) == (
            "does-not-exist", 0, 1, "failing: ImagePullBackOff", "failed",
        )  # fmt: skip
        code, text, _ = run_text(capsys, "fleet", "--registry", str(registry))
        assert code == 0 and "does-not-exist 0/1 failing: ImagePullBackOff" in text

        code, prod, _ = run(capsys, "fleet", "--registry", str(registry), "--label", "env=prod")
        assert code == 0 and [t["target"] for t in prod["targets"]] == [f"other/{second}"]
    finally:
        core.delete_namespace(second, _request_timeout=10)


def test_scan_all_clusters_scans_every_connected_cluster(
    capsys: pytest.CaptureFixture[str], store: Store, settings: Settings, admin_kubeconfig: str, cluster: str
) -> None:
    from core.clusters import registering

    text = Path(admin_kubeconfig).read_text()
    server = next(line.split("server:", 1)[1].strip() for line in text.splitlines() if "server:" in line)
    registering.add_cluster(
        store,
        settings,
        name="dead",
        kubeconfig=text.replace(server, "https://127.0.0.1:1"),
        save_unreachable=True,
    )
    code, docs, err = run(capsys, "scan", "--all-clusters")
    assert code == 0, err
    assert [d["cluster"] for d in docs] == ["local"]  # the unreachable one is not connected: left out
    code, _, err = run(capsys, "scan", "local", "--all-clusters")
    assert code != 0 and "not both" in err
