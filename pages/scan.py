"""Scan: find the infrastructure running in a cluster, keep every result, and share it by link.

The URL says what is on show (the rule is ``core.views.urlstate.page_params``): a stored scan
(``?scan=<id>``), which anyone who can reach the dashboard reopens from that link without
rescanning, or, before there is a result, the cluster to scan (``?cluster=<id>``). Running a scan
stores it and puts its id in the URL, so the address bar becomes the result's shareable link.
Scans hold no credentials, and nothing from a kubeconfig is drawn here.
"""

import json
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.scan.diffs import ScanDiff
from core.scan.reports import scan_document
from core.settings import Settings, who
from core.store.records import Cluster
from core.store.scans import ScanResult
from core.store.store import Store
from core.store.summaries import ScanSummary
from core.views.scans import (
    download_stem,
    found_summary,
    history_table,
    known_namespaces,
    matches_csv,
    namespaces_text,
    when,
    where,
)
from core.views.urlstate import SCAN, elsewhere, public_base, scan_link, scan_path
from pages._scanview import ScanView, open_stored
from pages._ui.auth import actor_for, can_change
from pages._ui.errors import show_error
from pages._ui.flashes import flash, show_flashes
from pages._ui.pickers import (
    cluster_choice,
    cluster_label,
    linked_cluster,
    remember_cluster,
    require_clusters,
    usable_cluster,
)
from pages._ui.progress import Report, progress_box
from pages._ui.resources import get_settings, get_store
from pages._ui.text import code, md
from pages._ui.urls import show_view

FLASH = "scan_flash"
CLUSTER = "scan_cluster"
HISTORY_LIMIT = 25


def set_view(*, scan_id: str | None = None, cluster_id: str | None = None) -> None:
    show_view("scan", scan=scan_id, cluster=cluster_id)  # the URL says what is on show, nothing else


# -- how the tables are drawn (what they hold: core.views.scans) ------------------------------------

SUMMARY_CONFIG = {
    "type": st.column_config.TextColumn("type", width="small"),
    "found": st.column_config.CheckboxColumn(
        "found", help="at least one Service recognised as this type", width="small"
    ),
    "services": st.column_config.NumberColumn("services", format="%d", width="small"),
    "default port": st.column_config.NumberColumn("default port", format="%d", width="small"),
    "main endpoint": st.column_config.TextColumn(
        "main endpoint", help="the primary Service's first endpoint", width="medium"
    ),
    "ready endpoints": st.column_config.NumberColumn("ready endpoints", format="%d"),
    "readiness": st.column_config.TextColumn("readiness", help="from the EndpointSlices of the Services"),
}

MATCH_CONFIG = {
    "type": st.column_config.TextColumn("type", width=90),
    "service": st.column_config.TextColumn("service"),
    "namespace": st.column_config.TextColumn("namespace", width=110),
    "service type": st.column_config.TextColumn("service type", width=120),
    "readiness": st.column_config.TextColumn("readiness", help="from the Service's EndpointSlices", width=95),
    "ready endpoints": st.column_config.NumberColumn("ready endpoints", format="%d", width=125),
    "endpoints": st.column_config.ListColumn("endpoints", help="the main port first"),
    # narrow enough to stay on a phone's screen beside the name (the copy box below has it whole)
    "connection string": st.column_config.TextColumn(
        "connection string", help="never with credentials", width=230
    ),
    "reason": st.column_config.TextColumn("reason", help="why this Service was recognised", width="large"),
}

HISTORY_CONFIG = {
    "shown": st.column_config.CheckboxColumn("shown", help="the result shown above", width="small"),
    "when": st.column_config.DatetimeColumn("when", format="YYYY-MM-DD HH:mm:ss"),
    "found": st.column_config.ListColumn("found"),
    "services": st.column_config.NumberColumn("services", format="%d"),
    "errors": st.column_config.NumberColumn("errors", format="%d", help="namespaces that could not be read"),
    "link": st.column_config.LinkColumn("link", display_text="Open ↗", help="this scan's own link"),
}


# -- the form -------------------------------------------------------------------------------------


def _cluster_picked() -> None:
    """Another cluster: the URL names it (a result of the old one no longer applies)."""
    set_view(cluster_id=st.session_state[CLUSTER])


def pick_cluster(store: Store, clusters: list[Cluster], shown: ScanResult | None) -> Cluster:
    """The cluster selectbox, following the URL: the shown scan's cluster, else ``?cluster=``."""
    by_id = cluster_choice(clusters)
    wanted = linked_cluster(store, clusters, "scan", warn=shown is None)
    target = shown.cluster_id if shown is not None else wanted
    if target in by_id:
        st.session_state[CLUSTER] = target
    elif st.session_state.get(CLUSTER) not in by_id:
        st.session_state[CLUSTER] = usable_cluster(clusters)
    chosen = st.selectbox(
        "Cluster",
        list(by_id),
        format_func=lambda cid: cluster_label(by_id, cid),
        key=CLUSTER,
        on_change=_cluster_picked,
    )
    remember_cluster(chosen)
    return by_id[chosen]


