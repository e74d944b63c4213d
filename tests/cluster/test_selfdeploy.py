"""The dashboard runs for a team on Kubernetes: several replicas sharing PostgreSQL, from manifests
that our own ``bundle`` command makes out of the dashboard's compose file (deploy/)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from core.cli import main as cli
from tests.support import paths

pytestmark = pytest.mark.cluster
REPO = paths.REPO
KUBECTL = str(Path(sys.executable).with_name("kubectl"))


def test_dashboard_bundle_deploys_with_two_replicas_sharing_postgres(
    tmp_path: Path, admin_kubeconfig: str, kube_api: client.ApiClient
) -> None:
    out = tmp_path / "bundle"
    assert cli(["bundle", "--registry", str(REPO / "deploy"), "--out", str(out)]) == 0
    secrets = out / "secrets" / "ushadow-ops"
    # the database URL carries the (unset) password: it is asked for with the secrets, not written
    # into the ConfigMap with an empty password
    assert "USHADOW_DATABASE_URL=" in (secrets / "dashboard-secrets.env.example").read_text()
    assert "USHADOW_DATABASE_URL" not in (out / "configmap.yaml").read_text()
    (secrets / "dashboard-secrets.env").write_text(
        "USHADOW_DATABASE_URL=postgresql+psycopg://ushadow:pw@postgres:5432/ushadow\nUSHADOW_SECRET_KEY=k\n"
    )
    (secrets / "postgres-secrets.env").write_text("POSTGRES_PASSWORD=pw\n")
    (secrets / "streamlit-secrets").mkdir(parents=True, exist_ok=True)
    (secrets / "streamlit-secrets" / "streamlit-secrets").write_text("")  # no [auth]: open
    # the scheduled scanner: the same database, and the webhook URL (it may hold a token) as a secret
    (secrets / "scanner-secrets.env").write_text(
        "USHADOW_DATABASE_URL=postgresql+psycopg://ushadow:pw@postgres:5432/ushadow\nUSHADOW_SECRET_KEY=k\n"
        "USHADOW_NOTIFY_URL=https://hooks.example.com/t0ken\n"
    )
    built = subprocess.run(
        [KUBECTL, "kustomize", str(out)], capture_output=True, text=True, check=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(built) if d]
    dashboard = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "dashboard")
    assert dashboard["spec"]["replicas"] == 2
    front = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "dashboard")
    assert front["spec"]["sessionAffinity"] == "ClientIP"
    cron = next(d for d in docs if d["kind"] == "CronJob" and d["metadata"]["name"] == "scanner")
    scanner_secret = next(
        d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "scanner-secrets"
    )
    assert "USHADOW_NOTIFY_URL" in scanner_secret["data"]
    assert "t0ken" not in (out / "configmap.yaml").read_text()
    container = dashboard["spec"]["template"]["spec"]["containers"][0]
    assert any("/healthz" in " ".join(p["exec"]["command"]) for p in [container["readinessProbe"]])
    env_from = {ref.get("secretRef", ref.get("configMapRef", {})).get("name") for ref in container["envFrom"]}
    assert "dashboard-secrets" in env_from
    secret = next(d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "dashboard-secrets")
    assert set(secret["data"]) == {"USHADOW_DATABASE_URL", "USHADOW_SECRET_KEY"}
    # Streamlit's secrets file (where [auth] turns sign-in on) comes from a seeded file of the bundle
    streamlit = next(
        d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "streamlit-secrets"
    )
    assert set(streamlit["data"]) == {"streamlit-secrets"}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/app/.streamlit/secrets.toml" in mounts

    subprocess.run(
        [
            KUBECTL,
            "--kubeconfig",
            admin_kubeconfig,
            "apply",
            "--server-side",
            "--field-manager",
            "ushadow",
            "-k",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    apps = client.AppsV1Api(kube_api)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            dep = apps.read_namespaced_deployment("dashboard", "ushadow-ops", _request_timeout=5).status
            sts = apps.read_namespaced_stateful_set("postgres", "ushadow-ops", _request_timeout=5).status
            if dep.ready_replicas == 2 and sts.ready_replicas == 1:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"not ready: dashboard {dep.ready_replicas}/2, postgres {sts.ready_replicas}/1")
        # the API server took the CronJob and the sticky Service as compiled
        live_cron = client.BatchV1Api(kube_api).read_namespaced_cron_job(
            "scanner", "ushadow-ops", _request_timeout=5
        )
        assert live_cron.spec.schedule == cron["spec"]["schedule"] == "*/15 * * * *"
        live_front = client.CoreV1Api(kube_api).read_namespaced_service(
            "dashboard", "ushadow-ops", _request_timeout=5
        )
        assert live_front.spec.session_affinity == "ClientIP"
    finally:
        client.CoreV1Api(kube_api).delete_namespace("ushadow-ops", _request_timeout=10)
