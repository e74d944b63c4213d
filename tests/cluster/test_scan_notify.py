"""A scan that finds a change POSTs it to ``USHADOW_NOTIFY_URL`` (an HTTP server this test starts on
127.0.0.1), an unchanged one is stored as a reference and posts nothing, and a failing webhook is a
warning, never a failed scan (the real local control plane, through the real command line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from core.cli import main as cli
from core.clusters import registering as ops
from core.settings import Settings
from core.store.store import Store
from tests.support.webhook import Hook, webhook
from tests.support.workloads import svc

pytestmark = pytest.mark.cluster
T = 10


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    with webhook("/hooks/s3cr3t-token") as running:
        yield running


def _scan(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    code = cli(["scan", "--all-clusters", "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def test_a_change_is_posted_once_and_a_failing_webhook_is_a_warning(
    store: Store,
    settings: Settings,
    admin_kubeconfig: str,
    kube_api: client.ApiClient,
    namespace: str,
    hook: tuple[Hook, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received, url = hook
    monkeypatch.setenv("USHADOW_NOTIFY_URL", url)
    monkeypatch.setenv("USHADOW_PUBLIC_URL", "https://ops.example.com")
    ops.add_cluster(
        store, settings, name="one", kubeconfig=Path(admin_kubeconfig).read_text(), namespace=namespace
    )
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_service(
        namespace, svc("redis", [{"name": "redis", "port": 6379}]), _request_timeout=T
    )

    code, [first], err = _scan(capsys)
    assert code == 0, err
    assert received.bodies == []  # the first scan of a target has nothing to compare with

    code, [same], err = _scan(capsys)
    assert code == 0 and received.bodies == []  # nothing changed: nothing sent
    assert same["changes"]["unchanged"]
    [listed] = [s for s in store.list_scan_summaries("one") if s.scan_id == same["scan_id"]]
    assert listed.same_as == first["scan_id"]  # stored as a reference, read back whole
    assert same["infra_services"]["redis"]["found"]

    core.create_namespaced_service(
        namespace, svc("mongo", [{"name": "mongo", "port": 27017}]), _request_timeout=T
    )
    code, [changed], err = _scan(capsys)
    assert code == 0, err
    [body] = received.bodies
    assert body["event"] == "scan.changed"
    assert body["target"] == {"cluster_id": changed["cluster_id"], "cluster": "one",
                              "namespaces": [namespace], "all_namespaces": False}  # fmt: skip
    assert body["scan_id"] == changed["scan_id"] and body["previous_scan_id"] == same["scan_id"]
    assert body["link"] == changed["link"] and body["link"].startswith("https://ops.example.com")
    assert body["counts"]["added"] == 1 and body["counts"]["types_found"] == 1
    assert any(f"{namespace}/mongo added" in line for line in body["summary"])
    assert received.headers[0]["Content-Type"] == "application/json"

    received.status = 500  # the webhook fails: the scan is stored and succeeds, with a warning
    core.delete_namespaced_service("mongo", namespace, _request_timeout=T)
    code, [after], err = _scan(capsys)
    assert code == 0 and store.has_scan(after["scan_id"])
    assert len(received.bodies) == 2
    assert "webhook at http://127.0.0.1" in err and "HTTP 500" in err
    assert "s3cr3t-token" not in err  # the URL's path may hold a token: never printed
