"""Messages left for the next run of a page (after an action reruns it), shown once."""

from __future__ import annotations

import streamlit as st

from pages._ui.errors import error_markdown, log_error

FLASH_KINDS = {
    "success": (st.success, ":material/check_circle:"),
    "warning": (st.warning, ":material/warning:"),
    "error": (st.error, ":material/error:"),
}


def flash(key: str, kind: str, text: str) -> None:
    """Leave a message for the next run of the page (shown once by :func:`show_flashes`)."""
    st.session_state.setdefault(key, []).append((kind, text))


def flash_error(key: str, exc: BaseException) -> None:
    """Leave ``exc`` for the next run of the page, drawn as ``show_error`` draws it."""
    log_error(exc)
    flash(key, "error", error_markdown(exc))


def show_flashes(key: str) -> None:
    for kind, text in st.session_state.pop(key, []):
        draw, icon = FLASH_KINDS.get(kind, (st.info, ":material/info:"))
        draw(text, icon=icon)
