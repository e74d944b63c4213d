"""The Deploy page's first choice, the target (a cluster and namespace, or a Docker host), and the
Docker-host half: host, service, environment (wired from the host's latest scan), a dry run or a
deploy the compose way, and the host's recorded deploys. The host is kept in ``?cluster=`` (names
are unique across clusters and hosts), so a link to the page reproduces the choice.

Drawn top to bottom on purpose: one widget per statement, in the order people see them.
"""

import pandas as pd
import streamlit as st

from core.compose.registry import RegistryEntry
from core.deploy.hostapply import deploy_to_host, latest_host_scan
from core.deploy.plans import load_entry_list
from core.settings import Settings, who
from core.store.hosts import Host
from core.store.store import Store
from core.views.urlstate import SERVICE
from pages._parts.envform import environment_form
from pages._parts.hostpick import pick_host
from pages._ui.auth import actor_for
from pages._ui.errors import show_error
from pages._ui.progress import progress_box, run_action
from pages._ui.text import code, md
from pages._ui.urls import link_to, read_param, write_params


def _pick_service(entries: list[RegistryEntry], page: str) -> RegistryEntry:
    usable = [e for e in entries if e.spec is not None and not e.error]
    ids = [e.service_id for e in usable]
    wanted = read_param(page, SERVICE)
    if wanted not in ids:
        wanted = next((e.service_id for e in usable if not e.infra), ids[0])
    chosen = st.selectbox("Service", ids, index=ids.index(wanted), key="deploy_host_service")
    write_params(page, service=chosen)
    return usable[ids.index(chosen)]


def _records(store: Store, host: Host) -> None:
    records = [r for r in store.list_deployments(host.host_id, limit=200, manifests=False) if not r.dry_run]
    if not records:
        st.caption("Nothing deployed to this host from here yet.")
        return
    table = pd.DataFrame(
        [
            {"when": r.created_at, "project": r.namespace, "service": r.service_id, "status": r.status,
             "message": r.message or "", "by": who(r.created_by)}
            for r in records
        ]
    )  # fmt: skip
    st.dataframe(table, hide_index=True, width="stretch", key="deploy_host_records")


def _deploy(
    settings: Settings, store: Store, host: Host, entry: RegistryEntry, typed: dict[str, str]
) -> None:
    dry_run = st.button("Dry run", key="deploy_host_dry", icon=":material/preview:")
    wait = st.checkbox("Wait until healthy", value=True, key="deploy_host_wait")
    go = st.button("Deploy", key="deploy_host_go", type="primary", icon=":material/rocket_launch:")
    if not (dry_run or go):
        return
    ended = progress_box(
        f"{'Checking' if dry_run else 'Deploying'} {entry.service_id} on {host.name}…",
        lambda _report: deploy_to_host(
            store,
            settings,
            host.host_id,
            entry.service_id,
            dirs=list(settings.compose_dirs),
            typed=typed,
            dry_run=dry_run,
            wait=wait and not dry_run,
            actor=actor_for("deploy"),
        ),
        failed=f"Deploying {entry.service_id} failed",
        finished=lambda d: (f"{entry.service_id}: {'dry run' if d['dry_run'] else d['status']}", True),
    )
    if ended.error is not None:
        show_error(ended.error)
        return
    data = ended.value or {}
    st.success(md(f"{data['service_id']} -> compose project {data['project']}: {data['status']}"))
    changes = pd.DataFrame(
        [{**c, "reason": c.get("reason", "")} for c in data["changes"]],
        columns=["kind", "name", "action", "reason"],
    )
    st.dataframe(changes, hide_index=True, width="stretch", key="deploy_host_changes")
    for name, health in data["health"].items():
        st.caption(md(f"{name}: {health}"))


def host_deploy_section(settings: Settings, store: Store, page: str) -> None:
    hosts = store.list_hosts()
    if not hosts:
        st.info("No Docker hosts yet: add one on the Clusters page.", icon=":material/dns:")
        link_to("clusters", "Clusters", ":material/hub:")
        return
    host = pick_host(hosts, page)
    entries = (
        run_action("Reading the compose registry…", lambda: load_entry_list(settings.compose_dirs)) or []
    )
    if not any(e.spec is not None and not e.error for e in entries):
        st.info(
            f"The compose registry is empty: put compose files into {code(str(settings.compose_dirs[0]))}."
        )
        return
    entry = _pick_service(entries, page)
    scan = latest_host_scan(store, host.host_id)
    if scan is None:
        st.info("No scan of this host yet: values come from the compose defaults.", icon=":material/radar:")
    else:
        st.caption(f"Wired to the host's scan of {scan.scanned_at:%Y-%m-%d %H:%M} UTC.")
    st.subheader("Environment")
    typed = environment_form(entry, scan, "", f"host_{host.host_id}_{entry.service_id}")
    st.caption("Secret values go to the container in memory, never into its config on disk (see the README).")
    _deploy(settings, store, host, entry, typed)
    st.subheader("Deployed here")
    _records(store, host)
