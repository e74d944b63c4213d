"""Driving the dashboard's pages with ``AppTest``: shared by every page test module."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pages._ui.navigation import page_file

ENTRY = Path(__file__).resolve().parent / "dashboard_entry.py"  # why not dashboard.py: see that file


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}


def open_page(
    page: str,
    *,
    secrets: dict[str, object] | None = None,
    user: dict[str, object] | None = None,
    timeout: float = 60,
    **query: str,
) -> AppTest:
    """Run the dashboard, then switch to ``page`` with ``query`` as its URL parameters."""
    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    at.secrets.update(secrets or {})
    if user is not None:
        at.user = user
    at.run()
    assert not at.exception, at.exception
    at.query_params.update(query)
    return at.switch_page(page_file(page)).run()


def plain(markdown: str) -> str:
    """Markdown as read: without the backslashes that keep ``_`` or ``<`` literal."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> list[str]:
    """Every error, warning, info and success message on the page, as read."""
    return [plain(e.value) for kind in (at.error, at.warning, at.info, at.success) for e in kind]


def confirm(at: AppTest, prefix: str, name: str) -> AppTest:
    """Open the type-the-name confirmation ``prefix`` (pages/_ui/confirm.py), type ``name``, confirm."""
    at.button(key=f"{prefix}_start").click().run()
    assert not at.exception, at.exception
    at.text_input(key=f"{prefix}_name").set_value(name)
    return at.button(key=f"{prefix}_confirm").click().run()
