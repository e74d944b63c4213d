"""The Scan page under ``AppTest``: a stored scan reopened from its link (no rescan), malformed and
unknown links, the URL following what is on show, a read-only user, and a real scan through the
page's button against the local control plane.
"""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kubernetes import client
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest, app_test

from core.catalog import load_catalog
from core.clusters.registering import add_cluster
from core.naming import new_id
from core.settings import Settings
from core.store.records import Cluster
from core.store.scans import Match, NamespaceError, ScanResult
from core.store.store import Store
from core.views.urlstate import scan_link
from tests.support.kubeconfig_factory import dump, kubeconfig
from tests.support.pagekit import AUTH, open_page, plain, texts
from tests.support.workloads import deployment, svc, wait_ready

PUBLIC_URL = "https://ops.example.com"
SECRETS = {"USHADOW_PUBLIC_URL": PUBLIC_URL}
T = 10


def add_row(store: Store, name: str = "prod", namespace: str = "shop") -> Cluster:
    """A registered cluster (no connection needed: these scans are stored, not run)."""
    return store.add_cluster(
        name=name, context="c", server="https://127.0.0.1:1", namespace=namespace, labels={},
        credential=b"{}", status="connected", version="v1.37.2", node_count=2, error=None,
    )  # fmt: skip


def redis(ready: int = 1) -> Match:
    endpoint = "redis.shop.svc.cluster.local:6379"
    return Match(
        infra_type="redis",
        service="redis",
        namespace="shop",
        service_type="ClusterIP",
        reason="pod image redis:7-alpine",
        ready_endpoints=ready,
        endpoints=[endpoint],
        connection_string=f"redis://{endpoint}",
        extra={"ready": ready > 0, "pending": False},
    )


def postgres() -> Match:
    return Match(
        infra_type="postgres",
        service="orders-db",
        namespace="shop",
        service_type="NodePort",
        reason="label app.kubernetes.io/name=postgresql",
        ready_endpoints=0,
        endpoints=["orders-db.shop.svc.cluster.local:5432", "10.0.0.7:30432"],
        connection_string="postgresql://orders-db.shop.svc.cluster.local:5432",
        extra={"ready": False, "pending": False},
    )


def save(
    store: Store,
    cluster: Cluster,
    matches: list[Match],
    *,
    minute: int,
    errors: list[NamespaceError] | None = None,
) -> ScanResult:
    return store.save_scan(
        ScanResult(
            scan_id=new_id(),
            cluster_id=cluster.cluster_id,
            namespaces=["shop"],
            scanned_at=datetime(2026, 1, 2, 10, minute, tzinfo=UTC),
            catalog=load_catalog().default_ports(),
            matches=matches,
            errors=errors or [],
            duration_ms=42,
            created_by="ops@example.com",
        )
    )


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one dataframe on the page with ``column`` (dataframes carry no key without selections)."""
    [found] = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain values (list cells come back from Arrow as numpy arrays)."""
    return [
        {
            k: v.tolist() if hasattr(v, "tolist") and not isinstance(v, (int, float, bool)) else v
            for k, v in r.items()
        }
        for r in frame.to_dict("records")
    ]


def has_table(at: AppTest, column: str) -> bool:
    return any(column in d.value.columns for d in at.dataframe)


class KeptStorage(MemoryMediaFileStorage):
    """AppTest's in-memory media storage, kept after the run so a download's bytes can be read."""

    last: KeptStorage | None = None

    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        KeptStorage.last = self


class KeptManager(MediaFileManager):
    """AppTest's media file manager, kept after the run: it holds the downloads built on click."""

    last: KeptManager | None = None

    def __init__(self, storage: MemoryMediaFileStorage) -> None:
        super().__init__(storage)
        KeptManager.last = self


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> type[KeptStorage]:
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptStorage)
    monkeypatch.setattr(app_test, "MediaFileManager", KeptManager)
    return KeptStorage


