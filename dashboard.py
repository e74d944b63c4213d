"""The dashboard: ``streamlit run dashboard.py``.

This file is the frame around every page: page setup, the navigation (each page's URL path is
listed here), and the one catch-all that turns any error from a page into a message instead of
a traceback (``pages/_ui.py`` draws it and logs the full trace).

Every page has its own address, Home included (``/home``, as the README gives it). Streamlit
serves its default page at ``/`` and ignores that page's ``url_path``, so the default here is a
hidden page that only moves on to Home: ``/`` shows Home at ``/home``, and ``/home`` is Home.

Streamlit treats a ``pages/`` folder beside the main script as an old-style multipage app until
``st.navigation`` has run once; ``pages/_ui.py`` switches that off on a server's first run, and
page paths are absolute (``page_file``) so ``AppTest`` can run this file from
``tests/dashboard_entry.py`` and see the app as a running server shows it.
"""

from __future__ import annotations

import streamlit as st

from pages._ui import auth_gate, error_boundary, page_file, setup_logging

setup_logging()
st.set_page_config(page_title="ushadow ops", page_icon=":material/hub:", layout="wide")

HOME = st.Page(page_file("home"), title="Home", icon=":material/home:", url_path="home")


def to_home() -> None:
    """The app's root address: on to Home, at its own address."""
    st.switch_page(HOME)


PAGES = {
    "": [
        st.Page(to_home, title="Home", url_path="start", default=True, visibility="hidden"),
        HOME,
    ],
    "Infrastructure": [
        st.Page(page_file("clusters"), title="Clusters", icon=":material/lan:", url_path="clusters"),
        st.Page(page_file("scan"), title="Scan", icon=":material/radar:", url_path="scan"),
    ],
    "Services": [
        st.Page(page_file("services"), title="Services", icon=":material/apps:", url_path="services"),
        st.Page(page_file("deploy"), title="Deploy", icon=":material/rocket_launch:", url_path="deploy"),
        st.Page(
            page_file("workloads"), title="Workloads", icon=":material/monitoring:", url_path="workloads"
        ),
    ],
    "Admin": [
        st.Page(page_file("tokens"), title="API tokens", icon=":material/key:", url_path="tokens"),
    ],
}

page = st.navigation(PAGES)
# the browser tab names the page (Home's is the app's name)
st.set_page_config(page_title="ushadow ops" if page.title == "Home" else f"{page.title} · ushadow ops")
with error_boundary():
    auth_gate()
    page.run()