def scan_form(
    cluster: Cluster, shown: ScanResult | None, recent: list[ScanSummary], columns: list[DeltaGenerator]
) -> tuple[list[str], bool, bool]:
    """Namespaces, all namespaces, and whether Scan was pressed (drawn into three ``columns``)."""
    ns_col, all_col, go_col = columns
    own = shown if shown is not None and shown.cluster_id == cluster.cluster_id else None
    every = all_col.checkbox(
        "All namespaces",
        value=bool(own and own.all_namespaces),
        key=f"scan_all_{cluster.cluster_id}",
        help="every namespace the cluster's credential may list",
    )
    default = own.namespaces if own and own.namespaces else [cluster.namespace]
    namespaces = ns_col.multiselect(
        "Namespaces",
        known_namespaces(cluster.namespace, [*([own] if own else []), *recent]),
        default=default,
        key=f"scan_namespaces_{cluster.cluster_id}",
        accept_new_options=True,
        disabled=every,
        help="the cluster's namespace first, then namespaces scanned before; type a name to add one",
    )
    allowed = can_change()
    pressed = go_col.button(
        "Scan",
        type="primary",
        key="scan_run",
        disabled=not allowed or not (every or namespaces),
        help=None if allowed else "read-only access: you may open stored scans, not run one",
        width="stretch",
    )
    if not allowed:
        st.caption(
            "You have read-only access: stored scans and their links are open to you, new scans are not."
        )
    return [str(n) for n in namespaces], every, pressed


def scan_now(
    settings: Settings, store: Store, cluster: Cluster, namespaces: list[str], every: bool
) -> ScanResult | None:
    """Scan with a progress bar and store it; errors (the cluster named) are drawn, None returned."""
    from core.clusters.sessions import named  # here: people opening a link never load the client
    from core.scan.jobs import run_scan

    target = namespaces_text(namespaces, every)

    def scan(report: Report) -> ScanResult:
        actor = actor_for("scan")
        with named(cluster.name):
            return run_scan(
                store,
                settings,
                cluster.cluster_id,
                namespaces=[] if every else namespaces,
                all_namespaces=every,
                progress=report,
                actor=actor,
            )

    ended = progress_box(
        f"Scanning {cluster.name} ({target})…",
        scan,
        failed=f"Scanning {cluster.name} failed",
        finished=lambda _result: (f"Scanned {cluster.name} ({target})", True),
        first_step="connecting",
    )
    if ended.error is not None:
        show_error(ended.error)
    return ended.value


# -- a result -------------------------------------------------------------------------------------


def seen_at() -> str | None:
    """The address this browser reached the page at (None in a script run without a browser)."""
    try:
        return st.context.url
    except Exception:
        return None


def link_warning(link: str) -> None:
    """When the link's address is not the one this browser uses, say where it comes from."""
    if elsewhere(link, seen_at()):
        there = urlsplit(link)
        st.caption(
            f"This link is built from USHADOW_PUBLIC_URL ({code(f'{there.scheme}://{there.netloc}')}), "
            "not the address this browser uses: set USHADOW_PUBLIC_URL to the dashboard's address "
            "as people reach it."
        )


def copy_connection_string(table: pd.DataFrame, rows: list[int]) -> None:
    """The selected row's connection string (else the first row's) in a box with a copy button."""
    row = table.iloc[rows[0] if rows else 0]
    if row["connection string"]:
        st.caption(f"Connection string of {md(str(row['service']))} (select a row for another one):")
        st.code(str(row["connection string"]), language=None)


DIFF_LEGEND = ":green-badge[+ new] :red-badge[- gone] :orange-badge[~ changed]"


def show_changes(diff: ScanDiff) -> None:
    st.subheader("Changed since the previous scan")
    if diff.first_scan:
        st.caption("The first scan of these namespaces: nothing to compare with.")
        return
    at = (diff.previous_scanned_at or "").replace("T", " ").replace("Z", " UTC")  # as `when` writes times
    previous = f"[the previous scan]({scan_path(diff.previous_scan_id or '')}) ({at})"
    if diff.unchanged:
        within = f" in {md(', '.join(diff.compared_namespaces))}" if diff.compared_namespaces else ""
        st.caption(f"Nothing changed{within} since {previous}.")
        return
    within = (
        f" on the namespaces both read ({md(', '.join(diff.compared_namespaces))})"
        if diff.compared_namespaces
        else ""
    )
    st.markdown(f"Compared with {previous}{within}:")
    st.markdown(DIFF_LEGEND)  # full-size coloured badges: a grey caption was easy to miss
    st.code("\n".join(diff.lines()), language="diff")


