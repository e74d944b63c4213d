"""Status colours read on the light and the dark theme: every coloured table cell's text contrasts
at least 4.5:1 (WCAG AA) with what is behind it, its own background or else the theme's."""

from __future__ import annotations

import tomllib

import pytest

from pages._ui.status import (
    ERROR_CELL_CSS,
    NOT_APPLICABLE_CSS,
    STATUS_STYLES,
    UNKNOWN_STATUS,
    status_css,
    status_label,
)
from tests.support.paths import REPO

THEME = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["theme"]


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def css(text: str) -> dict[str, str]:
    pairs = (part.split(":", 1) for part in text.split(";") if part.strip())
    return {k.strip(): v.strip() for k, v in pairs}


def test_the_dashboard_has_a_light_and_a_dark_theme_and_forces_neither() -> None:
    assert "base" not in THEME  # the browser's preference decides
    assert {"light", "dark"} <= set(THEME)


CELLS = [status_css(status_label(s)) for s in [*STATUS_STYLES, "something else"]]
CELLS += [ERROR_CELL_CSS, NOT_APPLICABLE_CSS]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("cell", CELLS)
def test_a_coloured_cell_reads_on_both_themes(theme: str, cell: str) -> None:
    style = css(cell)
    behind = style.get("background-color", THEME[theme]["backgroundColor"])
    assert contrast(style["color"], behind) >= 4.5, (cell, theme)


def test_unknown_status_has_a_style_like_the_others() -> None:
    assert len(UNKNOWN_STATUS) == len(next(iter(STATUS_STYLES.values())))
