"""Helpers for the deploy and day-2 tests against the local control plane (shared by
tests/test_deploying.py, tests/test_operating.py, tests/test_cli_operate.py and
tests/test_pages_operate.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kubernetes import client

from core.clusters import registering as clusters
from core.settings import Settings
from core.store.store import Store
from tests.support.kubeconfig_factory import service_account_token, with_token
from tests.support.paths import FIXTURES

REGISTRY = FIXTURES / "deploy"
T = TypeVar("T")


def register(
    store: Store, settings: Settings, kubeconfig_text: str, namespace: str, name: str = "local"
) -> str:
    """Store a cluster whose default namespace is the test's namespace; its name."""
    clusters.add_cluster(store, settings, name=name, kubeconfig=kubeconfig_text, namespace=namespace)
    return name


def read_only_kubeconfig(kube_api: client.ApiClient, admin_kubeconfig: str, namespace: str) -> str:
    """A kubeconfig whose ServiceAccount may get, list and watch everything in ``namespace``, and
    change nothing (a token from the TokenRequest API)."""
    rules = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]
    token = service_account_token(kube_api, namespace, "viewer", rules)
    return with_token(Path(admin_kubeconfig).read_text(), token)


def eventually(probe: Callable[[], T | None], what: str, *, timeout: float = 60.0) -> T:
    """Poll ``probe`` until it returns something (a precondition of a test, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.5)


def object_names(kube_api: client.ApiClient, namespace: str) -> dict[str, list[str]]:
    """Names of the objects a deploy makes, by kind (for 'changes nothing' / 'removes' checks)."""
    core = client.CoreV1Api(kube_api)
    apps = client.AppsV1Api(kube_api)
    lists: dict[str, Any] = {
        "Deployment": apps.list_namespaced_deployment,
        "StatefulSet": apps.list_namespaced_stateful_set,
        "Service": core.list_namespaced_service,
        "ConfigMap": core.list_namespaced_config_map,
        "Secret": core.list_namespaced_secret,
        "PersistentVolumeClaim": core.list_namespaced_persistent_volume_claim,
    }
    out = {}
    for kind, fn in lists.items():
        items = fn(namespace, _request_timeout=10).items
        out[kind] = sorted(
            i.metadata.name
            for i in items
            if i.metadata.name != "kube-root-ca.crt" and not i.metadata.deletion_timestamp
        )
    return out
