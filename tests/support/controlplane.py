"""The control-plane fixtures: one real local control plane per session, and a fresh namespace per test.

Defined once here and imported by both ``tests/conftest.py`` and ``conformance/conftest.py``, so
the test suite and the conformance suite start the control plane the same way. The control plane
is the project's own (``core.localcluster``): etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok fake nodes on 127.0.0.1, started in a private directory and always stopped
at the end of the session.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from core.localcluster.binaries import ensure_binaries
from core.localcluster.running import ClusterState, LocalCluster


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterState]:
    bin_dir = os.environ.get("USHADOW_K8S_BIN_DIR")
    tools = ensure_binaries(Path(bin_dir) if bin_dir else None)
    lc = LocalCluster(tmp_path_factory.mktemp("control-plane") / "local-cluster")
    state, _ = lc.up(tools)
    try:
        yield state
    finally:
        lc.down()


@pytest.fixture(scope="session")
def admin_kubeconfig(local_cluster: ClusterState) -> str:
    return str(local_cluster.kubeconfig)


@pytest.fixture(scope="session")
def kube_api(admin_kubeconfig: str) -> Iterator[client.ApiClient]:
    """An admin API client with its own Configuration (never the library's global one)."""
    api = config.new_client_from_config(config_file=admin_kubeconfig, persist_config=False)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def namespace(kube_api: client.ApiClient) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (as kr8s's tests do)."""
    name = f"t-{secrets.token_hex(4)}"
    core = client.CoreV1Api(kube_api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)), _request_timeout=10)
    try:
        yield name
    finally:
        core.delete_namespace(name, _request_timeout=10)
