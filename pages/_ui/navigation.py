"""Where the page files are, and running as a ``st.navigation`` app from the very first run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent


def page_file(name: str) -> str:
    """The absolute path of page ``name`` (for ``st.Page`` and ``st.page_link``).

    Absolute, so pages resolve the same whichever script Streamlit treats as the main one.
    """
    return str(PAGES_DIR / f"{name}.py")


def leave_legacy_pages_mode() -> None:
    """Make sure this app runs as a ``st.navigation`` app, even on a server's first run.

    Streamlit treats a ``pages/`` folder beside the main script as an old-style multipage app
    (every file a page, ``dashboard.py`` included, run without our frame) until
    ``st.navigation`` is called once. Our pages live in ``pages/`` because they are a package, so
    when a server's first run hits a page link directly, switch the mode and run the frame again.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None or not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    st.rerun()