def downloaded(at: AppTest, key: str) -> str:
    """What a download button of the last run hands out when clicked (it is built only then)."""
    [button] = [b for b in at.get("download_button") if b.key == key]
    assert KeptStorage.last is not None and KeptManager.last is not None
    assert button.proto.deferred_file_id and not button.proto.url, "built on every run, not on click"
    url = KeptManager.last.execute_deferred(button.proto.deferred_file_id)
    return bytes(KeptStorage.last.get_file(url.rsplit("/", 1)[-1]).content).decode()


# -- a stored scan, reopened from its link ---------------------------------------------------------


def test_a_stored_scan_opens_from_its_link(
    settings: Settings, store: Store, media: type[KeptStorage]
) -> None:
    cluster = add_row(store)
    before = save(store, cluster, [redis()], minute=0)
    scan = save(
        store,
        cluster,
        [redis(), postgres()],
        minute=5,
        errors=[NamespaceError(namespace="vault", reason="forbidden: may not list services")],
    )
    at = open_page("scan", secrets=SECRETS, scan=scan.scan_id)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert store.count_scans() == 2, "opening a link never rescans"

    # what was scanned, when, by whom
    header = " ".join(plain(m.value) for m in at.markdown)
    assert "**Cluster** prod" in header and "**Namespaces** shop" in header
    assert "2026-01-02 10:05:00 UTC in 42 ms" in header and "**By** ops@example.com" in header

    # the shareable link, copyable
    link = f"{PUBLIC_URL}/scan?scan={scan.scan_id}"
    assert link == scan_link(PUBLIC_URL, scan.scan_id)
    assert link in [c.value for c in at.code]
    assert dict(at.query_params) == {"scan": scan.scan_id}, "the address bar is the link"

    # the matches, as stored
    matches = table(at, "connection string")
    assert records(matches) == [
        {
            "type": "redis",
            "service": "redis",
            "namespace": "shop",
            "service type": "ClusterIP",
            "endpoints": ["redis.shop.svc.cluster.local:6379"],
            "ready endpoints": 1,
            "readiness": "ready",
            "reason": "pod image redis:7-alpine",
            "connection string": "redis://redis.shop.svc.cluster.local:6379",
        },
        {
            "type": "postgres",
            "service": "orders-db",
            "namespace": "shop",
            "service type": "NodePort",
            "endpoints": ["orders-db.shop.svc.cluster.local:5432", "10.0.0.7:30432"],
            "ready endpoints": 0,
            "readiness": "not ready",
            "reason": "label app.kubernetes.io/name=postgresql",
            "connection string": "postgresql://orders-db.shop.svc.cluster.local:5432",
        },
    ]

    # the types found get a row each; the rest are folded into one "Not found" line
    summary = table(at, "main endpoint")
    assert len(summary) == 2
    rows = {r["type"]: r for r in records(summary)}
    assert list(summary["type"])[:2] == ["redis", "postgres"]
    assert rows["redis"]["found"] and rows["redis"]["readiness"] == "ready"
    assert rows["redis"]["main endpoint"] == "redis.shop.svc.cluster.local:6379"
    assert rows["postgres"]["readiness"] == "not ready" and rows["postgres"]["ready endpoints"] == 0
    [folded] = [c.value for c in at.caption if c.value.startswith("Not found:")]
    assert len(folded.split(", ")) == len(load_catalog().default_ports()) - 2 and "mongo" in folded

    # the namespace that could not be read
    assert any("1 namespace(s) could not be read" in w for w in texts(at))
    [errors] = [d.value for d in at.dataframe if list(d.value.columns) == ["namespace", "reason"]]
    assert errors.to_dict("records") == [{"namespace": "vault", "reason": "forbidden: may not list services"}]

    # what changed since the scan before it
    [diff] = [c.value for c in at.code if c.language == "diff"]
    assert diff.splitlines() == [
        "now found: postgres",
        "+ postgres: shop/orders-db added (orders-db.shop.svc.cluster.local:5432)",
        "namespace vault can no longer be read",
    ]
    assert any(f"scan?scan={before.scan_id}" in m.value for m in at.markdown)
    # the legend is no grey caption but coloured badges
    assert ":green-badge[+ new] :red-badge[- gone] :orange-badge[~ changed]" in [m.value for m in at.markdown]

    # the downloads: the CLI's JSON document, and the matches as CSV
    document = json.loads(downloaded(at, "scan_download_json"))
    assert document["scan_id"] == scan.scan_id and document["link"] == link
    assert document["cluster"] == "prod" and document["namespaces"] == ["shop"]
    assert document["infra_services"]["postgres"]["endpoints"] == postgres().endpoints
    assert document["infra_services"]["mongo"]["found"] is False
    assert document["changes"]["previous_scan_id"] == before.scan_id
    rows_csv = list(csv.DictReader(io.StringIO(downloaded(at, "scan_download_csv"))))
    assert [(r["service"], r["endpoints"]) for r in rows_csv] == [
        ("redis", "redis.shop.svc.cluster.local:6379"),
        ("orders-db", "orders-db.shop.svc.cluster.local:5432 10.0.0.7:30432"),
    ]

    # the history of the cluster, newest first, each with its own link
    history = table(at, "link")
    assert list(history["link"]) == [f"scan?scan={scan.scan_id}", f"scan?scan={before.scan_id}"]
    assert list(history["shown"]) == [True, False]
    assert [list(f) for f in history["found"]] == [["redis", "postgres"], ["redis"]]


