"""Shared fixtures: a real local control plane (once per session), fresh namespaces, and stores.

The control plane is the project's own (``core.localcluster``): etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok fake nodes on 127.0.0.1. It is started once per
test session in a private directory and always stopped at the end.
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
from core.settings import Settings
from core.store.store import Store
from tests.support import paths

REPO = paths.REPO
CORPUS = paths.REPO.parent / "shared" / "corpus"
FIXTURES = paths.FIXTURES


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


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A private PostgreSQL server for the whole session (see tests/postgres.py)."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each persistence test runs twice: on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'ushadow.db'}"
    from tests.support.postgres import fresh_database

    return fresh_database(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with a private data dir (SQLite there) and no ambient USHADOW_* variables."""
    for key in list(os.environ):
        if key.startswith("USHADOW_") and key != "USHADOW_K8S_BIN_DIR":
            monkeypatch.delenv(key, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("USHADOW_DATA_DIR", str(data))
    db_url = os.environ.get("USHADOW_TEST_DATABASE_URL")
    if db_url:
        monkeypatch.setenv("USHADOW_DATABASE_URL", db_url)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(tmp_path / "compose"))
    return Settings.load()


@pytest.fixture(autouse=True)
def fresh_streamlit_caches() -> Iterator[None]:
    """Cached settings and stores belong to one test's data dir: never let them leak between tests."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings)
    try:
        yield opened
    finally:
        opened.close()
