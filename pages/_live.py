"""Sections of a page that refresh themselves while it is open (``st.fragment`` with ``run_every``),
with a visible "updated N s ago" and a switch to pause them."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

DEFAULT_EVERY = 5.0


def live_section(key: str, draw: Callable[[], None], *, every: float = DEFAULT_EVERY) -> None:
    """Draw ``draw()`` now, and again every ``every`` seconds unless the person pauses it."""
    on = st.toggle(
        "Live", value=True, key=f"{key}_live", help=f"read the cluster again every {every:g} seconds"
    )

    @st.fragment(run_every=every if on else None)
    def section() -> None:
        draw()
        stamp = f"{key}_updated_at"
        if on or stamp not in st.session_state:
            st.session_state[stamp] = time.time()
        age = int(time.time() - st.session_state[stamp])
        clock = time.strftime("%H:%M:%S", time.localtime(st.session_state[stamp]))
        state = f"refreshes every {every:g} s" if on else "paused"
        st.caption(f"updated {age} s ago ({clock}) · {state}")

    section()
