"""Workloads: what ushadow deployed to a cluster's namespace, and day-2 operations on it.

Status (desired and ready replicas, pods with phase, restarts, images, age), logs (tail, container,
previous container; downloadable), rollout restart, scale (0 stops a service), undeploy (with
confirmation; volumes are kept unless asked) and, for operators, running a command in a pod
(``pages/_run_command.py``). Cluster, namespace and the selected workload are in the
URL (``?cluster=<id>&namespace=<ns>&service=<name>``).
"""

import pandas as pd
import streamlit as st

from core.errors import UshadowError
from core.operate.inspecting import PodLog, WorkloadStatus
from core.operate.operating import Operator
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store
from core.views.urlstate import SERVICE, TAB
from pages._drift_column import COLUMNS as DRIFT_COLUMNS
from pages._drift_column import with_drift
from pages._fleet_tabs import drift_tab, events_tab, history_tab, yaml_tab
from pages._live import live_section
from pages._parts.hostpick import wants_host
from pages._parts.hostworkloads import host_workloads_section
from pages._run_command import run_command_tab
from pages._ui.auth import actor_for
from pages._ui.confirm import asked_to_confirm, close_confirmation, name_confirmed
from pages._ui.errors import show_error
from pages._ui.flashes import flash, flash_error, show_flashes
from pages._ui.pickers import pick_cluster, pick_namespace, require_clusters
from pages._ui.progress import progress_box
from pages._ui.resources import get_settings, get_store
from pages._ui.text import code, md
from pages._ui.urls import link_to, read_param, write_params

PAGE = "workloads"

FLASH = "workloads_flash"  # above everything (an undeploy: the workload's tabs are gone)
TAB_FLASH = "workloads_flash_{}"  # inside a tab: what its action did, shown after the rerun
RESTART, SCALE = "workloads_restart", "workloads_scale"  # their confirmations' widget keys
UNDEPLOY = "workloads_undeploy"  # the confirmation's widget keys
SHOWING_LOGS = "workloads_showing_logs"
TABS = ["Logs", "Events", "Drift", "History", "YAML", "Restart", "Scale", "Undeploy", "Run a command"]
SHARED_SECONDS = 3.0  # every viewer of one namespace shares one reading of it for this long


def workload_table(found: list[WorkloadStatus]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "workload": f"{w.workload.kind}/{w.workload.name}",
                "ready": f"{w.rollout.ready}/{w.rollout.desired}",
                "service": w.workload.service_id or "",
                "updated": w.rollout.updated,
                "available": w.rollout.available,
                "rolled out": w.rollout.done,
                "images": ", ".join(sorted({i for p in w.pods for i in p.images})),
            }
            for w in found
        ],
        columns=["workload", "ready", "service", "updated", "available", "rolled out", "images"],
    )


def pod_table(found: list[WorkloadStatus]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pod": p.name,
                "problem": p.reason or "",
                "ready": p.ready,
                "phase": p.phase,
                "restarts": p.restarts,
                "age": p.age,
                "node": p.node or "",
                "workload": w.workload.name,
            }
            for w in found
            for p in w.pods
        ],
        # the problem right after the pod's name: on a phone the first two columns are what shows
        columns=["pod", "problem", "ready", "phase", "restarts", "age", "node", "workload"],
    )


def pick_workload(found: list[WorkloadStatus]) -> WorkloadStatus:
    names = [w.workload.name for w in found]
    wanted = read_param(PAGE, SERVICE)
    index = names.index(wanted) if wanted in names else 0
    chosen = st.selectbox("Workload", names, index=index, key="workloads_selected")
    write_params(PAGE, service=chosen)
    return found[names.index(chosen)]


@st.cache_resource(ttl=SHARED_SECONDS, max_entries=64, show_spinner=False)
def _shared_status(
    database_url: str, cluster_id: str, namespace: str, _settings: Settings, _store: Store
) -> list[WorkloadStatus]:
    with Operator(_store, _settings, cluster_id) as ops:
        return ops.status(namespace)


def read_workloads(
    settings: Settings, store: Store, cluster: Cluster, namespace: str
) -> list[WorkloadStatus]:
    """The namespace's workloads, read once for every viewer within ``SHARED_SECONDS`` (read-only):
    ten people on the page, each refreshing every 5 s, cost the cluster and this server one reading
    of 200 Deployments and their pods, not ten. An error is not kept; an action here, or Refresh,
    reads again."""
    return _shared_status(settings.database_url, cluster.cluster_id, namespace, settings, store)


def with_operator(settings: Settings, store: Store, cluster: Cluster, action: str | None = None) -> Operator:
    actor = actor_for(action) if action else None
    return Operator(store, settings, cluster.cluster_id, actor=actor)


