"""Deploy: cluster, then namespace, then a service from the registry, then its environment, then deploy.

The environment form is prefilled from the compose defaults and wired to the latest scan of the
namespace; each value says where it came from (default, scan, typed). Required variables must be
filled before anything can be deployed. The manifests can be reviewed (Secret values masked) and
checked against the live objects with a server-side dry run; a deploy follows the rollout until
ready and lists every resource it created or changed. Every deploy is recorded and listed below.
Cluster, namespace and service are in the URL (``?cluster=<id>&namespace=<ns>&service=<id>``).
"""

import pandas as pd
import streamlit as st

from core.compose.registry import RegistryEntry
from core.deploy.deploying import DeployOutcome, deploy_service
from core.deploy.envwiring import EnvRow, missing_required
from core.deploy.groupdeploying import GroupItem, deploy_group
from core.deploy.plans import form_rows, image_of, load_entry_list, plan_deploy
from core.errors import UshadowError
from core.secrets.masking import scrub_messages, scrub_text
from core.settings import Settings, who
from core.store.records import Cluster
from core.store.scans import ScanResult
from core.store.store import Store
from core.views.services import plain_text
from core.views.urlstate import SERVICE
from pages._parts.envform import environment_form
from pages._parts.hostdeploy import host_deploy_section
from pages._parts.hostpick import wants_host
from pages._ui.auth import actor_for
from pages._ui.errors import show_error
from pages._ui.inputs import env_box
from pages._ui.pickers import pick_cluster, pick_namespace, require_clusters
from pages._ui.progress import Report, progress_box, run_action
from pages._ui.resources import get_settings, get_store
from pages._ui.text import code, md
from pages._ui.urls import link_to, read_param, write_params

PAGE = "deploy"


def pick_service(entries: list[RegistryEntry]) -> RegistryEntry:
    """The service picker, kept in ``?service=``; without one, the first app (not infrastructure)."""
    by_id = {e.service_id: e for e in entries}
    ids = list(by_id)
    wanted = read_param(PAGE, SERVICE)
    if wanted not in by_id:
        wanted = next((e.service_id for e in entries if not e.infra and not e.error), ids[0])
    chosen = st.selectbox(
        "Service",
        ids,
        index=ids.index(wanted),
        format_func=lambda sid: (
            f"{sid}{' (infra)' if by_id[sid].infra else ''}{' (broken)' if by_id[sid].error else ''}"
        ),
        key="deploy_service",
    )
    write_params(PAGE, service=chosen)
    return by_id[chosen]


def describe_scan(scan: ScanResult | None, cluster: Cluster, namespace: str) -> None:
    if scan is None:
        st.info(
            f"No scan of {code(namespace)} yet: values come from the compose defaults. "
            "Scan the namespace to wire the service to the infrastructure running there.",
            icon=":material/radar:",
        )
        link_to("scan", "Scan it", ":material/radar:", cluster=cluster.cluster_id)
        return
    found = ", ".join(sorted({m.infra_type for m in scan.matches})) or "nothing"
    st.caption(f"Wired to the scan of {scan.scanned_at:%Y-%m-%d %H:%M} UTC (found: {md(found)}).")


def rows_table(rows: list[EnvRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "variable": r.name,
                "value": r.shown_value() or "",
                "source": r.source,
                "from": (f"{r.match.namespace}/{r.match.service}" if r.match else "") or (r.note or ""),
                "required": r.required,
            }
            for r in rows
        ],
        columns=["variable", "value", "source", "from", "required"],
    )


def changes_table(outcome: DeployOutcome) -> pd.DataFrame:
    return pd.DataFrame(
        [{"object": c.ref, "action": c.action, "changed": ", ".join(c.paths)} for c in outcome.changes],
        columns=["object", "action", "changed"],
    )


