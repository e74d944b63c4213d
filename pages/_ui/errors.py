"""THE place an exception becomes what a person sees, and the dashboard's own log.

Anything that goes wrong reaches a person through :func:`show_error` (a ``core`` error as what
happened and what to try; anything else as its type and a short message, with the full trace in
the log), never as a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.errors import FragmentHandledException
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from core.errors import UshadowError
from pages._ui.text import md, one_line

log = logging.getLogger("ushadow.dashboard")

# st.stop(), st.rerun() and st.switch_page() work by raising these; an error boundary lets them pass.
CONTROL_FLOW: tuple[type[BaseException], ...] = (ScriptControlException, FragmentHandledException)


def setup_logging() -> None:
    """Send the dashboard's own log (errors with their traces) to stderr, once per process."""
    root = logging.getLogger("ushadow")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def error_markdown(exc: BaseException) -> str:
    """The body :func:`show_error` draws for ``exc`` (kept separate so its shape can be pinned)."""
    if isinstance(exc, UshadowError):
        body = f"**{md(exc.title)}:** {md(exc.message)}"
        if exc.hint:
            body += f"\n\n**What to try:** {md(exc.hint)}"
        return body
    message = one_line(str(exc))
    body = f"**Unexpected error ({md(type(exc).__name__)})**"
    if message:
        body += f": {md(message)}"
    return (
        body + "\n\n**What to try:** reload the page and try again. The full details are in the "
        "dashboard's log; include them if you report this."
    )


def log_error(exc: BaseException) -> None:
    """Expected errors as one line; unexpected ones with their trace."""
    if isinstance(exc, UshadowError):
        log.info("%s: %s", exc.title, exc.message)
    else:
        log.error("unexpected error in the dashboard", exc_info=exc)


def show_error(exc: BaseException) -> None:
    """THE place an exception becomes what a person sees. Unexpected ones are logged with their trace."""
    log_error(exc)
    icon = ":material/error:" if isinstance(exc, UshadowError) else ":material/bug_report:"
    st.error(error_markdown(exc), icon=icon)


def show_warning(exc: UshadowError) -> None:
    """A problem the page works around (a link naming something malformed), drawn as a warning."""
    log_error(exc)
    st.warning(error_markdown(exc), icon=":material/warning:")


@contextmanager
def error_boundary() -> Iterator[None]:
    """Show any exception from the block with :func:`show_error`; Streamlit's control flow passes."""
    try:
        yield
    except CONTROL_FLOW:
        raise
    except Exception as exc:
        show_error(exc)
