"""Who may call: bearer tokens (``core.store.tokens``), roles, and a per-client limit on failed
token checks so that tokens cannot be guessed at speed.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from core.errors import NotAuthenticated, PermissionDenied, RateLimited
from core.store.store import Store
from core.store.tokens import ApiToken

WINDOW = 60.0  # seconds over which failures are counted


class FailureLimiter:
    """At most ``limit`` failed token checks per client in any :data:`WINDOW`; then 429 until they age out."""

    def __init__(self, limit: int, window: float = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def check(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) >= self.limit:
                wait = max(1, int(self.window - (now - times[0])) + 1)
                raise RateLimited(
                    f"too many failed token checks from {client}",
                    hint=f"wait {wait}s; then send a valid token",
                    retry_after=wait,
                )
            if not times:
                self._failures.pop(client, None)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > 10_000:  # forget the oldest clients rather than grow without bound
                for key in list(self._failures)[:1000]:
                    del self._failures[key]


def bearer(header: str | None) -> str:
    hint = "send `Authorization: Bearer <token>` with a token from `ushadow-ops tokens create NAME`"
    if not header:
        raise NotAuthenticated("this endpoint needs an API token", hint=hint)
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("the Authorization header is not `Bearer <token>`", hint=hint)
    return value.strip()


def authenticate(store: Store, limiter: FailureLimiter, client: str, header: str | None) -> ApiToken:
    """The caller's token, or :class:`NotAuthenticated` (counted against ``client``)."""
    limiter.check(client)
    try:
        return store.tokens.check(bearer(header))
    except NotAuthenticated:
        limiter.failed(client)
        raise


def require_operator(token: ApiToken, what: str) -> None:
    if not token.may_change:
        raise PermissionDenied(
            f"token {token.name!r} is a viewer token: it may read, not {what}",
            hint="use an operator token (`ushadow-ops tokens create NAME --role operator`)",
        )
