"""The Workloads page's Events, Drift and History tabs (drawing only: the work is in core.operate
and core.deploy)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clusters.sessions import named
from core.deploy.deploying import recorded_manifests
from core.deploy.rollback import history, roll_back
from core.errors import UshadowError
from core.operate.drift import latest_record
from core.operate.drifting import check_service
from core.operate.events import workload_events
from core.operate.inspecting import WorkloadStatus
from core.operate.liveyaml import live_yaml
from core.operate.operating import Operator
from core.settings import Settings
from core.store.records import Cluster, Deployment
from core.store.store import Store
from pages._drift_column import drift_marks
from pages._ui.auth import actor_for
from pages._ui.errors import show_error
from pages._ui.flashes import flash, show_flashes
from pages._ui.text import md

HISTORY_FLASH = "workloads_flash_history"


def events_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    """The workload's, its pods' and claims' events: warnings first, then the most recent."""
    try:
        with Operator(store, settings, cluster.cluster_id) as ops, named(cluster.name):
            _w, events = workload_events(ops.kube, namespace, selected.workload.name)
    except UshadowError as exc:
        show_error(exc)
        return
    if not events:
        st.caption("No events (Kubernetes keeps them for about an hour).")
        return
    rows = [
        {k: e.to_json()[k] for k in ("type", "reason", "object", "count", "last_seen", "message")}
        for e in events
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="workloads_events")


def yaml_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    """What runs, as the API server has it (managedFields folded away, Secret values masked)."""
    if not st.button("Show live YAML", key="workloads_yaml", icon=":material/code:"):
        return
    try:
        with Operator(store, settings, cluster.cluster_id) as ops, named(cluster.name):
            text = live_yaml(ops.kube, namespace, selected.workload.name)
    except UshadowError as exc:
        show_error(exc)
        return
    st.code(text, language="yaml")


def drift_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    """What changed since the recorded deploy: in the cluster and in the compose file."""
    records = store.list_deployments(cluster.cluster_id, limit=1000)
    record = latest_record(records, namespace, selected.workload.name)
    if record is None:
        st.caption("No recorded deploy of this workload: nothing to compare with.")
        return
    key = (cluster.cluster_id, namespace, selected.workload.name, record.deployment_id)
    kept = drift_marks().kept(key)  # the table's drift column checked it a moment ago
    found = kept.drift if kept is not None else None
    label = "Check again" if found is not None else "Check drift"
    if st.button(label, key="workloads_drift", icon=":material/difference:"):
        try:
            with st.spinner("Comparing…"), Operator(store, settings, cluster.cluster_id) as ops:
                found = check_service(ops, record, settings.compose_dirs)
        except UshadowError as exc:
            show_error(exc)
            return
    elif found is None:
        st.caption(f"Compares with deployment {md(record.deployment_id)}: a dry-run apply, and a re-render.")
        return
    st.caption(f"Compared with deployment {md(record.deployment_id)}.")
    if found.source_error:
        st.warning(f"Source not checked: {md(found.source_error)}", icon=":material/warning:")
    if not found.fields:
        st.success("In sync with the recorded deploy.", icon=":material/check:")
        return
    rows = [{k: str(v) if v is not None else "" for k, v in f.to_json().items()} for f in found.fields]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="workloads_drift_table")


def history_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    """Every recorded deploy of the workload, and rolling back to one of them."""
    show_flashes(HISTORY_FLASH)
    name = selected.workload.name
    past = history(store.list_deployments(cluster.cluster_id, limit=1000), namespace, name)
    if not past:
        st.caption("No recorded deploy of this workload.")
        return
    for index, record in enumerate(past):
        when = record.to_json()["created_at"]
        left, right = st.columns([4, 1])
        left.markdown(
            f"**{md(when)}** · {md(record.status)} · {md(record.created_by or 'local')} · "
            f"`{record.deployment_id}`" + (" · current" if index == 0 else "")
        )
        if index == 0 or record.status not in ("applied", "ready"):
            continue
        if right.button("Roll back to this", key=f"workloads_rollback_{record.deployment_id}"):
            _roll_back(settings, store, cluster, record.deployment_id, past)


def _roll_back(
    settings: Settings, store: Store, cluster: Cluster, deployment_id: str, past: list[Deployment]
) -> None:
    (target,) = [r for r in past if r.deployment_id == deployment_id]
    try:
        actor = actor_for("deploy")  # a rollback is a deploy: a viewer may not
        with (
            st.spinner(f"Rolling back to {deployment_id}…"),
            Operator(store, settings, cluster.cluster_id) as ops,
            named(cluster.name),
        ):
            changes, sent, _notes = roll_back(ops.kube, target)
    except UshadowError as exc:
        show_error(exc)
        return
    store.record_deployment(
        cluster_id=cluster.cluster_id,
        namespace=target.namespace,
        service_id=target.service_id,
        name=target.name,
        manifests=recorded_manifests(sent),
        resources=[c.to_json() for c in changes],
        status="applied",
        message=f"rolled back to deployment {deployment_id}",
        dry_run=False,
        actor=actor,
    )
    flash(HISTORY_FLASH, "success", f"Rolled {md(target.name)} back to deployment {md(deployment_id)}.")
    st.rerun()