def show_result(settings: Settings, view: ScanView, cluster: Cluster) -> None:
    """A stored scan, drawn top to bottom on purpose: one element per statement, in the order
    people read them (heading, link, figures, tables, changes, downloads)."""
    scan = view.scan
    link = scan_link(
        public_base(settings.public_url, configured=settings.public_url_set, seen_at=seen_at()),
        scan.scan_id,
    )
    st.subheader(f"Scan of {cluster.name}")
    took = f" in {scan.duration_ms} ms" if scan.duration_ms is not None else ""
    st.markdown(
        f"**Cluster** {md(cluster.name)} · **Namespaces** {md(where(scan))} · "
        f"**When** {when(scan.scanned_at)}{took} · **By** {md(who(scan.created_by))}"
    )
    st.markdown("**Shareable link**: anyone who can reach the dashboard reopens this result from it.")
    st.code(link, language=None)
    link_warning(link)

    found = scan.found_types()
    types, services, unread = st.columns(3)
    types.metric("Types found", f"{len(found)} of {len(scan.catalog)}")
    services.metric("Services recognised", len(scan.matches))
    unread.metric("Namespaces not readable", len(scan.errors))

    st.subheader("Infrastructure types")
    found_types, missing = found_summary(view.summary)
    if not found_types.empty:
        st.dataframe(
            found_types, column_config=SUMMARY_CONFIG, hide_index=True, width="stretch", key="scan_summary"
        )
    if missing:
        st.caption(f"Not found: {md(', '.join(missing))}.")
    table = view.matches
    st.subheader("Services recognised")
    if scan.matches:
        config = {"column_config": MATCH_CONFIG, "hide_index": True, "width": "stretch"}
        picked = st.dataframe(  # the same rows as `table`, converted once for every viewer
            view.matches_arrow, **config, key="scan_matches", on_select="rerun", selection_mode="single-row"
        )
        copy_connection_string(table, picked.selection.rows)
    else:
        st.caption("No infrastructure recognised in these namespaces.")
    if scan.errors:
        st.warning(
            f"{len(scan.errors)} namespace(s) could not be read; the rest were scanned.",
            icon=":material/warning:",
        )
        st.dataframe(view.errors, hide_index=True, width="stretch", key="scan_errors")

    show_changes(view.diff)

    stem = download_stem(cluster.name, scan)
    csv_col, json_col, _rest = st.columns([1, 1, 3])
    # built when clicked (Streamlit calls these then), not on every run of the page
    csv_col.download_button(
        "Download CSV",
        lambda: matches_csv(view.matches),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="scan_download_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    json_col.download_button(
        "Download JSON",
        lambda: json.dumps(
            scan_document(scan, link=link, cluster_name=cluster.name, changes=view.diff), indent=2
        ),
        file_name=f"{stem}.json",
        mime="application/json",
        key="scan_download_json",
        icon=":material/data_object:",
        on_click="ignore",
        help="the same document as `ushadow-ops scans show --json`",
    )


def show_history(cluster: Cluster, scans: list[ScanSummary], shown: ScanResult | None) -> None:
    st.subheader(f"Recent scans of {cluster.name}")
    if not scans:
        st.caption("No scans of this cluster yet.")
        return
    table = history_table(scans, shown)
    st.dataframe(
        table,
        column_config=HISTORY_CONFIG,
        column_order=[c for c in table.columns if shown is not None or c != "shown"],
        hide_index=True,
        width="stretch",
        key="scan_history",
    )


# -- the page -------------------------------------------------------------------------------------

st.title("Scan")
st.caption(
    "Find the databases, caches and queues running in a cluster. Every scan is kept, with a link that "
    "reopens it."
)
settings = get_settings()
store = get_store()
show_flashes(FLASH)

asked = st.query_params.get(SCAN)
view = open_stored(settings, asked) if asked is not None else None
shown = view.scan if view is not None else None

clusters = require_clusters(store, "No clusters yet: add one on the Clusters page, then scan it here.")

# with a result on show, the form folds away: a phone's first screen is the result, not the form
with st.expander("Scan again", icon=":material/radar:") if shown else st.container(border=True):
    cluster_col, *form_cols = st.columns([2, 3.6, 1.6, 0.8], vertical_alignment="bottom")
    with cluster_col:
        cluster = pick_cluster(store, clusters, shown)
    recent = store.list_scan_summaries(cluster.cluster_id, limit=HISTORY_LIMIT)
    namespaces, every, pressed = scan_form(cluster, shown, recent, form_cols)
if shown is not None:
    set_view(scan_id=shown.scan_id)
elif asked is None:
    set_view(cluster_id=cluster.cluster_id)

if pressed:
    result = scan_now(settings, store, cluster, namespaces, every)
    if result is not None:
        found = ", ".join(result.found_types()) or "nothing"
        link = scan_link(
            public_base(settings.public_url, configured=settings.public_url_set, seen_at=seen_at()),
            result.scan_id,
        )
        flash(
            FLASH,
            "success",
            f"Scanned **{md(cluster.name)}** ({md(where(result))}): found {md(found)}. "
            f"Shareable link: {code(link, limit=500)}",
        )
        set_view(scan_id=result.scan_id)
        st.rerun()

if view is not None:
    show_result(settings, view, cluster)
elif asked is None:
    st.caption("Pick the namespaces and press **Scan**; or open a stored scan below.")

show_history(cluster, recent, shown)
