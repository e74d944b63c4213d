"""The pages' shared helpers under ``AppTest``: a link naming a cluster by name or by id (the URL
state of ``core.views.urlstate``), a malformed link parameter said and ignored, and the one
``KEY=VALUE`` rule in the Deploy page's environment boxes (lines named by number, never echoed).
"""

from __future__ import annotations

import pytest

from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY
from tests.support.pagekit import open_page, plain, texts


@pytest.fixture(autouse=True)
def shop_registry(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy fixtures as the compose registry (set after ``settings``, which empties it)."""
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(REGISTRY))


def stored_cluster(store: Store, name: str) -> str:
    """A cluster in the store only (nothing listens at its address; these pages do not ask it)."""
    return store.add_cluster(
        name=name, context="c", server="https://127.0.0.1:1", namespace="ushadow", labels={},
        credential=b"{}", status="unreachable", version=None, node_count=None, error="refused",
    ).cluster_id  # fmt: skip


@pytest.mark.parametrize("page", ["clusters", "deploy", "scan"])
def test_a_link_may_name_the_cluster_by_its_name(store: Store, page: str) -> None:
    stored_cluster(store, "alpha")  # first in the list: what a page picks without a link
    beta = stored_cluster(store, "beta")
    at = open_page(page, cluster="beta")
    assert not at.exception, at.exception
    assert not any("not registered" in t for t in texts(at))
    [picker] = [s for s in at.selectbox if s.label == "Cluster"]
    assert picker.value == beta
    assert at.query_params["cluster"] == beta, "the URL then holds the id, which a rename keeps"


def test_a_malformed_cluster_in_the_link_is_said_and_ignored(store: Store) -> None:
    first = stored_cluster(store, "alpha")
    at = open_page("deploy", cluster="no such/cluster", namespace="Not_Valid")
    assert not at.exception, at.exception
    warnings = [plain(w.value) for w in at.warning]
    assert any("neither a cluster name nor a cluster id" in w and "What to try" in w for w in warnings)
    assert any("'Not_Valid' is not a valid Kubernetes namespace name" in w for w in warnings)
    assert at.selectbox(key="deploy_cluster").value == first
    assert at.selectbox(key=f"deploy_namespace_{first}").value == "ushadow"


def test_the_deploy_pages_extra_environment_reads_key_value_by_the_one_rule(store: Store) -> None:
    stored_cluster(store, "alpha")
    at = open_page("deploy", service="shop:shop-api")
    [extra] = [t for t in at.text_area if t.label.startswith("More environment")]
    extra.set_value('# a comment\n\nEXTRA_ONE="quoted value"\nsk-typed-123456\nEXTRA_TWO=a=b\n9X=1').run()
    assert not at.exception, at.exception
    problems = [plain(e.value) for e in at.error]
    assert len(problems) == 2, problems
    assert "in More environment, line 4 has no `=`" in problems[0]
    assert "What to try:** write one KEY=VALUE per line" in problems[0]
    assert "line 6: the name before `=` is not a variable name" in problems[1]
    assert not any("sk-typed-123456" in t for t in problems)
    rows = at.dataframe[0].value.set_index("variable")
    assert rows.loc["EXTRA_ONE", "value"] == "quoted value"
    assert rows.loc["EXTRA_TWO", "value"] == "a=b"


def test_a_bad_line_in_the_group_environment_holds_the_group_deploy_back(store: Store) -> None:
    stored_cluster(store, "alpha")
    at = open_page("deploy", service="shop:shop-api")
    [group] = [t for t in at.text_area if t.label.startswith("Environment for every service")]
    group.set_value("SHOP_API_KEY sk-typed-654321").run()
    assert not at.exception, at.exception
    [problem] = [plain(e.value) for e in at.error]
    assert "line 1 has no `=`" in problem and "sk-typed" not in problem
    assert not [b for b in at.button if b.key == "deploy_group_go"]