def follow(ops: Operator, selected: WorkloadStatus, label: str, *, done_label: str, tab: str) -> None:
    """A rollout with a progress bar, until ready (or why not); then the page runs again, so its
    tables show the new state, with the outcome (or the reason it is not ready) left in ``tab``."""
    ended = progress_box(
        label,
        lambda report: ops.wait(selected.workload, timeout=300, progress=report),
        failed=f"{label}: not ready",
        finished=lambda done: (f"{label}: {done.text()}", True),
    )
    if ended.error is not None:
        flash_error(TAB_FLASH.format(tab), ended.error)
    elif ended.value is not None:
        flash(TAB_FLASH.format(tab), "success", f"{md(done_label)}: {md(ended.value.text())}.")
    _shared_status.clear()  # the page runs again to show what the action did, not a shared reading
    st.rerun()


def logs_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    containers = sorted({c for p in selected.pods for c in p.containers})
    pods = ["all pods", *[p.name for p in selected.pods]]
    tail_col, container_col, pod_col = st.columns(3)
    tail = tail_col.number_input("Last lines", min_value=1, max_value=10000, value=200, key="workloads_tail")
    container = container_col.selectbox("Container", containers or ["-"], key="workloads_container")
    pod = pod_col.selectbox("Pod", pods, key="workloads_pod")
    previous = st.checkbox("Previous container (after a crash)", key="workloads_previous")
    search_col, stamps_col, follow_col = st.columns([2, 1, 1])
    search = search_col.text_input(
        "Search", key="workloads_log_search", placeholder="only lines with this text"
    )
    stamps = stamps_col.checkbox("Timestamps", key="workloads_log_stamps")
    following = follow_col.toggle(
        "Follow", key="workloads_log_follow", help="read the log again every 3 seconds"
    )

    def show() -> None:
        try:
            with with_operator(settings, store, cluster) as ops:
                found = ops.logs(
                    namespace,
                    selected.workload.name,
                    tail=int(tail),
                    container=container if containers else None,
                    previous=previous,
                    pod=None if pod == "all pods" else pod,
                    timestamps=stamps,
                )
        except UshadowError as exc:
            show_error(exc)
            return
        draw_logs(selected, found, search)

    if following:
        st.fragment(run_every=3.0)(show)()
    elif (
        st.button("Show logs", key="workloads_logs", icon=":material/article:")
        or st.session_state.get(SHOWING_LOGS) == selected.workload.name
    ):
        st.session_state[SHOWING_LOGS] = selected.workload.name  # a new search keeps them shown
        with st.spinner("Reading the logs…"):
            show()


def draw_logs(selected: WorkloadStatus, found: list[PodLog], search: str) -> None:
    text = ""
    for log in found:
        lines = log.text.splitlines(keepends=True)
        shown = "".join(line for line in lines if search.lower() in line.lower()) if search else log.text
        st.caption(f"{md(log.pod)} / {md(log.container)}" + (" (previous)" if log.previous else ""))
        st.code(shown or ("(no line matches)" if search else "(empty)"), language=None)
        text += f"==> {log.pod}/{log.container} <==\n{shown}\n"
    st.download_button(
        "Download",
        text,
        file_name=f"{selected.workload.name}.log",
        mime="text/plain",
        key="workloads_logs_download",
        icon=":material/download:",
        on_click="ignore",  # no rerun: the logs stay on the page
    )


def confirmed(prefix: str, label: str, name: str, warning: str) -> bool:
    """Restart and scale ask, as undeploy does: the workload's name typed, then confirmed."""
    if not asked_to_confirm(prefix, label, name, icon=":material/warning:"):
        return False
    ok = name_confirmed(
        prefix,
        name,
        warning=warning,
        prompt="Type the workload's name to confirm",
        button=label.rstrip("…"),
        mismatch=f"That is not the workload's name; type {code(name)}.",
    )
    if ok:
        close_confirmation(prefix)
    return ok


def restart_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    st.caption("Replaces every pod, one after another (a rollout restart).")
    show_flashes(TAB_FLASH.format("restart"))
    name = selected.workload.name
    if not confirmed(RESTART, "Restart…", name, f"Restarting **{md(name)}** replaces every one of its pods."):
        return
    try:
        with with_operator(settings, store, cluster, "restart") as ops:
            with st.spinner(f"Restarting {name}…"):
                ops.restart(namespace, name)
            follow(ops, selected, f"Restarting {name}", done_label=f"Restarted {name}", tab="restart")
    except UshadowError as exc:
        show_error(exc)


