"""Clusters: every registered cluster and its status at a glance; add, re-check and remove.

The selected cluster is in the URL (``?cluster=<id>``), so a link reopens the same view.
A kubeconfig is never drawn back on the page: after an add the inputs that held it are dropped.
"""

import hashlib
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core.clusters import registering as ops
from core.clusters.kubeconfigs import MAX_BYTES
from core.deploy.rollouts import age_text
from core.errors import UshadowError
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store
from core.store.summaries import ScanSummary
from core.views.urlstate import cluster_scan_path
from pages._live import live_section
from pages._parts.hosts import hosts_section
from pages._ui.auth import actor_for
from pages._ui.confirm import asked_to_confirm, close_confirmation, name_confirmed
from pages._ui.errors import show_error
from pages._ui.flashes import flash, show_flashes
from pages._ui.pickers import cluster_choice, cluster_label, linked_cluster
from pages._ui.progress import run_action, run_with_progress
from pages._ui.resources import get_settings, get_store
from pages._ui.status import status_badge, status_css, status_label
from pages._ui.text import code, md
from pages._ui.urls import link_to, write_params

FLASH = "clusters_flash"
SELECTED = "clusters_selected"
SELECT_NEXT = "clusters_select_next"  # set by an action; becomes the selection on the next run
REMOVE = "clusters_remove"  # the confirmation's widget keys
NONCE = "clusters_add_nonce"  # bumped after an add, so the inputs holding the kubeconfig start empty
NO_ANSWER = "—"  # in the table where a cluster gave no answer (unreachable, or nodes hidden by RBAC)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def scan_summary(scan: ScanSummary | None) -> str:
    if scan is None:
        return "not scanned yet"
    types = sorted(scan.found)
    where = "all namespaces" if scan.all_namespaces else ", ".join(scan.namespaces)
    text = f"{', '.join(types) if types else 'nothing found'} in {where}"
    if scan.error_count:
        text += f" ({scan.error_count} namespace(s) not readable)"
    return text


COLUMNS = {
    "status": st.column_config.TextColumn("Status", help="result of the last connectivity check"),
    "name": st.column_config.TextColumn("Name"),
    "server": st.column_config.TextColumn("API server"),
    "version": st.column_config.TextColumn("Version", help="— when the cluster did not answer"),
    # text, not a number column: a dataframe draws a missing number as "None"
    "nodes": st.column_config.TextColumn(
        "Nodes", help="— when the cluster did not answer or the credential may not list nodes"
    ),
    "namespace": st.column_config.TextColumn("Namespace", help="default namespace for scans and deploys"),
    "labels": st.column_config.TextColumn("Labels", help="key=value, as given when it was added"),
    # text worked out on every refresh: a "distance" datetime column is drawn once and then keeps
    # saying "13 minutes ago" however long the page stays open
    "last_checked": st.column_config.TextColumn("Last checked", help="when its connection was last checked"),
    "latest_scan": st.column_config.TextColumn("Latest scan", help="types found by the newest scan"),
    "scan": st.column_config.LinkColumn("Scan", display_text="Scan ↗", help="open the Scan page for it"),
    "problem": st.column_config.TextColumn("Problem", help="why the last check failed"),
}


def checked_ago(value: datetime | None, now: datetime) -> str:
    """``3m ago`` (kubectl's AGE style), or ``never``."""
    checked = _utc(value)
    return "never" if checked is None else f"{age_text((now - checked).total_seconds())} ago"