def run_deploy(
    settings: Settings,
    store: Store,
    cluster: Cluster,
    namespace: str,
    entry: RegistryEntry,
    typed: dict[str, str],
    *,
    dry_run: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Deploy (or dry-run) with a progress box; the outcome is drawn below it, always in view."""
    verb = "Checking" if dry_run else "Deploying"

    def deploy(report: Report) -> DeployOutcome:
        return deploy_service(
            store,
            settings,
            cluster=cluster.cluster_id,
            service_id=entry.service_id,
            namespace=namespace,
            env=typed,
            dry_run=dry_run,
            wait=wait,
            timeout=timeout,
            progress=report,
            actor=actor_for("deploy"),
        )

    def finished(outcome: DeployOutcome) -> tuple[str, bool]:
        if outcome.error is not None:
            return f"{entry.service_id} did not become ready", False
        return f"{entry.service_id}: {outcome.status}", True

    ended = progress_box(
        f"{verb} {entry.service_id} in {cluster.name}/{namespace}…",
        deploy,
        failed=f"{verb} {entry.service_id} failed",
        finished=finished,
    )
    # the outcome goes below the box, where a collapsed box cannot hide it
    if ended.error is not None:
        show_error(ended.error)
        return
    outcome = ended.value
    if outcome is None:
        return
    hide = outcome.plan.hidden()  # secret values, masked in whatever is shown
    if outcome.error is not None:
        show_error(outcome.error)
    else:
        st.success(md(scrub_text(outcome.message or outcome.status, hide)), icon=":material/check_circle:")
    st.dataframe(changes_table(outcome), hide_index=True, width="stretch", key="deploy_changes")
    for note in scrub_messages(outcome.notes, hide):
        st.caption(md(note))


def deployments_table(store: Store, cluster: Cluster) -> None:
    records = store.list_deployments(cluster.cluster_id, limit=200, manifests=False)
    dry = sum(1 for r in records if r.dry_run)
    if dry and not st.toggle(f"Show the {dry} dry run(s)", key="deploy_records_dry"):
        records = [r for r in records if not r.dry_run]  # a dry run deployed nothing
    if not records:
        st.caption("Nothing deployed to this cluster from here yet.")
        return
    table = pd.DataFrame(
        [
            {  # what people look for first, first: on a phone only two or three columns show
                "service": r.service_id,
                "status": r.status,
                "when": r.created_at,
                "namespace": r.namespace,
                "name": r.name,
                "dry run": r.dry_run,
                "changed": sum(1 for x in r.resources if x.get("action") not in ("unchanged", None)),
                "message": r.message or "",
                "by": who(r.created_by),
            }
            for r in records
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="deploy_records",
        column_config={"when": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss")},
    )


def group_section(settings: Settings, store: Store, cluster: Cluster, namespace: str) -> None:
    """deploy-infra / deploy-app / deploy-all, as the CLI has them.

    Drawn top to bottom on purpose: one widget per statement, in the order people see them."""
    with st.expander(
        "Deploy many: the registry's infrastructure, its apps, or both", icon=":material/stacks:"
    ):
        st.caption(
            "Infrastructure goes first and is waited for; then the namespace is scanned again and the "
            "apps are wired to it. A service that cannot be deployed is reported and the rest go on."
        )
        env, problems = env_box(
            "Environment for every service that asks (KEY=VALUE per line)",
            key=f"deploy_group_env_{cluster.cluster_id}",
            name="the environment for every service",
            help="e.g. an API key that the apps require; Secret values stay masked everywhere",
        )
        if problems:
            return
        which = st.segmented_control(
            "What", ["infra", "app", "all"], default="all", key="deploy_group_which",
            format_func={"infra": "Infrastructure", "app": "Apps", "all": "Everything"}.get,
        )  # fmt: skip
        wait = st.checkbox("Wait until ready", value=True, key="deploy_group_wait")
        if not st.button(
            "Deploy them", key="deploy_group_go", icon=":material/rocket_launch:", disabled=not which
        ):
            return

        def finished(items: list[GroupItem]) -> tuple[str, bool]:
            failed = sum(1 for i in items if i.status == "failed")
            return f"{len(items) - failed} of {len(items)} services deployed", not failed

        ended = progress_box(
            f"Deploying {which} to {cluster.name}/{namespace}…",
            lambda report: deploy_group(
                store,
                settings,
                cluster=cluster.cluster_id,
                group=which,  # type: ignore[arg-type]
                namespace=namespace,
                env=env,
                wait=wait,
                progress=report,
                actor=actor_for("deploy"),
            ),
            failed="Deploy failed",
            finished=finished,
        )
        # the outcome below the box, where a collapsed box cannot hide it
        if ended.error is not None:
            show_error(ended.error)
            return
        items = ended.value or []
        for item in (i for i in items if i.status == "failed"):
            st.error(f"{md(item.service_id)} failed: {md(item.message or 'no reason given')}")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "service": i.service_id,
                        "infra": i.infra,
                        "status": i.status,
                        "message": i.message or "",
                    }
                    for i in items
                ],
                columns=["service", "infra", "status", "message"],
            ),
            hide_index=True,
            width="stretch",
            key="deploy_group_result",
        )


st.title("Deploy")
st.caption("Put a compose service on a cluster, wired to the infrastructure a scan found there.")
settings = get_settings()
store = get_store()
if wants_host(store, PAGE):  # the target first: a cluster/namespace, or a Docker host
    host_deploy_section(settings, store, PAGE)
    st.stop()
clusters = require_clusters(store)

left, middle = st.columns(2)
with left:
    cluster = pick_cluster(store, clusters, PAGE, key="deploy_cluster")
with middle:
    namespace = pick_namespace(
        cluster,
        PAGE,
        key="deploy_namespace",
        help="created (and labelled managed-by: ushadow) when it does not exist",
    )
group_section(settings, store, cluster, namespace)
entries: list[RegistryEntry] = (
    run_action("Reading the compose registry…", lambda: load_entry_list(settings.compose_dirs)) or []
)
if not entries:
    folders = ", ".join(str(d) for d in settings.compose_dirs)
    st.info(f"The compose registry is empty: put compose files into {code(folders)} (USHADOW_COMPOSE_DIR).")
    st.stop()
entry = pick_service(entries)
if entry.error or entry.spec is None:
    st.error(f"{md(entry.service_id)} cannot be deployed: {md(entry.error or 'it could not be read')}")
    st.stop()
about = st.empty()  # the caption names the image the form's values give (filled below)

scan = store.wiring_scan(cluster.cluster_id, namespace)
st.subheader("Environment")
describe_scan(scan, cluster, namespace)
form_key = f"{cluster.cluster_id}_{namespace}_{entry.service_id}_{scan.scan_id if scan else 'none'}"
typed = environment_form(entry, scan, namespace, form_key)
rows = form_rows(entry, namespace=namespace, scan=scan, typed=typed)
about.caption(
    f"{plain_text(entry.meta.display_name or entry.service)}: image {code(str(image_of(entry, rows)))}"
    + (" · infrastructure" if entry.infra else "")
    + (f" · {plain_text(entry.meta.description)}" if entry.meta.description else "")
)
st.dataframe(
    rows_table(rows),
    hide_index=True,
    width="stretch",
    key="deploy_rows",
    column_config={"required": st.column_config.CheckboxColumn("Required")},
)
missing = missing_required(rows)
if missing:
    st.warning(f"Fill in the required variables first: {md(', '.join(missing))}.", icon=":material/edit:")

with st.expander("Review the manifests (Secret values masked)", icon=":material/description:"):
    if missing:
        st.caption("The manifests are shown once every required variable has a value.")
    else:
        try:
            plan = plan_deploy(entry, namespace=namespace, typed=typed, scan=scan)
            for warning in plan.warnings:  # secret values masked, as `render` shows them
                st.warning(md(warning))
            st.code(plan.redacted_yaml(), language="yaml")
        except UshadowError as exc:
            show_error(exc)

wait_col, timeout_col = st.columns(2)
wait = wait_col.checkbox("Wait until ready", value=True, key="deploy_wait")
timeout = timeout_col.number_input(
    "Timeout (seconds)", min_value=10, max_value=3600, value=300, step=10, key="deploy_timeout"
)
dry, go = st.columns(2)
# Never disabled by what the form holds (a field is committed only when it is left, so a disabled
# button could ignore the first click after typing): what is still missing is said on the click.
clicked_dry = dry.button("Dry run", key="deploy_dry_run", icon=":material/difference:")
clicked_go = go.button("Deploy", key="deploy_go", type="primary", icon=":material/rocket_launch:")
if (clicked_dry or clicked_go) and missing:
    st.error(
        f"Nothing was deployed: fill in the required variables first: {md(', '.join(missing))}.",
        icon=":material/edit:",
    )
elif clicked_dry or clicked_go:
    target = (settings, store, cluster, namespace, entry, typed)
    run_deploy(*target, dry_run=clicked_dry, wait=wait and not clicked_dry, timeout=float(timeout))

st.subheader("Recorded deployments")
deployments_table(store, cluster)
link_to(
    "workloads",
    "Look after what runs there (Workloads)",
    ":material/monitoring:",
    cluster=cluster.cluster_id,
    namespace=namespace,
)
