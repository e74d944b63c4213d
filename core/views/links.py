"""Shareable links: the one place that builds and reads the URL of a stored scan.

A link is ``<USHADOW_PUBLIC_URL>/scan?scan=<scan_id>``: the dashboard's Scan page reopens the stored
result from the ``scan`` query parameter, without rescanning. Scan ids are ``secrets.token_urlsafe``
strings (see ``core.naming.new_id``), so anything else in the parameter is refused with a clear message.

The Scan page's URL holds one of two things: the stored scan on show (``?scan=<id>``, its cluster is
implied, so the address bar *is* the shareable link), or, before there is a result, the cluster being
scanned (``?cluster=<id>``). :func:`scan_page_params` is that rule; links inside the dashboard are
relative (:func:`scan_path`, :func:`cluster_scan_path`), so they work whatever the public URL says.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode, urlsplit

from core.errors import InvalidInput

SCAN_PAGE = "scan"
SCAN_PARAM = "scan"
CLUSTER_PARAM = "cluster"
SCAN_PAGE_PARAMS = (SCAN_PARAM, CLUSTER_PARAM)
SCAN_ID_MIN, SCAN_ID_MAX = 16, 64
_SCAN_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def public_base(public_url: str, *, configured: bool, seen_at: str | None) -> str:
    """The base URL links are written with: ``USHADOW_PUBLIC_URL`` when it is set; otherwise the
    address the browser reached this page at (``seen_at``, without the page's own path segment), so
    a dashboard served on another port or behind a proxy links to itself; else ``public_url``."""
    if configured or not seen_at:
        return public_url
    try:
        parts = urlsplit(seen_at.strip())
    except ValueError:
        return public_url
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        return public_url
    prefix = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}".rstrip("/")


def scan_link(public_url: str, scan_id: str) -> str:
    """The URL that reopens a stored scan on the dashboard's Scan page."""
    base = public_url.strip().rstrip("/")
    return f"{base}/{scan_path(scan_id)}"


def scan_path(scan_id: str) -> str:
    """A stored scan's link relative to the dashboard (``scan?scan=<id>``), for links inside it."""
    return f"{quote(SCAN_PAGE)}?{urlencode(scan_page_params(scan_id=scan_id))}"


def cluster_scan_path(cluster_id: str) -> str:
    """The Scan page for one cluster, relative to the dashboard (``scan?cluster=<id>``)."""
    return f"{quote(SCAN_PAGE)}?{urlencode(scan_page_params(cluster_id=cluster_id))}"


def scan_page_params(*, scan_id: str | None = None, cluster_id: str | None = None) -> dict[str, str]:
    """The Scan page's query parameters: a stored scan's id alone (it implies its cluster), else the
    cluster being scanned, else nothing. Every parameter of the page is a key of the answer or absent.
    """
    if scan_id is not None:
        return {SCAN_PARAM: parse_scan_id(scan_id)}
    if cluster_id:
        return {CLUSTER_PARAM: cluster_id}
    return {}


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


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an absolute http(s) URL, loopback names as one host; else None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, "localhost" if host in _LOOPBACK else host, port or _DEFAULT_PORTS[scheme]


def elsewhere(link: str, seen_at: str | None) -> bool:
    """Whether ``link`` points at another address than the one a browser reached the dashboard at
    (``seen_at``); False when either is unknown. Says when USHADOW_PUBLIC_URL needs setting."""
    here, there = origin(seen_at or ""), origin(link)
    return here is not None and there is not None and here != there
