"""The page's URL state in the address bar: read and written with ``core.views.urlstate``.

Everything a link must reproduce is in ``st.query_params``; this module is how a page gets at it:
:func:`read_param` (validated; a malformed value is a warning, then ignored), :func:`write_params`
(a page sets or drops its own parameters), :func:`show_view` (exactly these of the page's
parameters) and :func:`link_to` (a link to another page, with its parameters).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.views.urlstate import PAGE_PARAMS, page_params, read_state
from pages._ui.errors import show_warning
from pages._ui.navigation import page_file


def read_param(page: str, name: str, *, tabs: Sequence[str] = ()) -> str | None:
    """``name`` from the address bar, as ``page`` reads it; a malformed value is warned about (None)."""
    raw = st.query_params.get(name)
    if raw is None:
        return None
    state, problems = read_state(page, {name: raw}, tabs=tabs)
    for problem in problems:
        show_warning(problem)
    value = getattr(state, name)
    return str(value) if value is not None else None


def _write(name: str, value: str | None) -> None:
    if value is None:
        st.query_params.pop(name, None)
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def write_params(page: str, **values: str | None) -> None:
    """Set the given parameters of ``page`` in the address bar (None or empty: drop one); the rest stay."""
    built = page_params(page, **values)
    for name in values:
        _write(name, built.get(name))


def show_view(page: str, **values: str | None) -> None:
    """Make the address bar say exactly ``values`` of ``page``'s parameters (others of its own go)."""
    built = page_params(page, **values)
    for name in PAGE_PARAMS[page]:
        _write(name, built.get(name))


def link_to(
    page: str, label: str, icon: str, *, where: DeltaGenerator | None = None, **values: str | None
) -> None:
    """A link to ``page`` with ``values`` as its parameters (``st.page_link``)."""
    (where or st).page_link(page_file(page), label=label, icon=icon, query_params=page_params(page, **values))
