"""A stored scan as people are handed it: the CLI contract's JSON (``ScanResult.to_json``) with the
cluster's name and what changed since the previous scan of the same namespaces.

``ushadow-ops scan --json`` / ``scans show --json`` print it and the Scan page offers it as its JSON
download, so both hand out the same document.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.scan.diffs import ScanDiff, diff_scans
from core.store.scans import ScanResult
from core.store.store import Store
from core.store.summaries import ScanSummary


def changes_since_previous(store: Store, result: ScanResult) -> ScanDiff:
    """What changed since the stored scan of the same cluster and namespaces before ``result``; when
    there is none, since the latest earlier scan that read some of the same namespaces, compared
    on those only (``ScanDiff.compared_namespaces`` names them).

    Computed once, when the scan is stored (:func:`keep_changes`), and read back from then on; a
    scan stored before diffs were kept gets its diff computed and kept the first time it is asked."""
    kept = store.scan_changes(result.scan_id)
    if kept is not None:
        return ScanDiff.from_json(kept)
    return keep_changes(store, result)


def keep_changes(store: Store, result: ScanResult) -> ScanDiff:
    """Compute ``result``'s diff against the scans stored before it, and keep it with the scan."""
    diff = compute_changes(store, result)
    store.keep_scan_changes(result.scan_id, diff.to_json())
    return diff


def compute_changes(store: Store, result: ScanResult) -> ScanDiff:
    """``result``'s diff against the scans stored before it (``run_scan`` stores it with the scan)."""
    previous = store.previous_scan(result)
    if previous is not None:
        return diff_scans(previous, result)
    for earlier in store.summaries_before(result, limit=20):
        common = _common_namespaces(earlier, result)
        if common:
            whole = store.get_scan(earlier.scan_id)
            diff = diff_scans(_within(whole, common), _within(result, common))
            return replace(diff, compared_namespaces=tuple(sorted(common)))
    return diff_scans(None, result)


def _read(scan: ScanResult | ScanSummary) -> set[str] | None:
    """The namespaces a scan read; None for all of them."""
    return None if scan.all_namespaces else set(scan.namespaces)


def _common_namespaces(a: ScanResult | ScanSummary, b: ScanResult) -> set[str]:
    first, second = _read(a), _read(b)
    if first is None or second is None:
        return (first or second or set()) - {"*"}
    return first & second


def _within(scan: ScanResult, namespaces: set[str]) -> ScanResult:
    return scan.model_copy(
        update={
            "matches": [m for m in scan.matches if m.namespace in namespaces],
            "errors": [e for e in scan.errors if e.namespace in namespaces],
        }
    )


def scan_document(
    result: ScanResult, *, link: str, cluster_name: str | None, changes: ScanDiff
) -> dict[str, Any]:
    """The CLI contract's scan JSON with ``cluster`` (its name) and ``changes`` (``ScanDiff.to_json``)."""
    data = result.to_json(link)
    data["cluster"] = cluster_name
    data["changes"] = changes.to_json()
    return data