def cluster_table(
    clusters: list[Cluster], latest: dict[str, ScanSummary], now: datetime | None = None
) -> pd.DataFrame:
    now = now or datetime.now(UTC)
    rows = [
        {
            "status": status_label(c.status),
            "name": c.name,
            "server": c.server,
            "version": c.version or NO_ANSWER,
            "nodes": NO_ANSWER if c.node_count is None else str(c.node_count),
            "namespace": c.namespace,
            "labels": ", ".join(f"{k}={v}" for k, v in sorted(c.labels.items())),
            "last_checked": checked_ago(c.last_checked, now),
            "latest_scan": scan_summary(latest.get(c.cluster_id)),
            "scan": cluster_scan_path(c.cluster_id),
            "problem": c.error or "",
        }
        for c in clusters
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def recheck_all(settings: Settings, store: Store, count: int) -> None:
    names = {c.cluster_id: c.name for c in store.list_clusters()}
    checked = run_with_progress(
        "Checking clusters…",
        count,
        lambda step: (
            actor_for("cluster.check")
            and ops.check_all(
                store, settings, on_done=lambda ref, health: step(f"{names.get(ref, ref)} {health.status}")
            )
        ),
    )
    if checked is not None:
        ok = sum(1 for c in checked if c.status == "connected")
        flash(
            FLASH, "success" if ok == len(checked) else "warning", f"Checked {len(checked)}: {ok} connected."
        )
        st.rerun()


def selected_cluster(store: Store, clusters: list[Cluster]) -> Cluster:
    """The selectbox of clusters, kept in step with ``?cluster=`` (an id or a name) in the URL."""
    by_id = cluster_choice(clusters)
    wanted = linked_cluster(store, clusters, "clusters", warn=SELECT_NEXT not in st.session_state)
    if SELECT_NEXT in st.session_state:
        wanted = st.session_state.pop(SELECT_NEXT)
        st.session_state[SELECTED] = wanted
    elif SELECTED not in st.session_state and wanted in by_id:
        st.session_state[SELECTED] = wanted
    if st.session_state.get(SELECTED) not in by_id:
        st.session_state.pop(SELECTED, None)
    chosen = st.selectbox(
        "Cluster", list(by_id), format_func=lambda cid: cluster_label(by_id, cid), key=SELECTED
    )
    write_params("clusters", cluster=chosen)
    return by_id[chosen]


def cluster_panel(settings: Settings, store: Store, cluster: Cluster) -> None:
    status_badge(cluster.status)
    labels = ", ".join(f"{k}={v}" for k, v in cluster.labels.items()) or "none"
    st.markdown(
        f"**{md(cluster.name)}**, context {code(cluster.context)} at {code(cluster.server)}; "
        f"namespace {code(cluster.namespace)}; labels: {md(labels)}"
    )
    if cluster.error:
        st.warning(md(cluster.error), icon=":material/warning:")
    for text in ops.warnings_for(store, settings, cluster.cluster_id):
        st.warning(md(text), icon=":material/gpp_maybe:")
    recheck, scan, remove = st.columns(3, vertical_alignment="center")
    if recheck.button("Re-check", key="clusters_recheck_one", icon=":material/refresh:"):
        checked = run_action(
            f"Checking {cluster.name}…",
            lambda: actor_for("cluster.check") and ops.check_cluster(store, settings, cluster.cluster_id),
        )
        if checked is not None:
            flash(FLASH, "success" if checked.status == "connected" else "warning", _status_text(checked))
            st.rerun()
    link_to("scan", "Scan it", ":material/radar:", where=scan, cluster=cluster.cluster_id)
    if asked_to_confirm(REMOVE, "Remove…", cluster.cluster_id, where=remove):
        confirm_remove(store, cluster)


def confirm_remove(store: Store, cluster: Cluster) -> None:
    with st.container(border=True):
        if not name_confirmed(
            REMOVE,
            cluster.name,
            warning=f"Removing **{md(cluster.name)}** deletes its stored credential, its scans and its "
            "deployment records here. Nothing in the cluster itself changes.",
            prompt="Type the cluster's name to confirm",
            button="Remove for good",
            mismatch=f"That is not the name of this cluster; type {code(cluster.name)} to remove it.",
        ):
            return
        removed = run_action(
            f"Removing {cluster.name}…",
            lambda: ops.remove_cluster(store, cluster.cluster_id, actor=actor_for("cluster.remove")),
        )
        if removed is not None:
            close_confirmation(REMOVE)
            write_params("clusters", cluster=None)
            flash(FLASH, "success", f"Removed {md(removed.name)} with its credential, scans and records.")
            st.rerun()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _health_text(cluster: Cluster) -> str:
    """``connected: v1.37.2, 3 node(s).`` or ``unreachable: <why>.``"""
    if cluster.status == "connected":
        nodes = "nodes hidden by RBAC" if cluster.node_count is None else f"{cluster.node_count} node(s)"
        return f"connected: {md(cluster.version or '?')}, {nodes}."
    return f"{cluster.status}: {md(_sentence(cluster.error or 'no reason given'))}"


def _status_text(cluster: Cluster) -> str:
    return f"{md(cluster.name)} is {_health_text(cluster)}"


def add_form(settings: Settings, store: Store) -> None:
    """The add-a-cluster form, drawn top to bottom on purpose: one widget per statement, in the
    order people fill it in."""
    nonce = st.session_state.setdefault(NONCE, 0)
    source = st.radio(
        "Kubeconfig", ["Upload a file", "Paste YAML"], horizontal=True, key="clusters_add_source"
    )
    kubeconfig: str | bytes | None
    if source == "Upload a file":
        upload = st.file_uploader(
            "Kubeconfig file", key=f"clusters_add_file_{nonce}", help="for example ~/.kube/config"
        )
        kubeconfig = upload.getvalue() if upload is not None else None
    else:
        kubeconfig = st.text_area(
            "Kubeconfig YAML",
            key=f"clusters_add_yaml_{nonce}",
            height=180,
            max_chars=MAX_BYTES,  # the same limit as an upload; parsing checks it again first
            placeholder="apiVersion: v1\nkind: Config\nclusters: …",
        )
    contexts: list[str] = []
    current: str | None = None
    parse_error: UshadowError | None = None
    if kubeconfig:
        try:
            contexts, current = ops.contexts_of(kubeconfig)
        except UshadowError as exc:
            parse_error = exc
            show_error(exc)
    # Keyed on what it offers: other contexts make a new picker, which starts on the kubeconfig's
    # current-context (a kept picker would keep its old choice, the empty one before any file).
    offered = hashlib.sha256(repr((contexts, current)).encode()).hexdigest()[:12]
    context = st.selectbox(
        "Context",
        contexts,
        index=contexts.index(current) if current in contexts else (0 if contexts else None),
        key=f"clusters_add_context_{nonce}_{offered}",
        help="the contexts this kubeconfig holds; its current-context is picked to begin with",
        disabled=not contexts,
    )
    name_col, ns_col = st.columns(2)
    name = name_col.text_input(
        "Name",
        key=f"clusters_add_name_{nonce}",
        placeholder="empty: the context's name",
        help="unique; letters, digits, . _ -; left empty, the context's name is used",
    )
    namespace = ns_col.text_input(
        "Namespace",
        key=f"clusters_add_namespace_{nonce}",
        placeholder="ushadow",
        help="default namespace for scans and deploys; empty: the context's namespace, else ushadow",
    )
    labels = st.text_input("Labels", key=f"clusters_add_labels_{nonce}", placeholder="env=prod, team=ops")
    save_anyway = st.checkbox("Save even if it cannot connect now", key=f"clusters_add_save_anyway_{nonce}")
    if not st.button("Add cluster", key="clusters_add_submit", type="primary", icon=":material/add:"):
        return
    if not kubeconfig:
        st.error("Upload a kubeconfig file or paste its YAML first.")
        return
    if parse_error is not None:
        return  # already shown above, where the kubeconfig is
    added = run_action(
        "Connecting to the cluster…",
        lambda: ops.add_cluster(
            store,
            settings,
            name=name,
            kubeconfig=kubeconfig,
            context=context,
            namespace=namespace.strip() or None,
            labels=ops.parse_labels(labels),
            save_unreachable=save_anyway,
            actor=actor_for("cluster.add"),
        ),
    )
    if added is None:
        return
    ok = added.cluster.status == "connected"
    name = md(added.cluster.name)
    if ok:
        text = f"Added cluster {name}. It is {_health_text(added.cluster)}"
    else:
        text = f"Saved cluster {name}, but it is {_health_text(added.cluster)}"
    if not ok and added.health.hint:
        text += f"\n\n**What to try:** {md(added.health.hint)}"
    for warning in added.health.warnings:
        text += f"\n\n**Warning:** {md(warning)}"
    flash(FLASH, "success" if ok else "warning", text)
    st.session_state[NONCE] = nonce + 1
    st.session_state[SELECT_NEXT] = added.cluster.cluster_id
    st.rerun()


st.title("Clusters")
st.caption("The Kubernetes clusters this dashboard scans and deploys to. Credentials are stored encrypted.")
settings = get_settings()
store = get_store()
show_flashes(FLASH)

clusters = store.list_clusters()
if clusters:
    problems = sum(1 for c in clusters if c.status != "connected")
    total, ok_col, bad_col, action = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
    total.metric("Clusters", len(clusters))
    ok_col.metric("Connected", len(clusters) - problems)
    bad_col.metric("Need attention", problems)
    if action.button("Re-check all", key="clusters_recheck_all", icon=":material/refresh:"):
        recheck_all(settings, store, len(clusters))

    def draw_table() -> None:  # stored state, read again while the page is open (checks, scans)
        st.dataframe(
            cluster_table(store.list_clusters(), store.latest_scan_summaries()).style.map(
                status_css, subset=["status"]
            ),
            column_config=COLUMNS,
            hide_index=True,
            width="stretch",
            key="clusters_table",
        )

    live_section("clusters", draw_table, every=10.0)
    st.subheader("Selected cluster")
    cluster_panel(settings, store, selected_cluster(store, clusters))
else:
    st.info("No clusters yet: add one below from its kubeconfig.", icon=":material/info:")

with st.expander("Add a cluster", expanded=not clusters, icon=":material/add_circle:"):
    add_form(settings, store)

hosts_section(settings, store)
