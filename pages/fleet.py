"""Fleet: every registry service on every cluster/namespace (and Docker host/compose project) where
ushadow deployed it.

The table is drawn from the stored deployment records at once (image tag, last deploy, who), so
50 clusters x 40 services never wait on a cluster; "Read clusters" reads them all in parallel within
the request timeout and lays ready/desired, the running image and a quick drift mark over it. A
cluster that does not answer is one grey column. Filters (cluster label, service) are in the URL
(``?label=env=prod&service=shop``, through ``core.views.urlstate``).
"""

import pandas as pd
import streamlit as st

from core.errors import UshadowError
from core.operate.fleetreads import fleet_view
from core.views.urlstate import LABEL, SERVICE
from pages._ui.errors import show_error
from pages._ui.resources import get_settings, get_store
from pages._ui.status import NOT_APPLICABLE_CSS
from pages._ui.text import md
from pages._ui.urls import link_to, read_param, write_params

PAGE = "fleet"
LIVE = "fleet_live"


def cell_text(c: dict | None) -> str:  # type: ignore[type-arg]
    if c is None:
        return ""
    ready = "?" if c["ready"] is None else c["ready"]
    desired = "?" if c["desired"] is None else c["desired"]
    drift = "" if c["drift"] in ("none", "unknown") else f" · drift: {c['drift']}"
    health = "" if c["health"] in ("ready", "unknown") else f" · {c['health']}"
    return f"{c['tag']} · {ready}/{desired}{health}{drift} · {c['deployed_at']} by {c['deployed_by']}"


def parse_labels(text: str) -> dict[str, str]:
    out = {}
    for pair in text.replace(",", " ").split():
        key, _, value = pair.partition("=")
        if key:
            out[key] = value
    return out


def table(view: dict, wanted: str) -> pd.DataFrame:  # type: ignore[type-arg]
    names = {
        t["target"]: t["target"]
        + (" (docker)" if t.get("kind") == "docker" else "")
        + (" (unreachable)" if t["reachable"] is False else "")
        for t in view["targets"]
    }
    rows = []
    for row in view["services"]:
        if wanted and wanted.lower() not in row["service_id"].lower():
            continue
        rows.append(
            {"service": row["service_id"], **{names[t]: cell_text(row["cells"].get(t)) for t in names}}
        )
    return pd.DataFrame(rows, columns=["service", *names.values()])


def grey_unreachable(frame: pd.DataFrame) -> pd.DataFrame:
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for column in frame.columns:
        if str(column).endswith("(unreachable)"):
            styles[column] = NOT_APPLICABLE_CSS
    return styles


st.title("Fleet")
st.caption("Which clusters and Docker hosts run which version of each service, and where it drifted.")
settings = get_settings()
store = get_store()

left, right = st.columns(2)
labels_text = left.text_input(
    "Cluster labels", value=read_param(PAGE, LABEL) or "", placeholder="env=prod", key="fleet_labels"
)
wanted = right.text_input("Service", value=read_param(PAGE, SERVICE) or "", key="fleet_service")
write_params(PAGE, label=labels_text, service=wanted)
labels = parse_labels(labels_text)

if st.button("Read clusters", key="fleet_read", icon=":material/refresh:"):
    try:
        with st.spinner("Reading every cluster and Docker host (in parallel)…"):
            st.session_state[LIVE] = (
                labels_text,
                fleet_view(store, settings, settings.compose_dirs, labels=labels),
            )
    except UshadowError as exc:
        show_error(exc)

live = st.session_state.get(LIVE)
if live is not None and live[0] == labels_text:
    view = live[1]
    st.caption("With live readings from the clusters.")
else:
    try:
        view = fleet_view(store, settings, settings.compose_dirs, labels=labels, read_live=False)
    except UshadowError as exc:
        show_error(exc)
        st.stop()
    st.caption("From the stored deployment records; press Read clusters for ready counts and drift.")

if not view["targets"]:
    st.info("Nothing deployed by ushadow yet (or no cluster has these labels).", icon=":material/info:")
    st.stop()

frame = table(view, wanted)
st.dataframe(
    frame.style.apply(grey_unreachable, axis=None), hide_index=True, width="stretch", key="fleet_table"
)

st.subheader("Open a workload")
cells = [
    (row, name, c)
    for row in view["services"]
    if not wanted or wanted.lower() in row["service_id"].lower()
    for name, c in row["cells"].items()
]
if len(cells) > 60:
    st.caption(f"{len(cells)} deployments: filter by service for a link to each.")
    cells = []
by_name = {t["target"]: t for t in view["targets"]}
for row, name, c in cells:
    link_to(
        "workloads",
        f"{md(row['service_id'])} on {md(name)}",
        ":material/monitoring:",
        cluster=by_name[name]["cluster_id"],
        namespace=by_name[name]["namespace"],
        service=c["name"],
    )
