"""Home: what this dashboard is, whether it is open to the network, and what to do next."""

import streamlit as st

from pages._ui.auth import auth_configured, logged_in_user, server_address
from pages._ui.resources import get_store
from pages._ui.text import code, md
from pages._ui.urls import link_to

st.title("ushadow ops")
st.markdown(
    "Run the ushadow services on Kubernetes: register clusters, find the databases and queues "
    "already running in them, and deploy services from compose files."
)

if logged_in_user() is None:
    where = server_address()
    local = where in {"127.0.0.1", "localhost", "::1"}
    text = (
        "**No login: this dashboard is open to anyone who can reach it.** "
        f"It listens on {code(where)}"
        + (" (this machine only, the default)." if local else ", which other machines can reach.")
        + " Configure `[auth]` in `.streamlit/secrets.toml` before exposing it to a network."
    )
    (st.warning if local else st.error)(text, icon=":material/lock_open:")
    if auth_configured():
        st.caption("`[auth]` is configured, but you are not logged in.")

store = get_store()
clusters = store.list_clusters()
scans = store.count_scans()
# the deployment records (dry runs too, failed ones too): picking a service is done once one was
# tried; deploying it, once one is on a cluster
picked = store.has_deployments()
deployed = store.has_deployments(live=True)
connected = sum(1 for c in clusters if c.status == "connected")

left, middle, right = st.columns(3)
left.metric("Clusters", len(clusters))
middle.metric("Connected", connected, help="clusters that answered their last check")
right.metric("Scans stored", scans)

st.subheader("What to do next")
steps = [
    (bool(clusters), "Add a cluster from its kubeconfig", "clusters", "Clusters"),
    (scans > 0, "Scan a cluster for its databases and queues", "scan", "Scan"),
    (picked, "Pick a service from the compose registry", "services", "Services"),
    (deployed, "Deploy it, wired to what the scan found", "deploy", "Deploy"),
]
next_step = next((i for i, (done, *_rest) in enumerate(steps) if not done), None)
for i, (done, text, target, label) in enumerate(steps):
    if done:
        mark = ":green[:material/check_circle:]"
    elif i == next_step:
        mark = ":blue[:material/arrow_circle_right:]"
    else:
        mark = ":gray[:material/radio_button_unchecked:]"
    row = st.columns([6, 1], vertical_alignment="center")
    row[0].markdown(f"{mark} {text}")
    link_to(target, label, ":material/arrow_forward:", where=row[1])

problems = [c for c in clusters if c.status != "connected"]
if problems:
    names = ", ".join(md(c.name) for c in problems)
    st.warning(
        f"{len(problems)} cluster(s) did not answer their last check: {names}. "
        "The Clusters page shows why and can re-check them.",
        icon=":material/warning:",
    )
