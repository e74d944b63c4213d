"""The dashboard: ``streamlit run dashboard.py``.

This file is the frame around every page: page setup, the navigation (each page's URL path is
listed here), and the one catch-all that turns any error from a page into a message instead of
a traceback (``pages/_ui/errors.py`` draws it and logs the full trace).

Every page has its own address, Home included (``/home``, as the README gives it). Streamlit
serves its default page at ``/`` and ignores that page's ``url_path``, so the default here is a
hidden page that only moves on to Home: ``/`` shows Home at ``/home``, and ``/home`` is Home.

Streamlit treats a ``pages/`` folder beside the main script as an old-style multipage app until
``st.navigation`` has run once; ``pages/_ui`` switches that off on a server's first run, and
page paths are absolute (``page_file``) so ``AppTest`` can run this file from
``tests/support/dashboard_entry.py`` and see the app as a running server shows it. Each page's URL
path is its name in ``core.views.urlstate.PAGE_PARAMS``, the one place that knows its parameters.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.views.urlstate import PAGE_PARAMS
from pages._ui.auth import auth_gate
from pages._ui.errors import error_boundary, setup_logging
from pages._ui.navigation import page_file

setup_logging()
# the tab icon is a file this server serves: a ":material/...:" page icon is fetched from Google's
# font host by the browser, and nothing the dashboard shows may come from another host
ICON = Path(__file__).resolve().parent / "assets" / "hub.svg"
st.set_page_config(page_title="ushadow ops", page_icon=str(ICON), layout="wide")


def page(name: str, title: str, icon: str) -> st.Page:
    """Page ``name``, served at ``/<name>`` (a page the URL state knows)."""
    if name not in PAGE_PARAMS:
        raise ValueError(f"page {name!r} is missing from core.views.urlstate.PAGE_PARAMS")
    return st.Page(page_file(name), title=title, icon=icon, url_path=name)


HOME = page("home", "Home", ":material/home:")


def to_home() -> None:
    """The app's root address: on to Home, at its own address."""
    st.switch_page(HOME)


PAGES = {
    "": [
        st.Page(to_home, title="Home", url_path="start", default=True, visibility="hidden"),
        HOME,
    ],
    "Infrastructure": [
        page("clusters", "Clusters", ":material/lan:"),
        page("scan", "Scan", ":material/radar:"),
    ],
    "Services": [
        page("services", "Services", ":material/apps:"),
        page("deploy", "Deploy", ":material/rocket_launch:"),
        page("workloads", "Workloads", ":material/monitoring:"),
        page("fleet", "Fleet", ":material/grid_view:"),
    ],
    "Admin": [
        page("tokens", "API tokens", ":material/key:"),
    ],
}

# (A <style>-only st.html takes no room on the page.)
# - Streamlit leaves ~6rem above every page's title for its header bar, which only holds the menu:
#   3.5rem clears the bar without a blank band.
# - A secret field's "show password" eye takes the focus on Tab, and the typed value is then never
#   committed (a click on Deploy next ran without it). Without the eye, Tab leaves the field and
#   commits it, as every other field does.
st.html(
    "<style>[data-testid='stMainBlockContainer'] { padding-top: 3.5rem; }"
    " [data-testid='stMainBlockContainer'] h1 { padding-top: 0.25rem; }"
    " [data-testid='stTextInputRootElement'] button[aria-label='Show password'] { display: none; }</style>"
)

current = st.navigation(PAGES)
# the browser tab names the page (Home's is the app's name)
st.set_page_config(page_title="ushadow ops" if current.title == "Home" else f"{current.title} · ushadow ops")
with error_boundary():
    auth_gate()
    current.run()