def test_the_first_scan_has_nothing_to_compare(settings: Settings, store: Store) -> None:
    scan = save(store, add_row(store), [redis()], minute=0)
    at = open_page("scan", scan=scan.scan_id)
    assert not at.exception and not at.error
    assert any("first scan of these namespaces" in c.value for c in at.caption)
    assert not [c for c in at.code if c.language == "diff"]


@pytest.mark.parametrize(
    ("browser_url", "warned"),
    [("https://ops.example.com/scan", False), ("http://10.1.2.3:8501/scan", True), (None, False)],
)
def test_a_link_to_another_address_than_the_browser_uses_says_why(
    settings: Settings, store: Store, browser_url: str | None, warned: bool
) -> None:
    scan = save(store, add_row(store), [redis()], minute=0)
    at = open_page("scan", secrets=SECRETS, scan=scan.scan_id)
    at.context = {"url": browser_url}
    at.run()
    assert not at.exception and not at.error
    notes = [c.value for c in at.caption if "USHADOW_PUBLIC_URL" in c.value]
    assert len(notes) == warned
    if warned:
        assert "`https://ops.example.com`" in notes[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a scan id!", "is malformed: only letters, digits"),
        ("short", "is malformed: it has 5 characters"),
        ("A" * 22, "the link may be mistyped, or its cluster was removed"),
    ],
)
def test_a_bad_link_is_one_clear_error(settings: Settings, store: Store, value: str, expected: str) -> None:
    add_row(store)
    at = open_page("scan", scan=value)
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    message = plain(at.error[0].value)
    assert expected in message
    assert "What to try" in message
    assert not has_table(at, "connection string")
    assert at.button(key="scan_run").label == "Scan", "the page still works around the error"


def test_no_cluster_points_at_the_clusters_page(settings: Settings) -> None:
    at = open_page("scan")
    assert not at.exception and not at.error
    assert any("No clusters yet" in t for t in texts(at))
    assert [p.label for p in at.get("page_link")] == ["Clusters"]
    assert not at.button


def test_picking_another_cluster_leaves_the_scan(settings: Settings, store: Store) -> None:
    first, second = add_row(store, "first"), add_row(store, "second", namespace="web")
    scan = save(store, first, [redis()], minute=0)
    at = open_page("scan", scan=scan.scan_id)
    assert at.selectbox(key="scan_cluster").value == first.cluster_id
    assert at.multiselect(key=f"scan_namespaces_{first.cluster_id}").value == ["shop"]

    at.selectbox(key="scan_cluster").set_value(second.cluster_id).run()
    assert not at.exception
    assert at.query_params.get("cluster") == second.cluster_id
    assert "scan" not in at.query_params
    assert not has_table(at, "connection string")
    assert at.multiselect(key=f"scan_namespaces_{second.cluster_id}").value == ["web"]
    assert any("No scans of this cluster yet" in c.value for c in at.caption)


