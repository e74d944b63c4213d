"""Telling a webhook that a scan found a change (``USHADOW_NOTIFY_URL``). Calls out.

The body is JSON: the target (cluster and namespaces), the scan's id, time and shareable link, and
the diff against the previous scan of the target (its summary lines and counts). Scans hold no
secret values (Services, endpoints and ``scheme://host:port`` connection strings), and the webhook
URL, which often carries a token, is named in warnings by its scheme and host only.

A webhook that fails (refused, slow, a non-2xx answer) gives a warning: the scan is stored and
succeeds all the same.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

from core.scan.diffs import ScanDiff
from core.settings import Settings
from core.store.scans import ScanResult
from core.views.urlstate import scan_link

NOTIFY_TIMEOUT = 5.0
"""Seconds the webhook may take to answer (at most the request timeout, when that is shorter)."""


def where(url: str) -> str:
    """``scheme://host[:port]`` of a webhook URL: its path and query may hold a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def notification(
    result: ScanResult, diff: ScanDiff, *, link: str, cluster_name: str | None
) -> dict[str, Any]:
    """The webhook's JSON body for ``result`` and its diff."""
    return {
        "event": "scan.changed",
        "target": {
            "cluster_id": result.cluster_id,
            "cluster": cluster_name,
            "namespaces": list(result.namespaces),
            "all_namespaces": result.all_namespaces,
        },
        "scan_id": result.scan_id,
        "scanned_at": result.scanned_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "link": link,
        "previous_scan_id": diff.previous_scan_id,
        "summary": diff.lines(),
        "counts": {
            "added": sum(c.kind == "added" for c in diff.changes),
            "removed": sum(c.kind == "removed" for c in diff.changes),
            "changed": sum(c.kind == "changed" for c in diff.changes),
            "types_found": len(diff.types_found),
            "types_lost": len(diff.types_lost),
            "errors_added": len(diff.errors_added),
            "errors_cleared": len(diff.errors_cleared),
        },
    }


def notify_change(
    settings: Settings, result: ScanResult, diff: ScanDiff, *, cluster_name: str | None
) -> str | None:
    """POST ``result``'s change to ``USHADOW_NOTIFY_URL``, when one is set and something changed.

    Returns a warning when the webhook failed; None when it was told, or had nothing
    to be told (no URL, the first scan of a target, no change)."""
    if not settings.notify_url or diff.first_scan or diff.unchanged:
        return None
    body = notification(
        result, diff, link=scan_link(settings.public_url, result.scan_id), cluster_name=cluster_name
    )
    request = urllib.request.Request(
        settings.notify_url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "ushadow-ops"},
    )
    timeout = min(NOTIFY_TIMEOUT, settings.request_timeout)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(4096)
        return None
    except urllib.error.HTTPError as exc:
        problem = f"answered HTTP {exc.code}"
    except ValueError:
        problem = "is not a URL urllib can post to (http:// or https://)"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        text = str(reason).replace(settings.notify_url, where(settings.notify_url))[:160]
        problem = f"failed ({type(reason).__name__}: {text})"
    return f"the change of scan {result.scan_id} was not sent: the webhook at {where(settings.notify_url)} {problem}"
