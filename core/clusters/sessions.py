"""Working with one stored cluster: its client, opened from the store, and errors that name it. Calls out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.clusters.kube import Kube, open_kube
from core.errors import ClusterError
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store


@contextmanager
def named(cluster_name: str) -> Iterator[None]:
    """Re-raise every cluster error of the block with the cluster's name in front (once)."""
    prefix = f"cluster {cluster_name}: "
    try:
        yield
    except ClusterError as exc:
        if exc.message.startswith(prefix):
            raise
        raise type(exc)(prefix + exc.message, hint=exc.hint) from exc


@contextmanager
def connect(store: Store, settings: Settings, cluster_ref: str) -> Iterator[tuple[Cluster, Kube]]:
    """The stored cluster and a client for it; every cluster error names the cluster."""
    cluster = store.get_cluster(cluster_ref)
    with named(cluster.name), open_kube(store.cluster_credential(cluster.cluster_id), settings) as kube:
        yield cluster, kube