def test_a_cluster_link_preselects_the_cluster(settings: Settings, store: Store) -> None:
    add_row(store, "first")
    second = add_row(store, "second", namespace="web")
    at = open_page("scan", cluster=second.cluster_id)
    assert not at.exception and not at.error
    assert at.selectbox(key="scan_cluster").value == second.cluster_id
    assert at.multiselect(key=f"scan_namespaces_{second.cluster_id}").value == ["web"]
    assert at.query_params.get("cluster") == second.cluster_id


# -- who may scan ----------------------------------------------------------------------------------


def test_a_read_only_user_opens_links_but_cannot_scan(settings: Settings, store: Store) -> None:
    cluster = add_row(store)
    scan = save(store, cluster, [redis()], minute=0)
    secrets = {"auth": AUTH, "USHADOW_AUTH_READONLY": "viewer@example.com"}
    user = {"is_logged_in": True, "email": "viewer@example.com"}
    at = open_page("scan", secrets=secrets, user=user, scan=scan.scan_id)
    assert not at.exception and not at.error
    assert list(table(at, "connection string")["service"]) == ["redis"]
    button = at.button(key="scan_run")
    assert button.disabled
    assert any("read-only access" in c.value for c in at.caption)

    # A browser cannot press a disabled button (AppTest refuses to). A forged press, as a crafted
    # websocket message would send it, is discarded by Streamlit; and were it not, the page asks
    # core.access for the actor first (actor_for("scan") raises PermissionDenied for a viewer).
    button._value = True
    at.run()
    assert not at.exception and not at.error
    assert not at.status, "no scan started"
    assert store.count_scans() == 1
    assert at.query_params.get("scan") == scan.scan_id


# -- scanning through the page ---------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_cluster_is_named_in_the_error(settings: Settings, store: Store) -> None:
    dead = dump(kubeconfig(server=f"https://127.0.0.1:{closed_port()}"))
    added = add_cluster(
        store, settings, name="gone", kubeconfig=dead, namespace="shop", save_unreachable=True
    )
    at = open_page("scan", cluster=added.cluster.cluster_id)
    at.button(key="scan_run").click().run()
    assert not at.exception
    assert len(at.error) == 1
    message = plain(at.error[0].value)
    assert message.startswith("**Cluster unreachable:** cluster gone: cannot connect to `https://127.0.0.1:")
    assert "What to try" in message
    assert [s.label for s in at.status] == ["Scanning gone failed"]
    assert store.count_scans() == 0
    assert "scan" not in at.query_params


@pytest.fixture
def redis_running(kube_api: client.ApiClient, namespace: str) -> str:
    core, apps = client.CoreV1Api(kube_api), client.AppsV1Api(kube_api)
    apps.create_namespaced_deployment(
        namespace, deployment("redis", {"app": "redis"}, "redis:7-alpine", [6379]), _request_timeout=T
    )
    core.create_namespaced_service(
        namespace, svc("redis", [{"name": "redis", "port": 6379}], {"app": "redis"}), _request_timeout=T
    )
    wait_ready(kube_api, namespace, {"redis": 1})
    return namespace