def scale_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    replicas = st.number_input(
        "Replicas",
        min_value=0,
        max_value=100,
        value=selected.rollout.desired,
        key=f"workloads_replicas_{selected.workload.name}",
    )
    show_flashes(TAB_FLASH.format("scale"))
    name, count = selected.workload.name, int(replicas)
    if not confirmed(SCALE, "Scale…", name, f"Scaling **{md(name)}** to {count} replica(s) (0 stops it)."):
        return
    try:
        with with_operator(settings, store, cluster, "scale") as ops:
            with st.spinner(f"Scaling {name} to {count}…"):
                ops.scale(namespace, name, count)
            follow(
                ops,
                selected,
                f"Scaling {name} to {count}",
                done_label=f"Scaled {name} to {count}",
                tab="scale",
            )
    except UshadowError as exc:
        show_error(exc)


def undeploy_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    name = selected.workload.name
    delete_volumes = st.checkbox(
        "Also delete its volumes (PersistentVolumeClaims: their data is lost)", key="workloads_delete_volumes"
    )
    if not asked_to_confirm(UNDEPLOY, "Undeploy…", name):
        return
    with st.container(border=True):
        if not name_confirmed(
            UNDEPLOY,
            name,
            warning=f"Undeploying **{md(name)}** removes its workload, Services, ConfigMaps and Secrets "
            f"from {code(namespace)}"
            + (" and its volumes." if delete_volumes else "; its volumes are kept."),
            prompt="Type the workload's name to confirm",
            button="Undeploy for good",
            mismatch=f"That is not the workload's name; type {code(name)} to undeploy it.",
        ):
            return
        try:
            with (
                st.spinner(f"Undeploying {name}…"),
                with_operator(settings, store, cluster, "undeploy") as ops,
            ):
                changes = ops.undeploy(namespace, name, delete_volumes=delete_volumes)
        except UshadowError as exc:
            show_error(exc)
            return
        close_confirmation(UNDEPLOY)
        write_params(PAGE, service=None)
        deleted = [c.ref for c in changes if c.action == "deleted"]
        kept = [c.ref for c in changes if c.action == "kept"]
        text = f"Undeployed {md(name)}: removed {md(', '.join(deleted))}."
        if kept:
            text += f" Kept {md(', '.join(kept))}."
        flash(FLASH, "success", text)
        _shared_status.clear()
        st.rerun()


st.title("Workloads")
st.caption("What ushadow deployed, and looking after it: logs, restart, scale, undeploy, run a command.")
settings = get_settings()
store = get_store()
show_flashes(FLASH)
if wants_host(store, PAGE):  # a Docker host's containers instead of a cluster's workloads
    host_workloads_section(settings, store, PAGE)
    st.stop()
clusters = require_clusters(store)

left, right = st.columns(2)
with left:
    cluster = pick_cluster(store, clusters, PAGE, key="workloads_cluster")
with right:
    namespace = pick_namespace(cluster, PAGE, key="workloads_ns")
if st.button("Refresh", key="workloads_refresh", icon=":material/refresh:"):
    _shared_status.clear()
try:
    with st.spinner(f"Reading the workloads in {namespace}…"):
        workloads = read_workloads(settings, store, cluster, namespace)
except UshadowError as exc:
    show_error(exc)
    st.stop()

if not workloads:
    st.info(
        f"Nothing deployed by ushadow in {code(namespace)} on {md(cluster.name)}.", icon=":material/info:"
    )
    link_to(
        "deploy",
        "Deploy a service",
        ":material/rocket_launch:",
        cluster=cluster.cluster_id,
        namespace=namespace,
    )
    st.stop()

first_read = [workloads]  # the full run's reading; a live refresh reads the cluster again


def draw_tables() -> None:
    try:
        found = first_read.pop() if first_read else read_workloads(settings, store, cluster, namespace)
    except UshadowError as exc:
        show_error(exc)
        return
    table = with_drift(
        workload_table(found), found, settings=settings, store=store, cluster=cluster, namespace=namespace
    )
    st.subheader("Workloads and their rollout")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="workloads_table",
        column_config={"rolled out": st.column_config.CheckboxColumn("Rolled out"), **DRIFT_COLUMNS},
    )
    st.subheader("Pods")
    st.dataframe(pod_table(found), hide_index=True, width="stretch", key="workloads_pods")


live_section("workloads", draw_tables)

selected = pick_workload(workloads)
logs, events, drift, history, live_yaml, restart, scale, undeploy, run = st.tabs(
    TABS, default=read_param(PAGE, TAB, tabs=TABS)
)
with logs:
    logs_tab(settings, store, cluster, namespace, selected)
with events:
    events_tab(settings, store, cluster, namespace, selected)
with drift:
    drift_tab(settings, store, cluster, namespace, selected)
with history:
    history_tab(settings, store, cluster, namespace, selected)
with live_yaml:
    yaml_tab(settings, store, cluster, namespace, selected)
with restart:
    restart_tab(settings, store, cluster, namespace, selected)
with scale:
    scale_tab(settings, store, cluster, namespace, selected)
with undeploy:
    undeploy_tab(settings, store, cluster, namespace, selected)
with run:
    run_command_tab(settings, store, cluster, namespace, selected)
