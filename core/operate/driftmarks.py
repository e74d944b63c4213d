"""The drift column of a list of workloads: per deployed service *in sync*, *cluster drift*,
*source drift* (or both), or *unknown*, without stalling the page that shows it. Calls out.

Each service is checked (``core.operate.drifting.check_service``: a dry-run apply and a re-render)
on a small pool of threads; a caller waits at most ``deadline`` seconds (the request timeout) for
all of them together, and a check not finished by then is *unknown (checking)* this time and its
answer is kept for the next call. Answers are kept for ``ttl`` seconds per service and recorded
deploy, so a page that refreshes every few seconds checks each service at most once per ``ttl``.
One :class:`DriftMarks` is shared by every viewer of a dashboard process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from core.errors import UshadowError
from core.operate.drift import latest_record
from core.operate.drifting import ServiceDrift, check_service
from core.operate.operating import Operator
from core.settings import Settings
from core.store.records import Deployment
from core.store.store import Store

log = logging.getLogger(__name__)

IN_SYNC, CLUSTER, SOURCE, BOTH = "in sync", "cluster drift", "source drift", "cluster + source drift"
UNKNOWN = "unknown"
TTL = 30.0
"""Seconds a service's drift answer is reused."""

Key = tuple[str, str, str, str]  # cluster id, namespace, workload name, deployment id


@dataclass(frozen=True)
class DriftMark:
    state: str  # IN_SYNC, CLUSTER, SOURCE, BOTH or UNKNOWN
    detail: str = ""  # how many fields, or why unknown
    drift: ServiceDrift | None = None  # the whole answer (the per-service diff view shows it)


def mark_of(found: ServiceDrift) -> DriftMark:
    cluster = sum(1 for f in found.fields if f.kind == "cluster")
    source = sum(1 for f in found.fields if f.kind == "source")
    state = BOTH if cluster and source else CLUSTER if cluster else SOURCE if source else IN_SYNC
    detail = f"{len(found.fields)} field(s)" if found.fields else ""
    if found.source_error and not source:
        detail = (detail + "; " if detail else "") + "source not checked"
    return DriftMark(state, detail, found)


class DriftMarks:
    """Drift of many deployed services, each check bounded, answers kept for a short time."""

    def __init__(self, *, ttl: float = TTL, workers: int = 4) -> None:
        self.ttl = ttl
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift")
        self._lock = threading.Lock()
        self._kept: dict[Key, tuple[float, DriftMark]] = {}
        self._running: dict[Key, Future[DriftMark]] = {}

    def kept(self, key: Key) -> DriftMark | None:
        """A fresh answer for ``key``, if one is kept."""
        with self._lock:
            found = self._kept.get(key)
        return found[1] if found and time.monotonic() - found[0] < self.ttl else None

    def marks(
        self,
        store: Store,
        settings: Settings,
        cluster_id: str,
        namespace: str,
        names: Sequence[str],
        dirs: Sequence[Path],
        *,
        deadline: float,
    ) -> dict[str, DriftMark]:
        """A mark per workload name; waits at most ``deadline`` seconds for the checks it starts."""
        records = store.list_deployments(cluster_id, limit=1000)
        out: dict[str, DriftMark] = {}
        pending: dict[str, Future[DriftMark]] = {}
        for name in names:
            record = latest_record(records, namespace, name)
            if record is None:
                out[name] = DriftMark(UNKNOWN, "no recorded deploy")
                continue
            key: Key = (cluster_id, namespace, name, record.deployment_id)
            fresh = self.kept(key)
            if fresh is not None:
                out[name] = fresh
            else:
                pending[name] = self._start(key, store, settings, record, dirs)
        if pending:
            wait(pending.values(), timeout=deadline)
        for name, future in pending.items():
            out[name] = future.result() if future.done() else DriftMark(UNKNOWN, "checking")
        return out

    def _start(
        self, key: Key, store: Store, settings: Settings, record: Deployment, dirs: Sequence[Path]
    ) -> Future[DriftMark]:
        with self._lock:
            running = self._running.get(key)
            if running is not None:
                return running
            future = self._pool.submit(self._check, key, store, settings, record, dirs)
            self._running[key] = future
            return future

    def _check(
        self, key: Key, store: Store, settings: Settings, record: Deployment, dirs: Sequence[Path]
    ) -> DriftMark:
        try:
            with Operator(store, settings, key[0]) as ops:
                mark = mark_of(check_service(ops, record, dirs))
        except UshadowError as exc:
            mark = DriftMark(UNKNOWN, exc.message)
        except Exception as exc:  # one service's surprise is its own mark, not the page's
            log.exception("drift check of %s failed unexpectedly", key[2])
            mark = DriftMark(UNKNOWN, f"check failed ({type(exc).__name__})")
        now = time.monotonic()
        with self._lock:
            self._running.pop(key, None)
            for old in [k for k, (at, _) in self._kept.items() if now - at >= self.ttl]:
                del self._kept[old]  # what is kept stays as small as what is on screen
            self._kept[key] = (now, mark)
        return mark
