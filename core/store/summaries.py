"""A line of a list of scans: what a scan covered and found, kept in the scan's own row so that
lists (the Scan page's history, the Clusters page, ``scans list``) never read match rows.

Plain data, importable without pydantic or SQLAlchemy (a command that only lists pays for neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.store.scans import ScanResult


@dataclass(frozen=True)
class ScanSummary:
    """One line of a list of scans: what a scan covered and found, without its matches."""

    scan_id: str
    cluster_id: str
    namespaces: list[str]
    all_namespaces: bool
    scanned_at: datetime
    found: list[str]  # the catalog types with at least one match, in catalog order
    match_count: int
    error_count: int
    duration_ms: int | None
    created_by: str | None
    same_as: str | None = None  # stored as a reference to this scan (it found the same)

    @classmethod
    def of(cls, scan: ScanResult) -> ScanSummary:
        return cls(
            scan_id=scan.scan_id,
            cluster_id=scan.cluster_id,
            namespaces=list(scan.namespaces),
            all_namespaces=scan.all_namespaces,
            scanned_at=scan.scanned_at,
            found=scan.found_types(),
            match_count=len(scan.matches),
            error_count=len(scan.errors),
            duration_ms=scan.duration_ms,
            created_by=scan.created_by,
        )
