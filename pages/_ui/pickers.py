"""The cluster and namespace pickers of the Deploy and Workloads pages, kept in the URL.

``?cluster=`` names a cluster by id or by name; the store resolves it (:func:`linked_cluster`).
"""

from __future__ import annotations

import streamlit as st

from core.clusters.connecting import CONNECTED
from core.clusters.namespacelist import namespace_names
from core.clusters.registering import validate_namespace
from core.errors import InvalidInput, NotFound, UshadowError
from core.store.records import Cluster
from core.store.store import Store
from core.views.urlstate import CLUSTER, NAMESPACE
from pages._ui.errors import show_error
from pages._ui.resources import get_settings, get_store
from pages._ui.text import code
from pages._ui.urls import link_to, read_param, write_params


def require_clusters(store: Store, message: str = "No clusters yet: add one first.") -> list[Cluster]:
    """The registered clusters; with none, say what to do (with a link) and stop the page."""
    clusters = store.list_clusters()
    if not clusters:
        st.info(message, icon=":material/info:")
        link_to("clusters", "Clusters", ":material/lan:")
        st.stop()
    return clusters


def linked_cluster(store: Store, clusters: list[Cluster], page: str, *, warn: bool = True) -> str | None:
    """The id of the cluster ``?cluster=`` names (by id or name) among ``clusters``; None when it
    names none. With ``warn``, a link naming no registered cluster says so."""
    wanted = read_param(page, CLUSTER)
    if wanted is None:
        return None
    ids = {c.cluster_id for c in clusters}
    if wanted in ids:
        return wanted
    try:
        found = store.get_cluster(wanted).cluster_id
    except NotFound:
        found = None
    if found in ids:
        return found
    if warn:
        st.warning(f"The link names a cluster that is not registered (any more): {code(wanted)}.")
    return None


LAST_CLUSTER = "ushadow_last_cluster"  # session state: the cluster last picked on any page


def usable_cluster(clusters: list[Cluster]) -> str:
    """The cluster a page opens on without a link: the one last used in this browser session,
    else the first connected one, else the first (an unreachable one only when none connects)."""
    ids = [c.cluster_id for c in clusters]
    last = st.session_state.get(LAST_CLUSTER)
    if last in ids:
        return str(last)
    connected = [c.cluster_id for c in clusters if c.status == CONNECTED]
    return connected[0] if connected else ids[0]


def remember_cluster(cluster_id: str) -> None:
    """Note the cluster picked, for the next page this session opens (:func:`usable_cluster`)."""
    st.session_state[LAST_CLUSTER] = cluster_id


def cluster_choice(clusters: list[Cluster]) -> dict[str, Cluster]:
    """The clusters by id, for a selectbox of ids (see :func:`cluster_label`)."""
    return {c.cluster_id: c for c in clusters}


def cluster_label(by_id: dict[str, Cluster], cluster_id: str) -> str:
    """How a cluster picker shows a cluster: ``name · status``."""
    cluster = by_id.get(cluster_id)
    return f"{cluster.name} · {cluster.status}" if cluster is not None else cluster_id


def pick_cluster(store: Store, clusters: list[Cluster], page: str, *, key: str) -> Cluster:
    """A cluster selectbox kept in ``?cluster=`` (a link naming a removed cluster says so)."""
    by_id = cluster_choice(clusters)
    ids = list(by_id)
    wanted = linked_cluster(store, clusters, page)
    chosen = st.selectbox(
        "Cluster",
        ids,
        index=ids.index(wanted if wanted in by_id else usable_cluster(clusters)),
        format_func=lambda cid: cluster_label(by_id, cid),
        key=key,
    )
    remember_cluster(chosen)
    write_params(page, cluster=chosen)
    return by_id[chosen]


@st.cache_data(ttl=30, show_spinner=False)
def cluster_namespaces(cluster_id: str) -> list[str]:
    """The cluster's namespaces, read at most every 30 s; none when it cannot be read now (the
    picker still takes a typed name)."""
    try:
        return namespace_names(get_store(), get_settings(), cluster_id)
    except UshadowError:
        return []


def pick_namespace(cluster: Cluster, page: str, *, key: str, help: str | None = None) -> str:
    """A namespace picker kept in ``?namespace=``, validated (an invalid name stops the page): the
    cluster's namespaces to choose from, and a new name may be typed."""
    start = read_param(page, NAMESPACE) or cluster.namespace
    offered = sorted({*cluster_namespaces(cluster.cluster_id), start})
    typed = st.selectbox(
        "Namespace",
        offered,
        index=offered.index(start),
        key=f"{key}_{cluster.cluster_id}",
        help=(help + "; " if help else "") + "the cluster's namespaces, or type a new name",
        accept_new_options=True,
    )
    try:
        namespace = validate_namespace(typed)
    except InvalidInput as exc:
        show_error(exc)
        st.stop()
    write_params(page, namespace=namespace)
    return namespace
