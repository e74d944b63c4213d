"""Shared pieces of the benchmarks: the scale knob, a local control plane, timing, and markdown rows.

``BENCH_SCALE`` (a number, default 1) shrinks every benchmark's sizes and repeats, so a quick run
(``python -m bench --quick`` sets 0.1) checks that each one runs end to end in a minute or two.
Only a run at scale 1 is recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.localcluster.running import ClusterState

SCALE = float(os.environ.get("BENCH_SCALE", "1") or "1")


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


# ``python -m bench`` stops an overrunning module with SIGTERM: as an exception, so that the module's
# ``finally`` blocks stop what it started (servers, browsers, the control plane) before it exits.
signal.signal(signal.SIGTERM, _stop)


def scaled(full: int, least: int = 1) -> int:
    """``full`` at scale 1; at a smaller scale proportionally fewer, never fewer than ``least``."""
    return max(least, round(full * SCALE))


@contextmanager
def control_plane() -> Iterator[ClusterState]:
    """A fresh local control plane for one benchmark, always stopped afterwards."""
    from core.localcluster.binaries import ensure_binaries
    from core.localcluster.running import LocalCluster

    with tempfile.TemporaryDirectory(prefix="ushadow-bench-") as tmp:
        lc = LocalCluster(Path(tmp) / "local-cluster")
        state, _ = lc.up(ensure_binaries())
        try:
            yield state
        finally:
            lc.down()


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, list[float]]:
    """Median wall time of ``repeat`` runs (after one warm-up run), and all the samples."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
