"""The dashboard as an ASGI app: ``streamlit run serve.py`` (what ``make demo`` and the image run).

It is ``dashboard.py`` plus what a deployment needs around it: ``/healthz`` for Kubernetes probes
(the database answers and is at the current schema), the HTTP API under ``/api`` (``core.api``), and Streamlit's own script-error hook as the
last catch-all, so an error that escapes a page (a widget callback, say) still reaches a person as
a message with what to try, and the log as a full trace. ``streamlit run dashboard.py`` works too,
without these two.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.api.app import api_routes
from core.settings import Settings
from core.store.health import health
from core.store.store import Store

log = logging.getLogger("ushadow.dashboard")


@lru_cache(maxsize=1)
def _settings() -> Settings:
    return Settings.load()


@lru_cache(maxsize=1)
def _store() -> Store:
    return Store.open(_settings())


async def healthz(request: Request) -> JSONResponse:
    try:
        ok, detail = health(_store())
    except Exception as exc:  # the store could not even be opened
        ok, detail = False, {"database": "unreachable", "error": type(exc).__name__}
    return JSONResponse({"status": "ok" if ok else "unhealthy", **detail}, status_code=200 if ok else 503)


def on_script_error(exc: Exception) -> bool:
    """Show any error that escaped a page as a message (and log its trace); never a traceback."""
    from pages._ui.errors import show_error

    show_error(exc)
    return True


app = st.App(
    str(Path(__file__).resolve().with_name("dashboard.py")),
    routes=[Route("/healthz", healthz), *api_routes(_store, _settings)],
    on_script_error=on_script_error,
)
