"""Running and storing scans for stored clusters: one, or many in parallel with a bound.

The CLI, the Scan page, the demo and ``deploy-all`` all scan through here, so a scan is always
stored the same way and recorded under who asked for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from core.clusters.kube import open_kube
from core.clusters.sessions import named
from core.errors import ClusterError, InvalidInput, UshadowError
from core.scan.notifying import notify_change
from core.scan.reports import compute_changes
from core.scan.scanning import Progress, scan
from core.settings import Settings
from core.store.scans import ScanResult
from core.store.store import Store

log = logging.getLogger(__name__)


def run_scan(
    store: Store,
    settings: Settings,
    cluster_ref: str,
    *,
    namespaces: Sequence[str] | None = None,
    all_namespaces: bool = False,
    progress: Progress | None = None,
    actor: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> ScanResult:
    """Scan a stored cluster (its own namespace unless told otherwise) and store the result.

    ``warn`` hears what went wrong without failing the scan (a webhook that did not take the
    change); without it, that is logged."""
    if all_namespaces and namespaces:
        raise InvalidInput("give either namespaces or all namespaces, not both")
    cluster = store.get_cluster(cluster_ref)
    wanted = [] if all_namespaces else list(namespaces or [cluster.namespace])
    with named(cluster.name), open_kube(store.cluster_credential(cluster.cluster_id), settings) as kube:
        result = scan(
            kube,
            cluster_id=cluster.cluster_id,
            namespaces=wanted,
            all_namespaces=all_namespaces,
            progress=progress,
            concurrency=settings.scan_concurrency,
            created_by=actor,
        )
    # the diff against the previous scan, computed once here and kept with the scan for every viewer;
    # a change is posted to USHADOW_NOTIFY_URL (a failing webhook is a logged warning, not a failure)
    diff = compute_changes(store, result)
    saved = store.save_scan(result, changes=diff.to_json())
    warning = notify_change(settings, saved, diff, cluster_name=cluster.name)
    if warning:
        (warn or log.warning)(warning)
    return saved


@dataclass(frozen=True)
class ScanOutcome:
    cluster_ref: str
    result: ScanResult | None
    error: UshadowError | None


def run_scans(
    store: Store,
    settings: Settings,
    cluster_refs: Sequence[str],
    *,
    all_namespaces: bool = False,
    actor: str | None = None,
    on_done: Callable[[ScanOutcome], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[ScanOutcome]:
    """Scan many clusters at once, at most ``USHADOW_SCAN_CONCURRENCY`` at a time.

    One cluster failing (unreachable, forbidden) is that cluster's outcome, not the whole run's.
    """

    def one(ref: str) -> ScanOutcome:
        try:
            return ScanOutcome(
                ref,
                run_scan(store, settings, ref, all_namespaces=all_namespaces, actor=actor, warn=warn),
                None,
            )
        except UshadowError as exc:
            return ScanOutcome(ref, None, exc)
        except Exception as exc:  # one cluster's surprise (a hostile answer) is its outcome, not the run's
            log.exception("scanning %s failed unexpectedly", ref)
            return ScanOutcome(
                ref, None, ClusterError(f"scanning failed unexpectedly ({type(exc).__name__})")
            )

    outcomes: list[ScanOutcome] = []
    with ThreadPoolExecutor(max_workers=max(1, settings.scan_concurrency), thread_name_prefix="scan") as pool:
        for outcome in pool.map(one, cluster_refs):
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
    return outcomes
