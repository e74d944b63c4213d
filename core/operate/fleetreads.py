"""Reading many clusters at once for the fleet view. Calls out.

Credentials are read from the store first (in the caller's thread), then every cluster is read in
its own thread; whatever has not answered by the deadline (the request timeout, plus a little) is
``unreachable``, so one dead cluster is one grey column and never a stalled view.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from core.clusters.kube import open_kube
from core.compose.registry import load_registry
from core.errors import UshadowError
from core.operate.fleethosts import read_host
from core.operate.fleetview import Live, Owner, fleet, latest_per_target, matches
from core.operate.inspecting import status
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store

log = logging.getLogger(__name__)


def _read_cluster(
    credential: bytes, settings: Settings, namespaces: Sequence[str]
) -> dict[tuple[str, str], Live]:
    out: dict[tuple[str, str], Live] = {}
    with open_kube(credential, settings) as kube:
        for ns in namespaces:
            for w in status(kube, ns):
                images = tuple(sorted({i for p in w.pods for i in p.images}))
                if not images:
                    pod = ((w.workload.obj.get("spec") or {}).get("template") or {}).get("spec") or {}
                    images = tuple(str(c.get("image")) for c in pod.get("containers") or ())
                reason = next((p.reason for p in w.pods if p.reason), None)
                out[(ns, w.workload.name)] = Live(w.rollout.ready, w.rollout.desired, images, reason)
    return out


def read_clusters(
    store: Store,
    settings: Settings,
    targets: Mapping[str, Sequence[str]],
    *,
    deadline: float | None = None,
    hosts: Mapping[str, Sequence[str]] | None = None,
) -> tuple[dict[tuple[str, str, str], Live], dict[str, bool]]:
    """Live workloads of every cluster id -> namespaces in ``targets``, and of every Docker host id
    -> compose projects in ``hosts``, read in parallel."""
    limit = deadline if deadline is not None else settings.request_timeout * 2 + 1
    hosts = hosts or {}
    jobs: dict[str, tuple[Any, bytes, list[str]]] = {
        cid: (_read_cluster, store.cluster_credential(cid), list(nss)) for cid, nss in targets.items()
    }
    jobs |= {hid: (read_host, store.host_credential(hid), list(ps)) for hid, ps in hosts.items()}
    live: dict[tuple[str, str, str], Live] = {}
    reachable = {cid: False for cid in jobs}
    if not jobs:
        return live, reachable
    pool = ThreadPoolExecutor(max_workers=min(16, len(jobs)), thread_name_prefix="fleet")
    futures = {pool.submit(read, cred, settings, nss): cid for cid, (read, cred, nss) in jobs.items()}
    start = time.monotonic()
    done, _pending = wait(futures, timeout=limit)
    pool.shutdown(wait=False, cancel_futures=True)  # a stalled cluster is left behind, not waited on
    for future in done:
        cid = futures[future]
        try:
            found = future.result()
        except UshadowError as exc:
            log.info("fleet: %s not read: %s", cid, exc.message)
            continue
        reachable[cid] = True
        live.update({(cid, ns, name): value for (ns, name), value in found.items()})
    log.debug("fleet: read %d clusters and hosts in %.1fs", len(done), time.monotonic() - start)
    return live, reachable


def fleet_view(
    store: Store,
    settings: Settings,
    dirs: Sequence[Path],
    *,
    labels: Mapping[str, str] | None = None,
    read_live: bool = True,
    clusters: Sequence[Cluster] | None = None,
    with_hosts: bool = True,
) -> dict[str, Any]:
    """The fleet table (``core.operate.fleetview``), with live readings unless ``read_live`` is False;
    Docker hosts' compose projects are columns too (unless ``with_hosts`` is False)."""
    service_ids = [e.service_id for e in load_registry(dirs, environ={}).entries if e.service != "*"]
    clusters = list(clusters if clusters is not None else store.list_clusters())
    hosts = store.list_hosts() if with_hosts else []
    records = store.list_deployments(limit=100_000)
    chosen = {c.cluster_id for c in clusters if matches(c, labels or {})}
    chosen_hosts = {h.host_id for h in hosts if matches(h, labels or {})}
    targets: dict[str, list[str]] = {}
    host_targets: dict[str, list[str]] = {}
    for cid, ns, _sid in latest_per_target(records):
        into = targets if cid in chosen else host_targets if cid in chosen_hosts else None
        if into is not None and ns not in into.setdefault(cid, []):
            into[cid].append(ns)
    live, reachable = read_clusters(store, settings, targets, hosts=host_targets) if read_live else ({}, {})
    owners: list[Owner] = [*clusters, *hosts]
    return fleet(service_ids, owners, records, live=live, reachable=reachable, labels=labels)
