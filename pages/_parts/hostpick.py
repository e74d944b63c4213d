"""The target picker of the Deploy and Workloads pages (a cluster, or a Docker host) and the host
picker. The host is kept in ``?cluster=`` (names are unique across clusters and hosts), so a
link reproduces the choice."""

import streamlit as st

from core.store.hosts import Host
from core.store.store import Store
from core.views.urlstate import CLUSTER
from pages._ui.urls import read_param, write_params

KINDS = {"cluster": "Kubernetes cluster / namespace", "host": "Docker host"}


def wants_host(store: Store, page: str) -> bool:
    """The target picker; a ``?cluster=`` naming a Docker host starts on the host side."""
    linked = read_param(page, CLUSTER)
    default = "host" if linked and store.find_host(linked) is not None else "cluster"
    kind = st.segmented_control(
        "Target", list(KINDS), default=default, format_func=KINDS.get, key=f"{page}_target"
    )
    if kind != "host" and default == "host":
        write_params(page, cluster=None)  # a host's id is no cluster for the cluster side
    return kind == "host"


def pick_host(hosts: list[Host], page: str) -> Host:
    by_id = {h.host_id: h for h in hosts}
    linked = read_param(page, CLUSTER)
    wanted = next((h.host_id for h in hosts if linked in (h.host_id, h.name)), hosts[0].host_id)
    ids = list(by_id)
    chosen = st.selectbox(
        "Docker host",
        ids,
        index=ids.index(wanted),
        format_func=lambda i: f"{by_id[i].name} ({by_id[i].status})",
        key=f"{page}_host",
    )
    write_params(page, cluster=chosen, namespace=None)
    return by_id[chosen]
