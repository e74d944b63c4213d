"""The Scan page's view of one stored scan, shared by every viewer of its link.

A link posted in a team chat is opened by many people at once. A stored scan never changes, and its
diff is kept with it, so what they all see (the scan, its diff and its tables) is built once per
scan id and held by the process for every session, for a bounded number of scans and time.
"""

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.errors import UshadowError
from core.scan.diffs import ScanDiff
from core.scan.reports import changes_since_previous
from core.settings import Settings
from core.store.scans import ScanResult
from core.views.scans import errors_table, matches_table, summary_table
from core.views.urlstate import parse_scan_id
from pages._ui.errors import show_error
from pages._ui.resources import get_store

# at most this many scans are held, each for at most this long
VIEWS_KEPT = 8
VIEW_SECONDS = 3600


@dataclass(frozen=True)
class ScanView:
    """A stored scan with its diff and tables: the same for every viewer (treat as read-only)."""

    scan: ScanResult
    diff: ScanDiff
    summary: pd.DataFrame
    matches: pd.DataFrame
    errors: pd.DataFrame
    matches_arrow: Any  # ``matches`` as an Arrow table, what ``st.dataframe`` sends (or the DataFrame)


def _arrow(table: pd.DataFrame) -> Any:
    """``table`` converted to Arrow once for every viewer: ``st.dataframe`` sends an Arrow table as
    it is, where it converts a DataFrame again on every run of every session. The DataFrame itself
    if Arrow cannot hold it as it is (``st.dataframe`` then applies its own fixes)."""
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(table, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return table


@st.cache_resource(max_entries=VIEWS_KEPT, ttl=VIEW_SECONDS, show_spinner=False)
def _build(database_url: str, scan_id: str) -> ScanView:
    store = get_store()
    scan = store.get_scan(scan_id)
    matches = matches_table(scan)
    return ScanView(
        scan=scan,
        diff=changes_since_previous(store, scan),
        summary=summary_table(scan),
        matches=matches,
        errors=errors_table(scan),
        matches_arrow=_arrow(matches),
    )


def scan_view(database_url: str, scan_id: str) -> ScanView:
    """The view of a stored scan, built once per scan id (a stored scan never changes, and its diff
    is kept with it). A scan removed since (with its cluster, or pruned) is not found, as before."""
    if not get_store().has_scan(scan_id):
        get_store().get_scan(scan_id)  # raises the store's NotFound, with its hint
    return _build(database_url, scan_id)


def open_stored(settings: Settings, value: str) -> ScanView | None:
    """The stored scan the link names; a malformed or unknown id is drawn as an error (None)."""
    try:
        return scan_view(settings.database_url, parse_scan_id(value))
    except UshadowError as exc:
        show_error(exc)
        return None