@pytest.mark.cluster
def test_scan_through_the_page_stores_it_and_puts_it_in_the_url(
    settings: Settings, store: Store, admin_kubeconfig: str, redis_running: str
) -> None:
    ns = redis_running
    added = add_cluster(
        store, settings, name="local", kubeconfig=Path(admin_kubeconfig).read_text(), namespace=ns
    )
    cluster_id = added.cluster.cluster_id
    at = open_page("scan", secrets=SECRETS, cluster=cluster_id)
    assert not at.exception and not at.error
    assert at.multiselect(key=f"scan_namespaces_{cluster_id}").value == [ns]
    assert not at.checkbox(key=f"scan_all_{cluster_id}").value

    at.button(key="scan_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    [stored] = store.list_scans(cluster_id)
    assert stored.namespaces == [ns] and stored.created_by == "local"
    # without sign-in nobody is named, and "local" (also this cluster's name) is not shown as a person
    header = " ".join(plain(m.value) for m in at.markdown)
    assert "**By** someone (no sign-in)" in header
    assert at.query_params.get("scan") == stored.scan_id
    assert "cluster" not in at.query_params
    link = f"{PUBLIC_URL}/scan?scan={stored.scan_id}"
    assert any(link in plain(s.value) for s in at.success), [s.value for s in at.success]
    assert link in [c.value for c in at.code]

    endpoint = f"redis.{ns}.svc.cluster.local:6379"
    matches = table(at, "connection string")
    [row] = [r for r in records(matches) if r["type"] == "redis"]
    assert row["service"] == "redis" and row["endpoints"] == [endpoint]
    assert row["ready endpoints"] == 1 and row["readiness"] == "ready"
    assert row["connection string"] == f"redis://{endpoint}"
    assert any("first scan of these namespaces" in c.value for c in at.caption)

    # scanning again compares with the first
    at.button(key="scan_run").click().run()
    assert not at.exception and not at.error
    newest, first = store.list_scans(cluster_id)
    assert first.scan_id == stored.scan_id
    assert at.query_params.get("scan") == newest.scan_id
    when = first.scanned_at.strftime("%Y-%m-%d %H:%M:%S UTC")  # one way of writing times on the page
    assert any(
        f"Nothing changed since [the previous scan](scan?scan={first.scan_id}) ({when})" in c.value
        for c in at.caption
    ), [c.value for c in at.caption]
    assert len(table(at, "link")) == 2


def test_the_connection_string_comes_early_with_a_copy_box_and_empty_types_fold_away(
    settings: Settings, store: Store
) -> None:
    cluster = add_row(store)
    scan = save(store, cluster, [redis(), postgres()], minute=0)
    at = open_page("scan", secrets=SECRETS, scan=scan.scan_id)
    assert not at.exception, at.exception
    matches = table(at, "connection string")
    assert list(matches.columns).index("connection string") <= 2
    assert "redis://redis.shop.svc.cluster.local:6379" in [c.value for c in at.code], "copyable"
    summary = table(at, "default port")
    assert sorted(summary["type"]) == ["postgres", "redis"], "only the types found get a row"
    [folded] = [c.value for c in at.caption if c.value.startswith("Not found:")]
    assert "mongo" in folded and "redis" not in folded


def test_a_links_matches_are_converted_to_arrow_once_for_every_viewer() -> None:
    """``st.dataframe`` sends an Arrow table as it is and converts a DataFrame on every run of every
    session: the shared view holds the Arrow form, with the same rows and columns."""
    import tomllib

    import pyarrow as pa

    from core.views.scans import matches_table
    from pages._scanview import _arrow

    scan = ScanResult(
        scan_id=new_id(), cluster_id=new_id(), namespaces=["shop"], scanned_at=datetime.now(UTC),
        catalog=load_catalog().default_ports(), matches=[redis(), redis(ready=0)],
    )  # fmt: skip
    table = matches_table(scan)
    arrow = _arrow(table)
    assert isinstance(arrow, pa.Table)
    assert (arrow.column_names, arrow.num_rows) == (list(table.columns), 2)
    assert arrow.to_pandas()["endpoints"].map(list).tolist() == table["endpoints"].tolist()
    odd = pd.DataFrame({"mixed": [1, "a"]})  # Arrow cannot hold it as it is: st.dataframe fixes it
    assert _arrow(odd) is odd
    # and no full garbage collection after each run: with the shared views in memory, it cost each
    # viewer more than the page (bench_load shows memory staying flat without it)
    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
