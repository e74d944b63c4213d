"""Shared pieces of the benchmarks: a local control plane, timing, and markdown rows."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.localcluster.binaries import ensure_binaries
from core.localcluster.running import ClusterState, LocalCluster


@contextmanager
def control_plane() -> Iterator[ClusterState]:
    """A fresh local control plane for one benchmark, always stopped afterwards."""
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
