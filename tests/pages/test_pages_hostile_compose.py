"""Hostile compose files on the pages: ``x-ushadow`` metadata is shown as plain text (a planted
link stays text), a registry holding an alias bomb still shows its other files, and the Deploy
page's review panel never quotes a secret value (against the local control plane)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import register
from tests.support.pagekit import open_page, plain
from tests.support.paths import FIXTURES

LINK = "https://evil.example/login"
PLANTED = f"""
x-ushadow:
  web:
      display_name: "[Sign in again]({LINK}) <a href='{LINK}'>here</a>"
      description: "Visit {LINK} or www.evil.example, or write to admin@evil.example ![x]({LINK})"
services:
  web:
    image: nginx:1.27
"""
BOMB = (
    "x-bomb:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 7))
    + "kind: *a6\n"
)


def shown_markdown(at: AppTest) -> list[str]:
    """The Markdown source of every heading, text and caption on the page."""
    return [e.value for kind in (at.subheader, at.markdown, at.caption) for e in kind]


def links_in(markdown: str) -> list[str]:
    """What would become a link: ``[text](url)``, an HTML anchor, or a bare URL or address."""
    found = []
    if "](" in markdown.replace("\\](", "") or "<a " in markdown.replace("\\<a ", ""):
        found.append("markdown or HTML link")
    for bare in (LINK, "www.evil.example", "admin@evil.example"):
        if bare in markdown:
            found.append(bare)
    return found


@pytest.fixture
def registry(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "planted.yaml").write_text(PLANTED)
    (folder / "bomb.yaml").write_text(BOMB)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(folder))
    return folder


def test_compose_metadata_is_plain_text_on_the_services_page(registry: Path) -> None:
    at = open_page("services", service="planted:web")
    assert not at.exception, at.exception
    heading = next(e.value for e in at.subheader if "Sign in again" in plain(e.value))
    assert links_in(heading) == [], heading
    described = [m for m in shown_markdown(at) if "Visit" in m]
    assert described and all(links_in(m) == [] for m in described), described
    assert "Sign in again" in plain(heading).replace("\u2060", "")  # still readable as written


def test_an_alias_bomb_leaves_the_rest_of_the_registry_on_the_page(registry: Path) -> None:
    at = open_page("services")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert "planted:web" in set(table["id"]) and "bomb:*" in set(table["id"])
    assert any("aliases expand" in str(e) for e in table["error"])


@pytest.mark.cluster
def test_the_deploy_page_shows_metadata_as_text_and_masks_secret_values(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    admin_kubeconfig: str,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "markers"
    shutil.copytree(FIXTURES / "secret_markers", folder)
    (folder / "planted.yaml").write_text(PLANTED)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(folder))
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    cluster_id = store.get_cluster("local").cluster_id
    markers = ["mkuser-Secret-4711", "/srv/mk-path-Secret-4712", "mk-env-Secret-4713"]

    at = open_page(
        "deploy", timeout=120, cluster=cluster_id, namespace=namespace, service="markers-compose:app"
    )
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any("is a name" in plain(w) for w in warnings), warnings  # the review panel's warnings are there
    everything = [*shown_markdown(at), *warnings, *(e.value for e in at.error), *(c.value for c in at.code)]
    assert [m for m in markers if any(m in plain(text) for text in everything)] == []

    at = open_page("deploy", timeout=120, cluster=cluster_id, namespace=namespace, service="planted:web")
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption if "Sign in again" in plain(c.value)]
    assert captions and all(links_in(c) == [] for c in captions), captions
