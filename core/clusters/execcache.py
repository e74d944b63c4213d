"""Exec credential plugins run once per credential, not on every request, check and scan (as client-go).

The ``ExecCredential`` a plugin prints is kept in this process's memory (never on disk), keyed by a
digest of the stored credential (so two clusters with the same exec block share it, and a changed
block runs again). It is used until shortly before its ``status.expirationTimestamp``; without one,
for the life of the process, except that a 401 from the API server makes the client forget it and
run the plugin once more (:meth:`core.clusters.kube.Kube` does that once per client). The allowlist
is checked again on every use, so a command taken off ``USHADOW_EXEC_ALLOWLIST`` stops at once.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

from core.clusters.execplugins import ExecResult, allowed_binary, parse_exec, run_exec_plugin
from core.clusters.kubeconfigs import Credential

REFRESH_BEFORE = timedelta(seconds=30)
"""A cached credential is renewed this long before it expires (a request may take a while)."""

_lock = threading.Lock()
_cached: dict[str, ExecResult] = {}
_running: dict[str, threading.Lock] = {}


def _key(credential: Credential) -> str:
    return hashlib.sha256(credential.to_bytes()).hexdigest()


def _usable(result: ExecResult, now: datetime) -> bool:
    return result.expires is None or now < result.expires - REFRESH_BEFORE


def plugin_result(
    credential: Credential, *, allowlist: frozenset[str], timeout: float, now: datetime | None = None
) -> ExecResult:
    """The credential's plugin output: cached while valid, else from a new run of the plugin."""
    spec = credential.exec_spec or {}
    allowed_binary(parse_exec(credential.user_name, spec).command, allowlist)
    key = _key(credential)
    with _lock:
        running = _running.setdefault(key, threading.Lock())
    with running:  # one run per credential at a time: parallel checks wait for it, then share it
        moment = now or datetime.now(UTC)
        with _lock:
            hit = _cached.get(key)
        if hit is not None and _usable(hit, moment):
            return hit
        got = run_exec_plugin(spec, allowlist=allowlist, cluster_server=credential.server, timeout=timeout)
        with _lock:
            for stale in [k for k, v in _cached.items() if not _usable(v, moment)]:
                del _cached[stale]
            _cached[key] = got
        return got


def forget(credential: Credential) -> None:
    """Drop the credential's cached plugin output (after the API server refused it)."""
    with _lock:
        _cached.pop(_key(credential), None)


def clear() -> None:
    """Forget every cached plugin output."""
    with _lock:
        _cached.clear()
