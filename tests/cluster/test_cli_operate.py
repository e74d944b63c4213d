"""``ushadow-ops envmap / deploy / status / logs / restart / scale / undeploy / deployments`` against
the local control plane: exit codes, exactly one JSON document with ``--json``, one-line errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from core.cli import main
from core.clusters import registering as clusters
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, object_names, read_only_kubeconfig, register

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """Exit code, the one JSON document on stdout, and stderr."""
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def deploy_args(cluster: str, service_id: str = "shop:shop-api", *extra: str) -> list[str]:
    return ["deploy", cluster, service_id, "--registry", str(REGISTRY), *extra]


def test_deploy_twice_then_day_two(
    capsys: pytest.CaptureFixture[str], cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    code, doc, err = run(capsys, *deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--wait"))
    assert code == 0, err
    assert (doc["status"], doc["name"], doc["namespace"]) == ("ready", "shop-api", namespace)
    actions = {r["kind"]: r["action"] for r in doc["resources"]}
    assert actions.pop("Namespace") == "unchanged"  # it existed: not ours, so not labelled either
    assert set(actions.values()) == {"created"}
    env = {r["name"]: r for r in doc["environment"]}
    assert env["SHOP_API_KEY"]["value"] == "********" and env["SHOP_API_KEY"]["source"] == "typed"
    assert err == ""  # --json: no progress lines either

    code, again, _ = run(capsys, *deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--wait"))
    assert code == 0 and {r["action"] for r in again["resources"]} == {"unchanged"}

    code, status, _ = run(capsys, "status", cluster)
    assert code == 0
    (workload,) = status["workloads"]
    assert (workload["name"], workload["ready"], workload["desired"]) == ("shop-api", 1, 1)

    code, logs, _ = run(capsys, "logs", cluster, "shop:shop-api", "--tail", "1")
    assert code == 0 and logs[0]["text"].strip() == "ushadow-local: ready"

    code, scaled, _ = run(capsys, "scale", cluster, "shop-api", "3", "--wait")
    assert code == 0 and (scaled["from"], scaled["to"], scaled["rollout"]["ready"]) == (1, 3, 3)

    code, restarted, _ = run(capsys, "restart", cluster, "shop-api", "--wait")
    assert code == 0 and restarted["restarted_at"] and restarted["rollout"]["done"]

    code, gone, _ = run(capsys, "undeploy", cluster, "shop:shop-api")
    assert code == 0
    assert {(r["kind"], r["action"]) for r in gone["resources"]} == {
        ("Deployment", "deleted"),
        ("Service", "deleted"),
        ("NetworkPolicy", "deleted"),
        ("ConfigMap", "deleted"),
        ("Secret", "deleted"),
    }
    left = object_names(kube_api, namespace)
    assert left["Deployment"] == left["ConfigMap"] == left["Secret"] == []

    code, records, _ = run(capsys, "deployments", cluster)
    assert code == 0 and [r["status"] for r in records] == ["ready", "ready"]
    assert all("manifests" not in r for r in records)


def test_human_output_goes_to_stdout_and_progress_to_stderr(
    capsys: pytest.CaptureFixture[str], cluster: str
) -> None:
    code = main(deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--wait"))
    out, err = capsys.readouterr()
    assert code == 0
    assert "Deployment/shop-api" in out and "ready:" in out
    assert "waiting for Deployment shop-api" in err


def test_dry_run_lists_what_would_change(
    capsys: pytest.CaptureFixture[str], cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    code, doc, _ = run(capsys, *deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--dry-run"))
    assert code == 0 and doc["status"] == "dry-run" and doc["dry_run"]
    assert {r["kind"]: r["action"] for r in doc["resources"]}["Deployment"] == "created"
    assert object_names(kube_api, namespace)["Deployment"] == []


def test_a_missing_image_fails_with_one_line_and_the_document(
    capsys: pytest.CaptureFixture[str], cluster: str
) -> None:
    code, doc, err = run(capsys, *deploy_args(cluster, "shop:broken", "--wait", "--timeout", "120"))
    assert code == 9
    assert doc["status"] == "failed" and "ImagePullBackOff" in doc["message"]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "ImagePullBackOff" in lines[0] and "ghcr.io/example/shop-broken:does-not-exist" in lines[0]


def test_a_required_variable_is_asked_for(capsys: pytest.CaptureFixture[str], cluster: str) -> None:
    code, doc, err = run(capsys, *deploy_args(cluster))
    assert code == 2 and doc["error"]["type"] == "Invalid input"
    assert err.strip().splitlines() == [
        "error: required variables have no value: SHOP_API_KEY "
        "(give them with --env KEY=VALUE (or fill them in the deploy form))"
    ]


def test_a_read_only_credential_gets_a_forbidden_line(
    capsys: pytest.CaptureFixture[str],
    store: Store,
    settings: Settings,
    kube_api: client.ApiClient,
    admin_kubeconfig: str,
    namespace: str,
) -> None:
    reader = register(
        store, settings, read_only_kubeconfig(kube_api, admin_kubeconfig, namespace), namespace, "reader"
    )
    before = object_names(kube_api, namespace)
    code, doc, err = run(capsys, *deploy_args(reader, "shop:broken"))
    assert code == 5 and doc["error"]["type"] == "Forbidden"
    (line,) = err.strip().splitlines()
    assert line.startswith("error: cluster reader: forbidden") and "patch configmaps" not in line
    assert "create deployments.apps" in line and "patch services" in line
    code, _, err = run(capsys, "envmap", reader, "svc", "--env", "A=1")
    assert code == 5 and "patch configmaps" in err
    assert object_names(kube_api, namespace) == before


def test_envmap(
    capsys: pytest.CaptureFixture[str], cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    code, doc, _ = run(capsys, "envmap", cluster, "svc", "--env", "MODE=a", "--env", "DB_PASSWORD=pw")
    assert code == 0
    assert (doc["config_keys"], doc["secret_keys"]) == (["MODE"], ["DB_PASSWORD"])
    code, doc, _ = run(capsys, "envmap", cluster, "svc", "--env", "MODE=a")
    assert code == 0
    assert {r["kind"]: r["action"] for r in doc["resources"]} == {
        "Namespace": "unchanged",
        "ConfigMap": "unchanged",
        "Secret": "configured",
    }
    secret = client.CoreV1Api(kube_api).read_namespaced_secret("svc-secrets", namespace, _request_timeout=10)
    assert not secret.data


def test_unknown_cluster_and_service(capsys: pytest.CaptureFixture[str], cluster: str) -> None:
    code, _, err = run(capsys, "status", "nowhere")
    assert code == 3 and "no cluster" in err
    code, _, err = run(capsys, "restart", cluster, "ghost")
    assert code == 3 and "no Deployment or StatefulSet 'ghost'" in err
    code, _, err = run(capsys, *deploy_args(cluster, "shop:ghost"))
    assert code == 3 and "no compose service 'shop:ghost'" in err


def test_a_cluster_that_does_not_answer_is_named(
    capsys: pytest.CaptureFixture[str],
    store: Store,
    admin_kubeconfig: str,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "1")
        doc = yaml.safe_load(Path(admin_kubeconfig).read_text())
        doc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{silent.getsockname()[1]}"
        clusters.add_cluster(
            store,
            Settings.load(),
            name="far-away",
            kubeconfig=yaml.safe_dump(doc),
            namespace=namespace,
            save_unreachable=True,
        )
        for argv in (["status", "far-away"], deploy_args("far-away", "shop:broken")):
            code, doc_out, err = run(capsys, *argv)
            assert code == 5 and "did not answer within 1s" in doc_out["error"]["message"]
            (line,) = err.strip().splitlines()
            assert line.startswith("error: cluster far-away: ") and "did not answer within 1s" in line


def test_without_n_day_two_finds_services_in_every_namespace_deployed_to(
    capsys: pytest.CaptureFixture[str], cluster: str, kube_api: client.ApiClient, namespace: str
) -> None:
    """A service deployed into another namespace than the cluster's is listed by `status CLUSTER`
    and found by `logs` and `scale` without -n; one deployed to two namespaces asks which."""
    other = f"{namespace}-b"
    try:
        code, _doc, err = run(
            capsys, *deploy_args(cluster, "shop:shop-api", "-n", other, "--env", "SHOP_API_KEY=k")
        )
        assert code == 0, err

        code, status, err = run(capsys, "status", cluster)
        assert code == 0, err
        assert [(w["namespace"], w["name"]) for w in status["workloads"]] == [(other, "shop-api")]
        assert status["namespaces"] == [other] and status["namespace"] == other

        code, logs, err = run(capsys, "logs", cluster, "shop-api")
        assert code == 0, err
        assert logs and logs[0]["pod"].startswith("shop-api-")

        code, _doc, err = run(capsys, *deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k"))
        assert code == 0, err
        code, status, _ = run(capsys, "status", cluster)
        assert sorted(w["namespace"] for w in status["workloads"]) == sorted([namespace, other])
        code, _doc, err = run(capsys, "logs", cluster, "shop-api")
        assert code != 0 and "several namespaces" in err and other in err and namespace in err
        code, _doc, err = run(capsys, "logs", cluster, "shop-api", "-n", other)
        assert code == 0, err
    finally:
        client.CoreV1Api(kube_api).delete_namespace(other, _request_timeout=10)


def test_a_failed_rollout_is_said_once_and_dry_runs_are_not_listed_as_deployments(
    capsys: pytest.CaptureFixture[str], cluster: str
) -> None:
    code = main([*deploy_args(cluster, "shop:broken", "--wait", "--timeout", "120")])
    out, err = capsys.readouterr()
    assert code == 9
    assert "failed:" not in out  # the outcome is the one error line on stderr, not also a status line
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "ImagePullBackOff" in errors[0]

    code, _doc, err = run(
        capsys, *deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--dry-run")
    )
    assert code == 0, err
    code, listed, _ = run(capsys, "deployments", cluster)
    assert [(d["service_id"], d["dry_run"]) for d in listed] == [("shop:broken", False)]
    code, everything, _ = run(capsys, "deployments", cluster, "--dry-runs")
    assert [d["dry_run"] for d in everything] == [True, False]


def test_a_group_deploy_reports_progress_that_only_moves_forward(
    capsys: pytest.CaptureFixture[str], cluster: str
) -> None:
    main(["deploy-app", cluster, "--registry", str(REGISTRY), "--dry-run", "--env", "SHOP_API_KEY=k"])
    _out, err = capsys.readouterr()  # (one of the four services fails: its outcome is not the point here)
    shares = [int(line[1:4].strip()) for line in err.splitlines() if line.startswith("[") and "%]" in line]
    assert len(shares) > 3 and shares == sorted(shares)


def test_a_deploy_with_wait_reports_progress_that_only_moves_forward(
    capsys: pytest.CaptureFixture[str], cluster: str
) -> None:
    code = main([*deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--wait")])
    _out, err = capsys.readouterr()
    assert code == 0, err
    shares = [int(line[1:4].strip()) for line in err.splitlines() if line.startswith("[") and "%]" in line]
    assert len(shares) > 2 and shares == sorted(shares), err


def test_a_cli_deploy_is_recorded_as_the_os_user_and_listed_readably(
    capsys: pytest.CaptureFixture[str], cluster: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "alice")  # getpass.getuser() reads LOGNAME first
    code, _doc, err = run(
        capsys, *deploy_args(cluster, "shop:shop-api", "--env", "SHOP_API_KEY=k", "--dry-run")
    )
    assert code == 0, err
    code, listed, _ = run(capsys, "deployments", cluster, "--dry-runs")
    assert [d["created_by"] for d in listed] == ["cli:alice"]
    assert main(["deployments", cluster, "--dry-runs"]) == 0
    out, _ = capsys.readouterr()
    assert "alice (command line)" in out and "unknown" not in out
    code, _doc, err = run(capsys, "envmap", cluster, "svc", "--env", "A=1")
    assert code == 0, err
    assert [e.actor for e in store.list_audit(limit=20) if e.action == "envmap"] == ["cli:alice"]
