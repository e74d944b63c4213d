"""Scanning a stored Docker host and keeping the result with the scan history."""

from __future__ import annotations

from core.hosts.engines import engine
from core.hosts.registering import stored_credential
from core.scan.hostscan import timed_scan
from core.settings import Settings
from core.store.scans import ScanResult
from core.store.store import Store


def run_host_scan(store: Store, settings: Settings, ref: str, *, actor: str | None = None) -> ScanResult:
    """Read the host's running containers, recognise them, store and return the scan."""
    host = store.get_host(ref)
    with engine(stored_credential(store, host.host_id), settings) as client:
        result = timed_scan(host.host_id, host.url, lambda: client.api.containers())
    if actor is not None:
        result = result.model_copy(update={"created_by": actor})
    return store.save_scan(result)
