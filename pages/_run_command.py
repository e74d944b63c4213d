"""The Workloads page's "Run a command" tab: one non-interactive command (no terminal, no input) in
a pod of the selected workload, with its output and exit status, as ``ushadow-ops exec`` runs it.
Operators only; every command is recorded in the audit trail.
"""

from __future__ import annotations

import shlex

import streamlit as st

from core.errors import InvalidInput, UshadowError
from core.operate.inspecting import WorkloadStatus
from core.operate.operating import Operator
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store
from pages._ui.auth import actor_for, can_change
from pages._ui.errors import show_error
from pages._ui.text import code, md

ANY_POD = "(a ready pod)"


def parse_command(text: str) -> list[str]:
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise InvalidInput(f"the command cannot be read: {exc}", hint="check its quotes") from exc
    if not argv:
        raise InvalidInput("type a command to run", hint="for example: env, or sh -c 'ls /data'")
    return argv


def run_command_tab(
    settings: Settings, store: Store, cluster: Cluster, namespace: str, selected: WorkloadStatus
) -> None:
    if not can_change():
        st.info("Running commands in pods is for operators.", icon=":material/lock:")
        return
    st.caption(
        "Runs one command in a pod of the workload (no terminal, no input), like `ushadow-ops exec`. "
        "It is not run through a shell unless you name one (`sh -c '...'`). Every command is recorded "
        "in the audit trail."
    )
    name = selected.workload.name
    with st.form("workloads_exec_form"):
        text = st.text_input("Command", placeholder="env", key="workloads_exec_command")
        left, right = st.columns(2)
        pod = left.selectbox("Pod", [ANY_POD, *(p.name for p in selected.pods)], key="workloads_exec_pod")
        timeout = right.number_input("Timeout (seconds)", 1, 600, 60, key="workloads_exec_timeout")
        submitted = st.form_submit_button("Run", icon=":material/terminal:")
    if not submitted:
        return
    try:
        argv = parse_command(text)
        actor = actor_for("exec")
        with (
            Operator(store, settings, cluster.cluster_id, actor=actor) as ops,
            st.spinner(f"Running {text.strip()[:60]} in {name}…"),
        ):
            result = ops.exec(
                namespace, name, argv, pod=None if pod == ANY_POD else pod, timeout=float(timeout)
            )
    except UshadowError as exc:
        show_error(exc)
        return
    said = f"{code(' '.join(argv))} in pod {md(result.pod)} exited with {result.exit_code}"
    if result.exit_code == 0:
        st.success(said, icon=":material/check_circle:")
    else:
        st.warning(said, icon=":material/error:")
    st.code(result.stdout.decode(errors="replace") or "(no output)", language=None)
    if result.stderr:
        st.caption("stderr")
        st.code(result.stderr.decode(errors="replace"), language=None)
    if result.truncated:
        st.caption("The output was cut at 1 MiB per stream.")
