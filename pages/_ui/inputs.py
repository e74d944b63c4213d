"""The ``KEY=VALUE`` box: one rule for every box that takes variables (``core.compose.keyvalues``)."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.compose.keyvalues import parse_lines
from core.errors import InvalidInput
from pages._ui.errors import show_error


def show_env_problems(box: str, problems: list[str]) -> None:
    """What is wrong with lines of the box labelled ``box`` (by number, never their text)."""
    for problem in problems:
        show_error(InvalidInput(f"in {box}, {problem}", hint="write one KEY=VALUE per line"))


def env_box(
    label: str,
    *,
    key: str,
    name: str,
    help: str | None = None,
    height: int | None = None,
    where: DeltaGenerator | None = None,
) -> tuple[dict[str, str], list[str]]:
    """A text area of ``KEY=VALUE`` lines, read by the one rule; the problems (``name`` says which
    box in them) are drawn under it and returned."""
    text = (where or st).text_area(label, key=key, help=help, height=height)
    env, problems = parse_lines(text or "")
    show_env_problems(name, problems)
    return env, problems
