"""The Docker hosts part of the Clusters page: the second kind of target (status, engine version,
containers running) and a form to add one by its engine URL."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.errors import UshadowError
from core.hosts.registering import add_host
from core.settings import Settings
from core.store.store import Store

COLUMNS = ("name", "status", "url", "version", "containers_running", "last_checked", "error")


def host_table(store: Store) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [h.to_json() for h in store.list_hosts()]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def hosts_section(settings: Settings, store: Store) -> None:
    st.subheader("Docker hosts")
    st.caption("Docker Engine APIs (or podman's) that services are deployed to the compose way.")
    hosts = store.list_hosts()
    if hosts:
        st.dataframe(host_table(store), hide_index=True, width="stretch", key="hosts_table")
    else:
        st.info("No Docker hosts yet: add one below by its engine URL.", icon=":material/info:")
    with st.expander("Add a Docker host", icon=":material/add_circle:"):
        with st.form("add_host"):
            name = st.text_input("Name", key="host_name")
            url = st.text_input("Engine URL", placeholder="unix:///var/run/docker.sock", key="host_url")
            submitted = st.form_submit_button("Add host")
        if submitted:
            try:
                host, _ = add_host(store, settings, name=name, url=url)
            except UshadowError as exc:
                st.error(exc.message + (f" ({exc.hint})" if exc.hint else ""))
            else:
                st.success(f"added Docker host {host.name}: {host.status}, {host.version or '-'}")
                st.rerun()
