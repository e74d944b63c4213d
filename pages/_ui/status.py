"""How a cluster's status is drawn: a badge, or a coloured cell in a table."""

from __future__ import annotations

import streamlit as st

# status -> (Material icon, badge colour, text colour); "unauthorized" covers 401 and 403.
# Icons and colours rather than emoji: they render the same in every browser and screenshot.
STATUS_STYLES: dict[str, tuple[str, str, str]] = {
    "connected": (":material/check_circle:", "green", "#15803d"),
    "unreachable": (":material/cloud_off:", "orange", "#c2410c"),
    "unauthorized": (":material/lock:", "red", "#b91c1c"),
    "error": (":material/error:", "red", "#b91c1c"),
}
UNKNOWN_STATUS = (":material/help:", "gray", "#6b7280")


def status_label(status: str) -> str:
    """``'● connected'``: what a table's status cell holds (coloured by :func:`status_css`)."""
    return f"● {status}"


def status_css(label: object) -> str:
    """CSS for a status cell (``Styler.map``): the status's colour, bold."""
    status = str(label).removeprefix("● ")
    return f"color: {STATUS_STYLES.get(status, UNKNOWN_STATUS)[2]}; font-weight: 600"


def status_badge(status: str) -> None:
    icon, colour, _css = STATUS_STYLES.get(status, UNKNOWN_STATUS)
    st.badge(status, color=colour, icon=icon)  # type: ignore[arg-type]
