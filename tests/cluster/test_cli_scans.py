"""``ushadow-ops scan`` / ``scans list`` / ``scans show`` through the real command line, against the
real local control plane (the JSON shape is the contract of ../shared/CLI.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from core.catalog import load_catalog
from core.settings import Settings
from tests.support.workloads import deployment, svc, wait_ready

pytestmark = pytest.mark.cluster

T = 10
PUBLIC_URL = "https://ops.example.com"
SCRIPT = Path(sys.executable).with_name("ushadow-ops")  # the installed console script
SCAN_KEYS = {
    "scan_id",
    "cluster_id",
    "namespace",
    "namespaces",
    "scanned_at",
    "link",
    "infra_services",
    "errors",
}
TYPE_KEYS = {"found", "type", "default_port", "endpoints", "matches"}
MATCH_KEYS = {
    "service",
    "namespace",
    "service_type",
    "reason",
    "ready_endpoints",
    "endpoints",
    "connection_string",
}


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, USHADOW_PUBLIC_URL=PUBLIC_URL)
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def cli_json(*args: str) -> Any:
    done = cli(*args, "--json")
    return json.loads(done.stdout)


@pytest.fixture
def cluster(settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    """The local control plane added through the CLI, with ``namespace`` as its default namespace."""
    added = cli_json("clusters", "add", "local", "--kubeconfig", admin_kubeconfig, "--namespace", namespace)
    assert added["status"] == "connected"
    return "local"


@pytest.fixture
def workloads(kube_api: client.ApiClient, namespace: str) -> str:
    core, apps = client.CoreV1Api(kube_api), client.AppsV1Api(kube_api)
    apps.create_namespaced_deployment(
        namespace, deployment("redis", {"app": "redis"}, "redis:7-alpine", [6379]), _request_timeout=T
    )
    apps.create_namespaced_deployment(
        namespace,
        deployment("redis-commander", {"app": "rc"}, "rediscommander/redis-commander:latest", [8081]),
        _request_timeout=T,
    )
    core.create_namespaced_service(
        namespace, svc("redis", [{"name": "redis", "port": 6379}], {"app": "redis"}), _request_timeout=T
    )
    core.create_namespaced_service(
        namespace, svc("redis-commander", [{"port": 8081}], {"app": "rc"}), _request_timeout=T
    )
    wait_ready(kube_api, namespace, {"redis": 1, "redis-commander": 1})
    return namespace


def test_scan_json_has_the_contract_shape(cluster: str, workloads: str) -> None:
    ns = workloads
    doc = cli_json("scan", cluster)
    assert set(doc) >= SCAN_KEYS
    assert doc["namespace"] == ns and doc["namespaces"] == [ns]
    assert doc["link"] == f"{PUBLIC_URL}/scan?scan={doc['scan_id']}"
    assert doc["errors"] == []
    assert doc["scanned_at"].endswith("Z")
    assert list(doc["infra_services"]) == list(load_catalog().default_ports())
    for infra_type, entry in doc["infra_services"].items():
        assert set(entry) >= TYPE_KEYS
        assert entry["type"] == infra_type
        assert entry["default_port"] == load_catalog().default_ports()[infra_type]
        assert entry["found"] is (infra_type == "redis")
    redis = doc["infra_services"]["redis"]
    endpoint = f"redis.{ns}.svc.cluster.local:6379"
    assert redis["endpoints"] == [endpoint]
    (match,) = redis["matches"]
    assert set(match) >= MATCH_KEYS
    assert {k: match[k] for k in MATCH_KEYS - {"reason"}} == {
        "service": "redis",
        "namespace": ns,
        "service_type": "ClusterIP",
        "ready_endpoints": 1,
        "endpoints": [endpoint],
        "connection_string": f"redis://{endpoint}",
    }
    assert match["reason"].startswith("pod image redis:7-alpine")
    assert doc["changes"]["previous_scan_id"] is None


def test_scans_list_and_show_reopen_the_stored_scan(cluster: str, workloads: str) -> None:
    first = cli_json("scan", cluster)
    second = cli_json("scan", cluster, "-n", workloads)
    assert second["changes"]["previous_scan_id"] == first["scan_id"]
    assert second["changes"]["unchanged"] is True

    listed = cli_json("scans", "list", cluster)
    assert [s["scan_id"] for s in listed] == [second["scan_id"], first["scan_id"]]
    assert listed[0]["found"] == ["redis"]
    assert listed[0]["link"] == f"{PUBLIC_URL}/scan?scan={second['scan_id']}"

    shown = cli_json("scans", "show", first["scan_id"])
    for key in ("scan_id", "cluster_id", "namespaces", "scanned_at", "link", "infra_services", "errors"):
        assert shown[key] == first[key], key

    human = cli("scans", "show", first["scan_id"]).stdout
    assert f"link: {PUBLIC_URL}/scan?scan={first['scan_id']}" in human
    assert "redis" in human and "redis-commander" not in human
    listing = cli("scans", "list").stdout
    assert first["scan_id"] in listing and second["scan_id"] in listing


def test_human_scan_output_has_table_changes_and_link(cluster: str, workloads: str) -> None:
    done = cli("scan", cluster)
    out = done.stdout
    assert "TYPE" in out and "redis" in out and "1 ready" in out
    assert "changed since the previous scan:" in out
    assert "link: " + PUBLIC_URL + "/scan?scan=" in out
    assert "[100%]" in done.stderr  # progress goes to stderr, not into the table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scans", "show", "AAAAAAAAAAAAAAAAAAAAAA"], "no stored scan with id 'AAAAAAAAAAAAAAAAAAAAAA'"),
        (["scans", "show", "../../etc"], "is malformed"),
        (["scan", "no-such-cluster"], "no cluster with id or name 'no-such-cluster'"),
        (["scans", "list", "no-such-cluster"], "no cluster with id or name"),
    ],
)
def test_failures_are_one_clear_line(cluster: str, args: list[str], message: str) -> None:
    for extra in ([], ["--json"]):
        done = cli(*args, *extra, check=False)
        assert done.returncode != 0
        if extra:  # stdout stays one JSON document: the error
            assert message in json.loads(done.stdout)["error"]["message"]
        else:
            assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ") and message in lines[0]
        assert "Traceback" not in done.stderr


def test_namespace_and_all_namespaces_together_is_refused(cluster: str) -> None:
    done = cli("scan", cluster, "-n", "a", "--all-namespaces", check=False)
    assert done.returncode != 0
    assert "either -n NAMESPACE or --all-namespaces" in done.stderr


def test_all_namespaces_through_the_cli(cluster: str, workloads: str) -> None:
    doc = cli_json("scan", cluster, "--all-namespaces")
    assert doc["all_namespaces"] is True and doc["namespace"] is None
    mine = [m for m in doc["infra_services"]["redis"]["matches"] if m["namespace"] == workloads]
    assert [m["service"] for m in mine] == ["redis"]


def test_scans_persist_in_the_data_dir(cluster: str, workloads: str, settings: Settings) -> None:
    doc = cli_json("scan", cluster)
    assert Path(settings.data_dir).is_dir()
    from core.store.store import Store

    store = Store.open(settings)
    try:
        stored = store.get_scan(doc["scan_id"])
    finally:
        store.close()
    assert [(m.infra_type, m.service) for m in stored.matches] == [("redis", "redis")]


def test_the_scan_table_leads_with_readiness_and_the_connection_string(cluster: str, workloads: str) -> None:
    """For people, the connection string (the value they copy) is a column, not the long reason."""
    out = cli("scan", cluster).stdout
    header = next(line for line in out.splitlines() if line.lower().startswith("type"))
    assert header.lower().split()[:5] == ["type", "service", "namespace", "ready", "connection"]
    assert "reason" not in header.lower()
    row = next(line for line in out.splitlines() if line.startswith("redis "))
    assert f"redis://redis.{workloads}.svc.cluster.local:6379" in row


def test_clusters_add_without_a_name_takes_the_contexts_and_warns_of_a_second_one(
    settings: Settings, admin_kubeconfig: str
) -> None:
    added = cli_json("clusters", "add", "--kubeconfig", admin_kubeconfig)
    assert added["name"] == "ushadow-local"
    done = cli("clusters", "add", "again", "--kubeconfig", admin_kubeconfig)
    assert "'ushadow-local' already reaches" in done.stderr, done.stderr
    from core.store.store import Store

    store = Store.open(settings)
    try:  # recorded as the OS user who ran the command, as every CLI change is
        actors = {e.actor for e in store.list_audit(limit=20) if e.action == "cluster.add"}
    finally:
        store.close()
    assert len(actors) == 1 and actors.pop().startswith("cli:"), actors
