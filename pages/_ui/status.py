"""How a cluster's status is drawn: a badge, or a coloured cell in a table."""

from __future__ import annotations

import streamlit as st

# status -> (Material icon, badge colour, cell text colour, cell background); "unauthorized" covers
# 401 and 403. Icons and colours rather than emoji: they render the same in every browser and
# screenshot. A cell brings its own pale background, so its text reads the same on the light and the
# dark theme (one text colour cannot contrast 4.5:1 with both white and near-black);
# tests/unit/test_status_colours.py checks the contrast. (Badges use Streamlit's palette, which
# has a light and a dark shade of each colour.)
STATUS_STYLES: dict[str, tuple[str, str, str, str]] = {
    "connected": (":material/check_circle:", "green", "#15803d", "#dcfce7"),
    "unreachable": (":material/cloud_off:", "orange", "#9a3412", "#ffedd5"),
    "unauthorized": (":material/lock:", "red", "#b91c1c", "#fee2e2"),
    "error": (":material/error:", "red", "#b91c1c", "#fee2e2"),
}
UNKNOWN_STATUS = (":material/help:", "gray", "#374151", "#f3f4f6")
ERROR_CELL_CSS = "color: #b91c1c; background-color: #fee2e2"  # a table cell holding an error
NOT_APPLICABLE_CSS = "color: #4b5563; background-color: #f3f4f6"  # a cell that has nothing to say


def status_label(status: str) -> str:
    """``'● connected'``: what a table's status cell holds (coloured by :func:`status_css`)."""
    return f"● {status}"


def status_css(label: object) -> str:
    """CSS for a status cell (``Styler.map``): the status's colour, bold."""
    status = str(label).removeprefix("● ")
    _icon, _badge, text, background = STATUS_STYLES.get(status, UNKNOWN_STATUS)
    return f"color: {text}; background-color: {background}; font-weight: 600"


def status_badge(status: str) -> None:
    icon, colour, _text, _background = STATUS_STYLES.get(status, UNKNOWN_STATUS)
    st.badge(status, color=colour, icon=icon)  # type: ignore[arg-type]
