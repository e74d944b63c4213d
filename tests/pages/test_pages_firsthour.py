"""Issue 13 ("the first hour") on the pages, under ``AppTest``: pages open on a usable cluster (the
one last used in this session, else a connected one), ...
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from core.store.store import Store
from pages._ui.navigation import page_file
from tests.support.deploykit import REGISTRY
from tests.support.pagekit import open_page

NOTES = Path(__file__).resolve().parents[2] / "compose" / "notes-compose.yaml"


@pytest.fixture(autouse=True)
def shop_registry(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy fixtures as the compose registry (set after ``settings``, which empties it)."""
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(REGISTRY))


def stored_cluster(store: Store, name: str, status: str) -> str:
    """A cluster in the store only (nothing listens at its address; these pages do not ask it)."""
    return store.add_cluster(
        name=name, context="c", server="https://127.0.0.1:1", namespace="ushadow", labels={},
        credential=b"{}", status=status, version=None, node_count=None, error=None,
    ).cluster_id  # fmt: skip


@pytest.mark.parametrize(("page", "key"), [("deploy", "deploy_cluster"), ("scan", "scan_cluster")])
def test_a_page_without_a_link_opens_on_a_connected_cluster_not_the_first_dead_one(
    store: Store, page: str, key: str
) -> None:
    stored_cluster(store, "alpha", "unreachable")  # first alphabetically
    beta = stored_cluster(store, "beta", "connected")
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.selectbox(key=key).value == beta


def test_the_next_page_opens_on_the_cluster_last_used_in_this_session(store: Store) -> None:
    stored_cluster(store, "alpha", "unreachable")
    stored_cluster(store, "beta", "connected")
    gamma = stored_cluster(store, "gamma", "connected")
    at = open_page("deploy", cluster="gamma")
    assert at.selectbox(key="deploy_cluster").value == gamma
    at.query_params.clear()
    at.switch_page(page_file("scan")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="scan_cluster").value == gamma, "the last used, before the first connected"


def test_the_deploy_caption_names_the_image_after_a_typed_tag(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(NOTES, tmp_path / NOTES.name)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(tmp_path))
    stored_cluster(store, "alpha", "connected")
    at = open_page("deploy", service="notes-compose:notes-api")
    assert not at.exception, at.exception
    assert any("demo-notes-api:1.2.0" in c.value for c in at.caption)
    [extra] = [t for t in at.text_area if t.label.startswith("More environment")]
    extra.set_value("NOTES_VERSION=missing").run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any("demo-notes-api:missing" in c for c in captions), captions
    assert not any("demo-notes-api:1.2.0" in c for c in captions)


def test_dry_runs_are_not_listed_among_the_deployments_unless_asked(store: Store) -> None:
    cid = stored_cluster(store, "alpha", "connected")
    for name, dry in (("shop-api", False), ("shop-web", True)):
        store.record_deployment(
            cluster_id=cid, namespace="ushadow", service_id=f"shop:{name}", name=name, manifests="",
            resources=[], status="succeeded", message=None, dry_run=dry, actor="local",
        )  # fmt: skip
    at = open_page("deploy", cluster="alpha")
    assert not at.exception, at.exception
    [records] = [d.value for d in at.dataframe if "dry run" in d.value.columns]
    assert list(records["name"]) == ["shop-api"]
    assert list(records["by"]) == ["someone (no sign-in)"]
    at.toggle(key="deploy_records_dry").set_value(True).run()
    [records] = [d.value for d in at.dataframe if "dry run" in d.value.columns]
    assert sorted(records["name"]) == ["shop-api", "shop-web"]
