"""``drift`` sees a hand-set env value (``kubectl set env``: an ``env`` entry over the ConfigMap
value the container had from ``envFrom``) and names the key, against the local control plane."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from core.cli import main
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, register

pytestmark = pytest.mark.cluster


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def set_env(apps: client.AppsV1Api, name: str, namespace: str, **values: str) -> None:
    """What ``kubectl set env deploy/NAME K=V`` sends: a strategic merge of ``env`` entries."""
    env = [{"name": k, "value": v} for k, v in values.items()]
    body = {"spec": {"template": {"spec": {"containers": [{"name": name, "env": env}]}}}}
    apps.patch_namespaced_deployment(name, namespace, body, field_manager="kubectl-set", _request_timeout=10)


def test_drift_names_an_env_value_set_by_hand_over_the_configmap(
    capsys: pytest.CaptureFixture[str], store: Store, settings: Settings, admin_kubeconfig: str,
    kube_api: client.ApiClient, namespace: str, tmp_path: Path,
) -> None:  # fmt: skip
    registry = tmp_path / "registry"
    shutil.copytree(REGISTRY, registry)
    cluster = register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    for sid, env in (
        ("shop:shop-api", "SHOP_API_KEY=k3y-Secret-42"),
        ("shop:worker", "WORKER_TOKEN=tok-Secret-9876"),
    ):
        code, _, err = run(
            capsys, "deploy", cluster, sid, "--registry", str(registry), "--env", env, "--wait"
        )
        assert code == 0, err
    cm = client.CoreV1Api(kube_api).read_namespaced_config_map(
        "shop-api-config", namespace, _request_timeout=10
    )
    assert cm.data["LOG_LEVEL"] == "info"  # the value the container had from envFrom

    apps = client.AppsV1Api(kube_api)
    set_env(apps, "shop-api", namespace, LOG_LEVEL="hacked")
    code, doc, err = run(capsys, "drift", cluster, "shop-api", "--registry", str(registry), "--exit-code")
    assert code == 1, (doc, err)
    fields = {f["field"]: f for f in doc[0]["fields"]}
    assert fields["Deployment/shop-api containers[shop-api].env[LOG_LEVEL]"] == {
        "field": "Deployment/shop-api containers[shop-api].env[LOG_LEVEL]",
        "deployed": "info", "live": "hacked", "would_render": None, "kind": "cluster",
    }  # fmt: skip
    assert set(fields) == {"Deployment/shop-api containers[shop-api].env[LOG_LEVEL]"}
    code, doc, err = run(capsys, "drift", cluster, "worker", "--registry", str(registry), "--exit-code")
    assert code == 0 and doc[0]["fields"] == [], (doc, err)

    # a Secret-backed key set by hand: named, its values never shown; a new key with it
    set_env(apps, "worker", namespace, WORKER_TOKEN="plain-by-hand-77", EXTRA="1")
    code, doc, err = run(capsys, "drift", cluster, "worker", "--registry", str(registry), "--exit-code")
    assert code == 1, err
    fields = {f["field"]: f for f in doc[0]["fields"]}
    token = fields["Deployment/worker containers[worker].env[WORKER_TOKEN]"]
    assert token["deployed"] == "******** (Secret/worker-secrets)" and token["live"] == "changed (env)"
    assert "EXTRA" in fields["Deployment/worker containers[worker].env"]["live"]
    text = json.dumps(doc) + err
    assert "plain-by-hand-77" not in text and "tok-Secret-9876" not in text
