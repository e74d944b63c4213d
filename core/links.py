"""Shareable links: the one place that builds and reads the URL of a stored scan.

A link is ``<USHADOW_PUBLIC_URL>/scan?scan=<scan_id>``: the dashboard's Scan page reopens the stored
result from the ``scan`` query parameter, without rescanning. Scan ids are ``secrets.token_urlsafe``
strings (see ``core.store.new_id``), so anything else in the parameter is refused with a clear message.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from core.errors import InvalidInput

SCAN_PAGE = "scan"
SCAN_PARAM = "scan"
SCAN_ID_MIN, SCAN_ID_MAX = 16, 64
_SCAN_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def scan_link(public_url: str, scan_id: str) -> str:
    """The URL that reopens a stored scan on the dashboard's Scan page."""
    base = public_url.strip().rstrip("/")
    return f"{base}/{quote(SCAN_PAGE)}?{urlencode({SCAN_PARAM: parse_scan_id(scan_id)})}"


def parse_scan_id(value: str | None) -> str:
    """A well-formed scan id from a query parameter or a command-line argument.

    Raises ``InvalidInput`` for a missing, empty or malformed value (the message never echoes more
    than a short prefix of what was given).
    """
    if value is None or not str(value).strip():
        raise InvalidInput(
            "no scan id given", hint=f"open a shared link, or add ?{SCAN_PARAM}=<scan id> to the URL"
        )
    text = str(value).strip()
    shown = text if len(text) <= 40 else text[:40] + "..."
    if not _SCAN_ID.match(text):
        raise InvalidInput(
            f"scan id {shown!r} is malformed: only letters, digits, '-' and '_' are allowed",
            hint="copy the whole link again; `ushadow-ops scans list` shows the stored scan ids",
        )
    if not SCAN_ID_MIN <= len(text) <= SCAN_ID_MAX:
        raise InvalidInput(
            f"scan id {shown!r} is malformed: it has {len(text)} characters, "
            f"a scan id has {SCAN_ID_MIN} to {SCAN_ID_MAX}",
            hint="copy the whole link again; `ushadow-ops scans list` shows the stored scan ids",
        )
    return text
