"""Waiting on core, drawn: a spinner, a progress bar, or the progress box of a long action.

Errors end up where :func:`pages._ui.errors.show_error` draws them (or with the caller, for the
box, which may leave them for the next run instead); Streamlit's control flow always passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import streamlit as st

from pages._ui.errors import CONTROL_FLOW, show_error
from pages._ui.text import md

T = TypeVar("T")
# how core reports progress: what it is doing, and how far along (0 to 1)
Report = Callable[[str, float], None]


@dataclass(frozen=True)
class Ended(Generic[T]):
    """How the action of a progress box ended: its value, or the error it raised."""

    value: T | None = None
    error: BaseException | None = None


def run_action(label: str, action: Callable[[], T]) -> T | None:
    """Run ``action`` under a spinner; on failure draw the error and return None."""
    with st.spinner(label):
        try:
            return action()
        except CONTROL_FLOW:
            raise
        except Exception as exc:
            show_error(exc)
            return None


def run_with_progress(label: str, total: int, action: Callable[[Callable[[str], None]], T]) -> T | None:
    """Run ``action(step)`` with a progress bar advanced by each ``step(text)``; errors as above."""
    bar = st.progress(0.0, text=label)
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        bar.progress(min(done / max(total, 1), 1.0), text=f"{label} {done}/{total}: {text}")

    try:
        return action(step)
    except CONTROL_FLOW:
        raise
    except Exception as exc:
        show_error(exc)
        return None
    finally:
        bar.empty()


def progress_box(
    label: str,
    action: Callable[[Report], T],
    *,
    failed: str,
    finished: Callable[[T], tuple[str, bool]],
    first_step: str | None = None,
) -> Ended[T]:
    """Run ``action(report)`` in a status box labelled ``label``, with a bar that ``report`` moves.

    The box then says how it ended: ``failed`` when ``action`` raised, else ``finished(value)``'s
    ``(label, ok)``. A box that did not end well stays open on the step it reached; one that did
    folds away. The caller draws the outcome (:class:`Ended`) below the box, where a folded box
    cannot hide it, or leaves it for the next run.
    """
    ended: Ended[T] = Ended()
    with st.status(label, expanded=True) as box:
        bar = st.progress(0.0, text=first_step)

        def report(text: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=md(text))

        try:
            result = action(report)
        except CONTROL_FLOW:
            raise
        except Exception as exc:
            ended = Ended(error=exc)
            box.update(label=failed, state="error", expanded=True)
        else:
            ended = Ended(value=result)
            text, ok = finished(result)
            box.update(label=text, state="complete" if ok else "error", expanded=not ok)
    return ended
