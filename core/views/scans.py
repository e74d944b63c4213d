"""The Scan page's tables, texts and downloads, built from stored scans (pure: data in, data out).

A :class:`~core.store.scans.ScanResult` goes in; a pandas ``DataFrame``, a line of text or a CSV comes out.
The page only adds how each column is drawn (``st.column_config``), keyed by the column names here,
so everything the tables say is tested without a cluster or a browser.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd

from core.settings import who
from core.store.scans import Match, ScanResult
from core.store.summaries import ScanSummary
from core.views.urlstate import scan_path

# What people need first, first: on a 390 px phone the first two or three columns are all that
# shows, so the endpoint and the connection string (the most useful values) come right after the name.
SUMMARY_COLUMNS = (
    "type",
    "main endpoint",
    "readiness",
    "services",
    "ready endpoints",
    "default port",
    "found",
)
MATCH_COLUMNS = (
    "service",
    "connection string",
    "type",
    "namespace",
    "readiness",
    "ready endpoints",
    "service type",
    "endpoints",
    "reason",
)
HISTORY_COLUMNS = ("shown", "when", "namespaces", "found", "services", "errors", "by", "link")
ERROR_COLUMNS = ("namespace", "reason")


# -- texts ----------------------------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime (as SQLite hands them back) is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def when(value: datetime) -> str:
    """``2026-01-02 10:05:00 UTC``."""
    return f"{utc(value):%Y-%m-%d %H:%M:%S} UTC"


def namespaces_text(namespaces: Iterable[str], all_namespaces: bool) -> str:
    """What a scan covers, as people read it: ``all namespaces`` or the names, comma-separated."""
    return "all namespaces" if all_namespaces else ", ".join(namespaces)


def where(scan: ScanResult | ScanSummary) -> str:
    """The namespaces ``scan`` covered (see :func:`namespaces_text`)."""
    return namespaces_text(scan.namespaces, scan.all_namespaces)


def download_stem(cluster_name: str, scan: ScanResult) -> str:
    """The downloads' file name without its extension: ``scan-<cluster>-<YYYYmmdd-HHMMSS>`` (UTC)."""
    return f"scan-{cluster_name}-{utc(scan.scanned_at):%Y%m%d-%H%M%S}"


def known_namespaces(own: str, scans: Iterable[ScanResult | ScanSummary]) -> list[str]:
    """The namespaces to offer: the cluster's ``own``, then those scanned before, each once, in order."""
    return list(dict.fromkeys([own, *(ns for s in scans for ns in s.namespaces)]))


def readiness(match: Match) -> str:
    """ready (a ready endpoint), not ready (found, but none ready), or unknown (slices not readable)."""
    if "ready" in match.extra and match.extra["ready"] is None:
        return "unknown"
    return "ready" if match.ready_endpoints > 0 else "not ready"


def type_readiness(matches: list[Match]) -> str:
    """One type's readiness: empty (nothing found), the one state all share, or ``N of M ready``."""
    states = [readiness(m) for m in matches]
    if not states:
        return ""
    if len(set(states)) == 1:
        return states[0]
    return f"{states.count('ready')} of {len(states)} ready"


# -- tables ---------------------------------------------------------------------------------------


def summary_table(scan: ScanResult) -> pd.DataFrame:
    """Every type of the catalog: found or not, its main endpoint and readiness (found ones first)."""
    rows = []
    for infra_type, port in scan.catalog.items():
        matches = scan.matches_of(infra_type)
        rows.append(
            {
                "type": infra_type,
                "found": bool(matches),
                "services": len(matches),
                "default port": port,
                "main endpoint": matches[0].endpoints[0] if matches and matches[0].endpoints else "",
                "ready endpoints": sum(m.ready_endpoints for m in matches),
                "readiness": type_readiness(matches),
            }
        )
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return table.sort_values("found", ascending=False, kind="stable").reset_index(drop=True)


def found_summary(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """:func:`summary_table`'s rows of the types found, and the names of the types not found (for
    one "not found: a, b, c" line instead of a row each)."""
    found = table[table["found"]].reset_index(drop=True)
    return found, [str(t) for t in table.loc[~table["found"], "type"]]


def matches_table(scan: ScanResult) -> pd.DataFrame:
    """One row per Service recognised (a Helm release's Services are one row, primary first)."""
    rows = [
        {
            "type": m.infra_type,
            "service": m.service,
            "namespace": m.namespace,
            "service type": m.service_type + (" (pending)" if m.extra.get("pending") else ""),
            "endpoints": list(m.endpoints),
            "ready endpoints": m.ready_endpoints,
            "readiness": readiness(m),
            "reason": m.reason,
            "connection string": m.connection_string or "",
        }
        for m in scan.matches
    ]
    return pd.DataFrame(rows, columns=list(MATCH_COLUMNS))


def matches_csv(table: pd.DataFrame) -> str:
    """:func:`matches_table` as CSV, each row's endpoints joined by spaces into one cell."""
    flat = table.copy()
    flat["endpoints"] = flat["endpoints"].map(" ".join)
    text: str = flat.to_csv(index=False)
    return text


def errors_table(scan: ScanResult) -> pd.DataFrame:
    """The namespaces that could not be read, and why."""
    return pd.DataFrame([e.model_dump() for e in scan.errors], columns=list(ERROR_COLUMNS))


def history_table(scans: list[ScanSummary], shown: ScanResult | None) -> pd.DataFrame:
    """One row per stored scan (its summary: lists never read matches), in the order given;
    ``shown`` marks the one on show (if any)."""
    rows = [
        {
            "shown": s.scan_id == (shown.scan_id if shown else None),
            "when": utc(s.scanned_at),
            "namespaces": where(s),
            "found": list(s.found),
            "services": s.match_count,
            "errors": s.error_count,
            "by": who(s.created_by),
            "link": scan_path(s.scan_id),
        }
        for s in scans
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
