"""Scanning a cluster for infrastructure: the I/O around ``core.scan.matching``.

Services, EndpointSlices and Pods are read with LIST calls (paginated, raw JSON: the client's model
deserialisation is far too slow for thousands of objects), per namespace or across all namespaces,
in parallel on a bounded thread pool. Nodes are read once for NodePort addresses; a credential that
may not list nodes still scans (NodePorts then have their cluster DNS form only). A namespace the
credential may not read becomes an entry in ``errors`` and the rest of the scan completes; so does one
whose Services were read but whose Pods were not (what the Services run is then unknown, so some may
be missed; those recognised are kept). Unreadable EndpointSlices only make readiness unknown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from core.catalog import load_catalog
from core.clusters.kube import Kube
from core.errors import ClusterError, Forbidden, InvalidInput, NotFound, Unauthorized, Unreachable
from core.naming import is_dns_label, new_id
from core.scan.matching import match_services
from core.store.scans import NamespaceError, ScanResult

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
ALL = "*"
KINDS = {
    "services": ("/api/v1", "services"),
    "endpointslices": ("/apis/discovery.k8s.io/v1", "endpointslices"),
    "pods": ("/api/v1", "pods"),
}
PAGE_SIZE = 1000
NEEDED_FOR_RECOGNITION = {"pods": "pod images and labels not read"}


def list_path(kind: str, namespace: str) -> str:
    prefix, plural = KINDS[kind]
    return f"{prefix}/{plural}" if namespace == ALL else f"{prefix}/namespaces/{namespace}/{plural}"


@dataclass
class _Listing:
    """What was read of one namespace (or of all, ``ALL``)."""

    namespace: str
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, ClusterError | NotFound] = field(default_factory=dict)


def _check_namespaces(namespaces: Sequence[str] | None, all_namespaces: bool) -> list[str]:
    if all_namespaces:
        return []
    if not namespaces:
        raise InvalidInput("name at least one namespace to scan, or scan all namespaces")
    wanted = list(dict.fromkeys(n.strip() for n in namespaces))
    for ns in wanted:
        if not is_dns_label(ns):
            raise InvalidInput(
                f"namespace {ns!r} is not a valid Kubernetes namespace name",
                hint="lowercase letters, digits and '-', at most 63 characters",
            )
    return wanted


def _list(kube: Kube, kind: str, namespace: str) -> list[dict[str, Any]]:
    where = "all namespaces" if namespace == ALL else f"namespace {namespace}"
    return kube.list_all(list_path(kind, namespace), page_size=PAGE_SIZE, what=f"listing {kind} in {where}")


def _nodes(kube: Kube) -> list[dict[str, Any]] | None:
    try:
        return kube.list_all("/api/v1/nodes", page_size=PAGE_SIZE, what="listing nodes")
    except (Unauthorized, Unreachable):
        raise
    except ClusterError as exc:  # Forbidden for namespace-scoped credentials
        log.info("cannot list nodes (%s): NodePort endpoints get their cluster DNS form only", exc.message)
        return None


def _namespace_missing(kube: Kube, namespace: str) -> bool:
    try:
        kube.get_json(f"/api/v1/namespaces/{namespace}", what=f"reading namespace {namespace}")
    except NotFound:
        return True
    except (Forbidden, ClusterError):
        return False
    return False


def _read(
    kube: Kube, namespaces: list[str], *, concurrency: int, progress: Progress | None
) -> tuple[list[_Listing], list[dict[str, Any]] | None]:
    """List every kind in every namespace (and the nodes) on one bounded pool."""
    listings = {ns: _Listing(ns) for ns in namespaces}
    total = len(namespaces) * len(KINDS) + 1
    done = 0
    nodes: list[dict[str, Any]] | None = None
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, total))) as pool:
        node_future = pool.submit(_nodes, kube)
        futures: dict[Future[Any], tuple[str, str]] = {
            pool.submit(_list, kube, kind, ns): (ns, kind) for ns in namespaces for kind in KINDS
        }
        futures[node_future] = ("", "nodes")
        try:
            for future in as_completed(futures):
                done += 1
                ns, kind = futures[future]
                if kind == "nodes":
                    nodes = future.result()
                    continue
                try:
                    listings[ns].items[kind] = future.result()
                except (Unauthorized, Unreachable):
                    raise
                except (ClusterError, NotFound) as exc:
                    listings[ns].failures[kind] = exc
                if progress is not None and kind == "services":
                    shown = "all namespaces" if ns == ALL else ns
                    progress(f"read {shown}", 0.9 * done / total)
        except BaseException:
            for pending in futures:
                pending.cancel()
            raise
    return [listings[ns] for ns in namespaces], nodes


def _reason(exc: ClusterError | NotFound) -> str:
    if isinstance(exc, Forbidden):
        return f"forbidden: {exc.message}"
    return exc.message


def scan(
    kube: Kube,
    *,
    cluster_id: str,
    namespaces: Sequence[str] | None,
    all_namespaces: bool,
    progress: Progress | None = None,
    concurrency: int = 8,
    created_by: str | None = None,
) -> ScanResult:
    """Scan the namespaces (or all namespaces) of one cluster and return the result (not stored).

    Raises ``Unreachable``/``Unauthorized`` when the cluster cannot be used at all; a namespace that
    cannot be read is reported in ``errors`` instead.
    """
    started = time.monotonic()
    wanted = _check_namespaces(namespaces, all_namespaces)
    if progress is not None:
        progress("listing services, endpoint slices and pods", 0.0)
    listings, nodes = _read(kube, wanted or [ALL], concurrency=concurrency, progress=progress)
    errors: list[NamespaceError] = []
    if all_namespaces and "services" in listings[0].failures:
        listings, nodes, errors = _fallback_per_namespace(kube, listings[0], concurrency, progress)
    gathered = _gather(kube, listings, all_namespaces, errors)
    services, slices, pods, unread = gathered.services, gathered.slices, gathered.pods, gathered.unread
    if progress is not None:
        progress(f"recognising {len(services)} services", 0.9)
    matches = match_services(services, pods, slices, nodes, unread=unread)
    if progress is not None:
        progress(f"found {len(matches)} infrastructure services", 1.0)
    return ScanResult(
        scan_id=new_id(),
        cluster_id=cluster_id,
        namespaces=wanted,
        all_namespaces=all_namespaces,
        catalog=load_catalog().default_ports(),
        matches=matches,
        errors=errors,
        duration_ms=int((time.monotonic() - started) * 1000),
        created_by=created_by,
    )


@dataclass
class _Gathered:
    """What the listings of every namespace add up to, and which kinds a namespace could not read."""

    services: list[dict[str, Any]] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)
    unread: dict[str, list[str]] = field(default_factory=dict)


def _gather(
    kube: Kube, listings: Sequence[_Listing], all_namespaces: bool, errors: list[NamespaceError]
) -> _Gathered:
    """The listings put together; a namespace whose Services could not be read, or that lacks what
    recognition needs, or that does not exist, adds to ``errors``."""
    out = _Gathered()
    for listing in listings:
        if "services" in listing.failures:
            errors.append(
                NamespaceError(namespace=listing.namespace, reason=_reason(listing.failures["services"]))
            )
            continue
        if listing.failures:  # the Services were read: scanned, with less to go on
            out.unread[listing.namespace] = sorted(listing.failures)
            log.warning("in %s: %s", listing.namespace, "; ".join(map(_reason, listing.failures.values())))
        for kind, exc in sorted(listing.failures.items()):
            if kind in NEEDED_FOR_RECOGNITION:
                reason = f"{kind}: {_reason(exc)} ({NEEDED_FOR_RECOGNITION[kind]})"
                errors.append(NamespaceError(namespace=listing.namespace, reason=reason))
        out.services += listing.items.get("services", [])
        out.slices += listing.items.get("endpointslices", [])
        out.pods += listing.items.get("pods", [])
        if not (all_namespaces or listing.items.get("services")) and _namespace_missing(
            kube, listing.namespace
        ):
            errors.append(NamespaceError(namespace=listing.namespace, reason="namespace does not exist"))
    return out


def _fallback_per_namespace(
    kube: Kube, failed: _Listing, concurrency: int, progress: Progress | None
) -> tuple[list[_Listing], list[dict[str, Any]] | None, list[NamespaceError]]:
    """Services may not be listed cluster-wide: read namespace by namespace, if namespaces can be listed."""
    denied = NamespaceError(
        namespace=ALL, reason=f"cannot list across all namespaces: {_reason(failed.failures['services'])}"
    )
    try:
        names = [
            str(n["metadata"]["name"])
            for n in kube.list_all("/api/v1/namespaces", page_size=PAGE_SIZE, what="listing namespaces")
        ]
    except (Unauthorized, Unreachable):
        raise
    except (ClusterError, NotFound):
        return [], None, [denied]
    listings, nodes = _read(kube, names, concurrency=concurrency, progress=progress)
    return listings, nodes, [denied]
