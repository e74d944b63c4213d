"""Shared fixtures: a real local control plane (once per session), fresh namespaces, and stores.

The control-plane fixtures (``local_cluster``, ``admin_kubeconfig``, ``kube_api``, ``namespace``)
are defined in ``tests/support/controlplane.py``, which the conformance suite (``conformance/``)
imports too; importing them here makes them available to every test under ``tests/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from core.store.store import Store
from tests.support.controlplane import admin_kubeconfig, kube_api, local_cluster, namespace

__all__ = ["admin_kubeconfig", "kube_api", "local_cluster", "namespace"]  # fixtures, found here by pytest


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A private PostgreSQL server for the whole session (see tests/postgres.py)."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real Docker Engine API (podman's service on its own socket and storage) for the session."""
    from tests.support.dockerengine import docker_engine as engine

    with engine(tmp_path_factory.mktemp("podman")) as started:
        yield started


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
