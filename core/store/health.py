"""The dashboard's health: is the database reachable and at the current schema? (``/healthz``)"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from core import __version__
from core.store.store import Store


def health(store: Store) -> tuple[bool, dict[str, Any]]:
    """(healthy, details) without raising: a probe must always get an answer."""
    started = time.monotonic()
    try:
        with store.engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        ok, detail = True, {"database": "ok", "schema": revision}
    except Exception as exc:  # any failure is the answer, not a crash
        ok, detail = False, {"database": "unreachable", "error": type(exc).__name__}
    detail["version"] = __version__
    detail["ms"] = round((time.monotonic() - started) * 1000, 1)
    return ok, detail
