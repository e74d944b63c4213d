"""Every page of the dashboard under ``AppTest``: a smoke test over all pages, and the Clusters flows
against the real local control plane (paste-add, a bad kubeconfig, re-check one and all, remove).
"""

from __future__ import annotations

import base64
import socket
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from core.store.store import Store
from pages._ui.navigation import page_file
from tests.support.pagekit import AUTH, open_page, plain, texts
from tests.support.paths import REPO

ROOT = REPO
PAGES = {
    "home": "ushadow ops",
    "clusters": "Clusters",
    "scan": "Scan",
    "services": "Services",
    "deploy": "Deploy",
    "workloads": "Workloads",
    "fleet": "Fleet",
    "tokens": "API tokens",
}


def wire_bytes(node: object) -> bytes:
    """Everything a browser would receive for ``node`` and below (protobuf bytes)."""
    proto = getattr(node, "proto", None)
    data = proto.SerializeToString() if proto is not None else b""
    for child in getattr(node, "children", {}).values():
        data += wire_bytes(child)
    return data


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(settings: Settings, page: str) -> None:
    at = open_page(page)
    assert not at.exception
    assert [t.value for t in at.title] == [PAGES[page]]
    assert not at.error, [e.value for e in at.error]


def test_dashboard_py_itself_runs_home(settings: Settings) -> None:
    """Started on dashboard.py (the first run of a fresh server looks like this), Home still renders."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["ushadow ops"]


def test_a_fresh_server_opened_on_a_page_link_still_uses_the_navigation(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With pages/ beside dashboard.py, a server's first run would run a page file directly (every
    file in pages/ a page, no frame) until st.navigation runs once; pages/_ui switches that off
    when a process first imports it."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    for name in [m for m in sys.modules if m == "pages._ui" or m.startswith("pages._ui.")]:
        monkeypatch.delitem(sys.modules, name)  # as in a process that has not imported them yet
    at.switch_page(page_file("clusters")).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Clusters"]
    # AppTest keeps what the last run registered: our eight pages (home at /home, the root a step on
    # to it), not a page per file in pages/ (which would include "ui" and "dashboard")
    registered = {info.get("url_pathname") for info in at._registered_pages.values()}
    assert registered == {"", *PAGES}


def test_home_says_what_to_do_first_and_that_it_is_open(settings: Settings) -> None:
    at = open_page("home")
    banner = " ".join(w.value for w in at.warning)
    assert "open to anyone who can reach it" in banner
    assert "127.0.0.1" in banner
    steps = [m.value for m in at.markdown]
    assert ":blue[:material/arrow_circle_right:] Add a cluster from its kubeconfig" in steps
    assert [m.value for m in at.metric] == ["0", "0", "0"]


def test_home_drops_the_open_banner_for_a_logged_in_user(settings: Settings) -> None:
    at = open_page("home", secrets={"auth": AUTH}, user={"is_logged_in": True, "email": "ops@example.com"})
    assert not at.exception
    assert not any("open to anyone" in t for t in texts(at))
    assert any("ops@example.com (operator)" in c.value for c in at.caption)


@pytest.mark.parametrize("page", ["home", "clusters", "scan", "services", "deploy", "workloads", "tokens"])
def test_with_auth_every_page_needs_a_signed_in_user(settings: Settings, page: str) -> None:
    at = open_page(page, secrets={"auth": AUTH}, user={"is_logged_in": False})
    assert any("Sign in to use this dashboard" in t for t in texts(at))
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe


def test_users_outside_the_allowlist_are_turned_away(settings: Settings) -> None:
    secrets = {"auth": AUTH, "USHADOW_AUTH_ALLOW": "@example.com"}
    at = open_page("clusters", secrets=secrets, user={"is_logged_in": True, "email": "eve@evil.org"})
    assert any("may not use this dashboard" in t for t in texts(at))
    assert not at.dataframe


def test_read_only_users_see_clusters_but_cannot_remove_them(settings: Settings, store: Store) -> None:
    cluster = store.add_cluster(
        name="prod", context="c", server="https://127.0.0.1:1", namespace="ushadow", labels={},
        credential=b"{}", status="unreachable", version=None, node_count=None, error="refused",
    )  # fmt: skip
    secrets = {"auth": AUTH, "USHADOW_AUTH_READONLY": "viewer@example.com"}
    user = {"is_logged_in": True, "email": "viewer@example.com"}
    at = open_page("clusters", secrets=secrets, user=user, cluster=cluster.cluster_id)
    assert at.dataframe, "a viewer still sees the clusters"
    assert any("(read-only)" in c.value for c in at.caption)
    at.button(key="clusters_remove_start").click().run()
    at.text_input(key="clusters_remove_name").input("prod").run()
    at.button(key="clusters_remove_confirm").click().run()
    assert any("read-only access and may not cluster remove" in t for t in texts(at))
    assert [c.name for c in store.list_clusters()] == ["prod"]


def test_settings_in_secrets_win_over_the_environment(settings: Settings) -> None:
    at = open_page("clusters", secrets={"USHADOW_REQUEST_TIMEOUT": "soon"})
    assert not at.exception
    [error] = texts(at)
    assert error.startswith(
        "**Invalid input:** USHADOW_REQUEST_TIMEOUT must be a number of seconds, not 'soon'"
    )


def test_home_moves_on_to_scanning_once_a_cluster_exists(settings: Settings, store: Store) -> None:
    store.add_cluster(
        name="one",
        context="c",
        server="https://127.0.0.1:1",
        namespace="ushadow",
        labels={},
        credential=b"{}",
        status="unreachable",
        version=None,
        node_count=None,
        error="connection refused",
    )
    at = open_page("home")
    steps = [m.value for m in at.markdown]
    assert ":green[:material/check_circle:] Add a cluster from its kubeconfig" in steps
    assert ":blue[:material/arrow_circle_right:] Scan a cluster for its databases and queues" in steps
    assert any("did not answer" in w.value and "one" in w.value for w in at.warning)


def test_clusters_link_to_an_unknown_cluster_says_so(settings: Settings, store: Store) -> None:
    store.add_cluster(
        name="one",
        context="c",
        server="https://127.0.0.1:1",
        namespace="ushadow",
        labels={"env": "dev"},
        credential=b"{}",
        status="error",
        version=None,
        node_count=None,
        error="boom",
    )
    at = open_page("clusters", cluster="not-a-cluster-id")
    assert not at.exception
    assert any("not registered" in w for w in texts(at))
    table = at.dataframe[0].value
    assert list(table["name"]) == ["one"]
    assert list(table["status"]) == ["● error"]
    assert list(table["latest_scan"]) == ["not scanned yet"]


def test_a_broken_database_url_is_an_error_message_not_a_traceback(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USHADOW_DATABASE_URL", "not a url")
    at = open_page("clusters")
    assert not at.exception
    assert len(at.error) == 1
    assert "USHADOW_DATABASE_URL is not a database URL" in plain(at.error[0].value)


# -- the Clusters page against the real control plane ----------------------------------------------


def paste(at: AppTest, kubeconfig: str, name: str, **fields: str | bool) -> AppTest:
    at.radio(key="clusters_add_source").set_value("Paste YAML").run()
    nonce = at.session_state["clusters_add_nonce"]
    at.text_area(key=f"clusters_add_yaml_{nonce}").set_value(kubeconfig)
    at.text_input(key=f"clusters_add_name_{nonce}").set_value(name)
    for field, value in fields.items():
        if isinstance(value, bool):
            at.checkbox(key=f"clusters_add_{field}_{nonce}").set_value(value)
        else:
            at.text_input(key=f"clusters_add_{field}_{nonce}").set_value(value)
    at.run()
    at.button(key="clusters_add_submit").click()
    return at.run()


def row(at: AppTest, name: str) -> dict[str, object]:
    table = at.dataframe[0].value
    rows: list[dict[str, object]] = table[table["name"] == name].to_dict("records")
    assert len(rows) == 1, table
    return rows[0]


def closed_port_kubeconfig(text: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    doc = yaml.safe_load(text)
    for entry in doc["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{port}"
    return yaml.safe_dump(doc)


@pytest.fixture
def server_version(kube_api: client.ApiClient) -> str:
    return str(client.VersionApi(kube_api).get_code(_request_timeout=10).git_version)


@pytest.mark.cluster
def test_paste_add_shows_the_cluster_connected_and_never_its_key(
    settings: Settings, store: Store, admin_kubeconfig: str, server_version: str
) -> None:
    text = Path(admin_kubeconfig).read_text()
    user = yaml.safe_load(text)["users"][0]["user"]
    secrets = [v for k, v in user.items() if k in {"client-key-data", "token", "password"}]
    assert secrets, "the admin kubeconfig should carry key material"
    secrets += [line for s in secrets for line in base64.b64decode(s).decode().splitlines()[1:-1]]

    at = open_page("clusters")
    at = paste(at, text, "local", labels="env=test, team=ops")
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    added = row(at, "local")
    assert added["status"] == "● connected"
    assert added["version"] == server_version
    assert int(str(added["nodes"])) >= 2
    assert added["namespace"] == "ushadow"
    assert str(added["server"]).startswith("https://127.0.0.1:")
    assert added["labels"] == "env=test, team=ops"  # labels show in the table
    assert added["last_checked"] == "0s ago" or str(added["last_checked"]).endswith("s ago")
    assert any(f"Added cluster local. It is connected: {server_version}" in s.value for s in at.success)
    [cluster] = store.list_clusters()
    assert cluster.labels == {"env": "test", "team": "ops"}
    assert added["scan"] == f"scan?cluster={cluster.cluster_id}"
    assert at.query_params["cluster"] == cluster.cluster_id

    wire = wire_bytes(at._tree) + repr(at.session_state.to_dict()).encode()
    assert str(added["server"]).encode() in wire  # the search does see what the page shows
    for secret in secrets:
        assert secret.encode() not in wire
    # the pasted YAML is gone from the page once the cluster is stored
    nonce = at.session_state["clusters_add_nonce"]
    assert at.text_area(key=f"clusters_add_yaml_{nonce}").value == ""


@pytest.mark.cluster
def test_an_empty_name_takes_the_contexts_and_a_second_add_names_the_first(
    settings: Settings, store: Store, admin_kubeconfig: str
) -> None:
    text = Path(admin_kubeconfig).read_text()
    at = paste(open_page("clusters"), text, "")
    assert not at.error, [e.value for e in at.error]
    assert row(at, "ushadow-local")["status"] == "● connected"
    at = paste(at, text, "again")
    assert not at.error, [e.value for e in at.error]
    said = " ".join(s.value for s in [*at.success, *at.warning])
    assert "'ushadow-local' already reaches" in said, said


@pytest.mark.cluster
def test_malformed_yaml_names_the_line_and_stores_nothing(settings: Settings, store: Store) -> None:
    bad = "apiVersion: v1\nkind: Config\nclusters:\n  - name: a\n   cluster: {server: x}\n"
    at = paste(open_page("clusters"), bad, "broken")
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Invalid input" in message and "line 5" in message
    assert "What to try" in message
    assert store.list_clusters() == []
    assert not at.dataframe


@pytest.mark.cluster
def test_unreachable_needs_the_checkbox_and_then_shows_orange(
    settings: Settings, store: Store, admin_kubeconfig: str
) -> None:
    dead = closed_port_kubeconfig(Path(admin_kubeconfig).read_text())
    at = paste(open_page("clusters"), dead, "gone")
    assert len(at.error) == 1 and "Cluster unreachable" in at.error[0].value
    assert "nothing was saved" in at.error[0].value
    assert "Save even if it cannot connect now" in at.error[0].value  # the way out, named
    assert store.list_clusters() == []

    nonce = at.session_state["clusters_add_nonce"]
    at.checkbox(key=f"clusters_add_save_anyway_{nonce}").set_value(True)
    at.button(key="clusters_add_submit").click().run()
    assert not at.error
    assert row(at, "gone")["status"] == "● unreachable"
    assert any("Saved cluster gone, but it is unreachable" in w.value for w in at.warning)


@pytest.mark.cluster
def test_recheck_one_and_all(settings: Settings, store: Store, admin_kubeconfig: str) -> None:
    text = Path(admin_kubeconfig).read_text()
    at = paste(open_page("clusters"), text, "first")
    at = paste(at, text, "second")
    assert {row(at, n)["status"] for n in ("first", "second")} == {"● connected"}
    # Make both look broken in the store (a state the real server cannot be asked to produce).
    for c in store.list_clusters():
        store.update_cluster_status(
            c.cluster_id, status="error", version=None, node_count=None, error="stale"
        )
    at.run()
    assert {row(at, n)["status"] for n in ("first", "second")} == {"● error"}

    second = store.get_cluster("second")
    at.selectbox(key="clusters_selected").set_value(second.cluster_id).run()
    at.button(key="clusters_recheck_one").click().run()
    assert not at.exception
    assert row(at, "second")["status"] == "● connected"
    assert row(at, "first")["status"] == "● error"
    assert any("second is connected" in s.value for s in at.success)

    at.button(key="clusters_recheck_all").click().run()
    assert not at.exception
    assert {row(at, n)["status"] for n in ("first", "second")} == {"● connected"}
    assert any("Checked 2: 2 connected" in s.value for s in at.success)
    assert {c.error for c in store.list_clusters()} == {None}


@pytest.mark.cluster
def test_remove_asks_for_the_name_first(settings: Settings, store: Store, admin_kubeconfig: str) -> None:
    at = paste(open_page("clusters"), Path(admin_kubeconfig).read_text(), "doomed")
    assert row(at, "doomed")["status"] == "● connected"

    at.button(key="clusters_remove_start").click().run()
    at.text_input(key="clusters_remove_name").set_value("wrong")
    at.button(key="clusters_remove_confirm").click().run()
    assert any("not the name of this cluster" in e.value for e in at.error)
    assert [c.name for c in store.list_clusters()] == ["doomed"]

    at.text_input(key="clusters_remove_name").set_value("doomed")
    at.button(key="clusters_remove_confirm").click().run()
    assert not at.exception
    assert store.list_clusters() == []
    assert not at.dataframe
    assert any("Removed doomed" in s.value for s in at.success)
    assert "cluster" not in at.query_params
