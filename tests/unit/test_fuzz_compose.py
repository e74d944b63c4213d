"""Property-based fuzzing of the compose loader, compiler and bundle plan (see
tests/support/fuzzing.py): only the project's own errors escape, each input finishes within the
harness's budget, and the run stays within a memory budget. ``USHADOW_FUZZ_EXAMPLES`` sets the
number of examples (default 60, so ``make test`` stays quick; SECURITY.md has a longer run)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from tests.support.fuzzing import INPUTS, bomb, deep, peak_rss_mb, timed

EXAMPLES = int(os.environ.get("USHADOW_FUZZ_EXAMPLES", "60"))
MEMORY_BUDGET_MB = 1024  # above the test process's own peak: a bomb would take gigabytes

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the harness bounds each input itself (tests.support.fuzzing.BUDGET)
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(INPUTS)
def test_any_compose_text_gives_manifests_or_a_clean_error(text: str) -> None:
    assert timed(text) in ("ok", "error")


@FUZZ
@given(bomb() | deep())
def test_bombs_and_deep_nesting_give_a_clean_error_within_budget(text: str) -> None:
    start = peak_rss_mb()
    assert timed(text) in ("ok", "error")
    assert peak_rss_mb() - start < MEMORY_BUDGET_MB
