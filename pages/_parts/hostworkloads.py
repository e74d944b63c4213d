"""The Workloads page on a Docker host: the containers ushadow deployed there (compose project,
service, state, health), then for one service its logs, restart, scale (containers ``-1`` ..
``-N``, as compose scales) and undeploy (named volumes kept unless asked), each change confirmed
by typing the service's name, as on a cluster.

Drawn top to bottom on purpose: one widget per statement, in the order people see them.
"""

from typing import Any

import pandas as pd
import streamlit as st

from core.errors import UshadowError
from core.operate import hostops
from core.settings import Settings
from core.store.hosts import Host
from core.store.store import Store
from core.views.urlstate import SERVICE
from pages._parts.hostpick import pick_host
from pages._ui.confirm import asked_to_confirm, close_confirmation, name_confirmed
from pages._ui.errors import show_error
from pages._ui.text import code, md
from pages._ui.urls import read_param, write_params

COLUMNS = ["container", "project", "service", "state", "health", "image"]


def _confirmed(prefix: str, label: str, name: str, warning: str) -> bool:
    if not asked_to_confirm(prefix, label, name, icon=":material/warning:"):
        return False
    ok = name_confirmed(
        prefix,
        name,
        warning=warning,
        prompt="Type the service's name to confirm",
        button=label.rstrip("…"),
        mismatch=f"That is not the service's name; type {code(name)}.",
    )
    if ok:
        close_confirmation(prefix)
    return ok


def _run(what: str, action: Any) -> Any:
    try:
        with st.spinner(what):
            return action()
    except UshadowError as exc:
        show_error(exc)
        return None


def _changes(changes: list[dict[str, str]], key: str) -> None:
    table = pd.DataFrame(
        [{**c, "reason": c.get("reason", "")} for c in changes], columns=["kind", "name", "action", "reason"]
    )
    st.dataframe(table, hide_index=True, width="stretch", key=key)


def _logs(settings: Settings, store: Store, host: Host, service: str) -> None:
    tail = int(st.number_input("Last lines", 1, 10_000, 200, key="host_logs_tail"))
    found = _run("Reading the logs…", lambda: hostops.logs(store, settings, host.host_id, service, tail=tail))
    for row in found or []:
        st.caption(md(row["container"]))
        st.code(row["text"] or "(no output)", language=None)


def _restart(settings: Settings, store: Store, host: Host, service: str) -> None:
    warning = f"Restarting **{md(service)}** stops and starts its containers."
    if not _confirmed("host_restart", "Restart…", service, warning):
        return
    if _run(f"Restarting {service}…", lambda: hostops.restart(store, settings, host.host_id, service)):
        st.success(md(f"Restarted {service}"))


def _scale(settings: Settings, store: Store, host: Host, service: str, running: int) -> None:
    count = int(st.number_input("Containers", 0, 100, running, key="host_scale_count"))
    warning = f"Scaling **{md(service)}** to {count} container(s) (0 stops it)."
    if not _confirmed("host_scale", "Scale…", service, warning):
        return
    dirs = list(settings.compose_dirs)
    done = _run(
        f"Scaling {service}…", lambda: hostops.scale(store, settings, host.host_id, service, count, dirs=dirs)
    )
    if done:
        _changes(done["changes"], "host_scale_changes")


def _undeploy(settings: Settings, store: Store, host: Host, service: str) -> None:
    drop = st.checkbox("Also delete its named volumes (their data is lost)", key="host_delete_volumes")
    kept = "its named volumes are deleted." if drop else "its named volumes are kept."
    warning = f"Undeploying **{md(service)}** removes its containers; {kept}"
    if not _confirmed("host_undeploy", "Undeploy…", service, warning):
        return
    gone = _run(
        f"Undeploying {service}…",
        lambda: hostops.undeploy(store, settings, host.host_id, service, delete_volumes=drop),
    )
    if gone is not None:
        write_params("workloads", service=None)
        _changes(gone, "host_undeploy_changes")


def _tabs(settings: Settings, store: Store, host: Host, service: str, running: int) -> None:
    logs, restart, scale, undeploy = st.tabs(["Logs", "Restart", "Scale", "Undeploy"])
    with logs:
        _logs(settings, store, host, service)
    with restart:
        _restart(settings, store, host, service)
    with scale:
        _scale(settings, store, host, service, running)
    with undeploy:
        _undeploy(settings, store, host, service)


def host_workloads_section(settings: Settings, store: Store, page: str) -> None:
    hosts = store.list_hosts()
    if not hosts:
        st.info("No Docker hosts yet: add one on the Clusters page.", icon=":material/dns:")
        return
    host = pick_host(hosts, page)
    st.button("Refresh", key="host_workloads_refresh", icon=":material/refresh:")
    rows = _run(f"Reading {host.name}…", lambda: hostops.status(store, settings, host.host_id, None))
    if rows is None:
        return
    if not rows:
        st.info(f"Nothing deployed to {code(host.name)} yet: deploy a service on the Deploy page.")
        return
    st.dataframe(pd.DataFrame(rows, columns=COLUMNS), hide_index=True, width="stretch", key="host_containers")
    services = sorted({str(r["service"]) for r in rows})
    wanted = read_param(page, SERVICE)
    service = st.selectbox(
        "Service", services, index=services.index(wanted) if wanted in services else 0, key="host_service"
    )
    write_params(page, service=service)
    running = sum(1 for r in rows if r["service"] == service and r["state"] == "running")
    _tabs(settings, store, host, service, running)
