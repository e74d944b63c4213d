"""A stored scan as people are handed it: the CLI contract's JSON (``ScanResult.to_json``) with the
cluster's name and what changed since the previous scan of the same namespaces.

``ushadow-ops scan --json`` / ``scans show --json`` print it and the Scan page offers it as its JSON
download, so both hand out the same document.
"""

from __future__ import annotations

from typing import Any

from core.scandiff import ScanDiff, diff_scans
from core.scans import ScanResult
from core.store import Store


def changes_since_previous(store: Store, result: ScanResult) -> ScanDiff:
    """What changed since the stored scan of the same cluster and namespaces before ``result``."""
    return diff_scans(store.previous_scan(result), result)


def scan_document(
    result: ScanResult, *, link: str, cluster_name: str | None, changes: ScanDiff
) -> dict[str, Any]:
    """The CLI contract's scan JSON with ``cluster`` (its name) and ``changes`` (``ScanDiff.to_json``)."""
    data = result.to_json(link)
    data["cluster"] = cluster_name
    data["changes"] = changes.to_json()
    return data
