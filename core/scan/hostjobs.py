"""Scanning a stored Docker host and keeping the result with the scan history."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.hosts.engines import engine
from core.hosts.registering import stored_credential
from core.scan.hostscan import timed_scan
from core.scan.notifying import notify_change
from core.scan.reports import compute_changes
from core.settings import Settings
from core.store.scans import ScanResult
from core.store.store import Store

log = logging.getLogger(__name__)


def run_host_scan(
    store: Store,
    settings: Settings,
    ref: str,
    *,
    actor: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> ScanResult:
    """Read the host's running containers, recognise them, store and return the scan.

    As a cluster's scan (``core.scan.jobs.run_scan``): the diff against the previous scan is kept
    with it, and a change is posted to ``USHADOW_NOTIFY_URL`` (a failing webhook is a warning
    ``warn`` hears, else a logged one, never a failed scan)."""
    host = store.get_host(ref)
    with engine(stored_credential(store, host.host_id), settings) as client:
        result = timed_scan(host.host_id, host.url, lambda: client.api.containers())
    if actor is not None:
        result = result.model_copy(update={"created_by": actor})
    diff = compute_changes(store, result)
    saved = store.save_scan(result, changes=diff.to_json())
    warning = notify_change(settings, saved, diff, cluster_name=host.name)
    if warning:
        (warn or log.warning)(warning)
    return saved
