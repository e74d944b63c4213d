"""The Workloads table's drift column: per deployed service *in sync*, *cluster drift*, *source
drift* or *unknown* (``core.operate.driftmarks``: each check bounded by the request timeout, answers
kept for 30 s and shared by every viewer), and a link to the service's Drift tab."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core.operate.driftmarks import DriftMark, DriftMarks
from core.operate.inspecting import WorkloadStatus
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store
from core.views.urlstate import page_path

COLUMNS = {
    "drift": st.column_config.TextColumn(
        "drift",
        help="against the recorded deploy: cluster drift (changed by hand), source drift (the compose "
        "file or its scan moved on); rechecked every 30 s",
    ),
    "diff": st.column_config.LinkColumn("diff", display_text="Diff ↗", help="the service's Drift tab"),
}


@st.cache_resource(show_spinner=False)
def drift_marks() -> DriftMarks:
    """The process's drift checker (a small pool of threads and the answers it keeps)."""
    return DriftMarks()


def text(mark: DriftMark) -> str:
    return f"{mark.state} ({mark.detail})" if mark.detail else mark.state


def with_drift(
    table: pd.DataFrame,
    found: Sequence[WorkloadStatus],
    *,
    settings: Settings,
    store: Store,
    cluster: Cluster,
    namespace: str,
) -> pd.DataFrame:
    """``table`` (one row per workload of ``found``) with its drift and diff-link columns."""
    names = [w.workload.name for w in found]
    marks = drift_marks().marks(
        store, settings, cluster.cluster_id, namespace, names, settings.compose_dirs,
        deadline=settings.request_timeout,
    )  # fmt: skip
    out = table.copy()
    out["drift"] = [text(marks[n]) for n in names]
    out["diff"] = [
        page_path("workloads", cluster=cluster.cluster_id, namespace=namespace, service=n, tab="Drift")
        for n in names
    ]
    return out
