"""The dashboard's main flows in real Chromium against ``streamlit run serve.py`` and the local
control plane: add a cluster by uploading its kubeconfig, scan and share the result by link, deploy a
service and watch it become ready, and the health route. Each test saves screenshots of what it shows
into ``docs/screenshots/`` (the README embeds them).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from playwright.sync_api import Locator, expect

from core.clusters.kube import open_kube
from core.deploy.applying import apply
from core.errors import NotFound
from core.localcluster.demo import sample_manifests
from core.localcluster.running import ClusterState
from core.scan.jobs import run_scan
from core.store.records import Cluster
from core.store.scans import ScanResult
from tests.browser.conftest import App, Dashboard

VERSION = "v1.37.2"
CLUSTER = "local"  # the name the upload test gives the control plane (and the other flows reuse)
NAMESPACE = "ushadow"


def secret_fragments(kubeconfig: str) -> list[str]:
    """Pieces of the kubeconfig's key material that must never reach a page: the base64 fields as
    written, and every line of the PEM they decode to (the private key's body above all)."""
    user = yaml.safe_load(kubeconfig)["users"][0]["user"]
    fragments: list[str] = []
    for field in ("client-key-data", "client-certificate-data", "token"):
        value = user.get(field)
        if not value:
            continue
        fragments.append(value)
        if field.endswith("-data"):
            pem = base64.b64decode(value).decode()
            fragments += [line for line in pem.splitlines() if line and not line.startswith("-----")]
    assert fragments, "the admin kubeconfig should carry a client key"
    return fragments


def registered(dashboard: Dashboard, name: str) -> Cluster | None:
    store = dashboard.open_store()
    try:
        return store.get_cluster(name)
    except NotFound:
        return None
    finally:
        store.close()


@pytest.fixture(scope="module")
def local_cluster_registered(dashboard: Dashboard, admin_kubeconfig: str) -> Cluster:
    """The control plane as a cluster of the dashboard: the one the upload test added, if it ran;
    otherwise registered here the way the CLI does it (the flows after it need a cluster, not the
    upload path)."""
    from core.clusters import registering as ops

    found = registered(dashboard, CLUSTER)
    if found is not None:
        return found
    store = dashboard.open_store()
    try:
        kubeconfig = Path(admin_kubeconfig).read_bytes()
        return ops.add_cluster(
            store, dashboard.settings, name=CLUSTER, kubeconfig=kubeconfig, namespace=NAMESPACE
        ).cluster
    finally:
        store.close()


def namespaces(core_api: client.CoreV1Api) -> set[str]:
    return {n.metadata.name for n in core_api.list_namespace(_request_timeout=10).items}


@pytest.fixture(scope="module")
def infrastructure(dashboard: Dashboard, kube_api: client.ApiClient, admin_kubeconfig: str) -> Iterator[str]:
    """The ``ushadow`` namespace with the demo's databases (Deployments + Services), all ready.

    Applied with our own server-side apply (what ``make demo`` does). When this module is done the
    namespace is deleted again if it created it (with what the deploy flow put there), so the rest
    of the session's tests on the shared control plane do not see it.
    """
    core_api = client.CoreV1Api(kube_api)
    existed = NAMESPACE in namespaces(core_api)
    with open_kube(Path(admin_kubeconfig).read_bytes(), dashboard.settings) as kube:
        for obj in sample_manifests(NAMESPACE):
            apply(kube, obj)
    apps = client.AppsV1Api(kube_api)
    deadline = time.monotonic() + 120
    while True:
        items = apps.list_namespaced_deployment(NAMESPACE, _request_timeout=10).items
        waiting = [d.metadata.name for d in items if (d.status.ready_replicas or 0) < 1]
        if not waiting:
            break
        assert time.monotonic() < deadline, f"demo infrastructure not ready: {waiting}"
        time.sleep(0.5)
    try:
        yield NAMESPACE
    finally:
        if not existed:
            core_api.delete_namespace(NAMESPACE, _request_timeout=10)
            gone_by = time.monotonic() + 60  # let it finish terminating before other tests run
            while NAMESPACE in namespaces(core_api) and time.monotonic() < gone_by:
                time.sleep(0.5)


@pytest.fixture(scope="module")
def scanned(dashboard: Dashboard, local_cluster_registered: Cluster, infrastructure: str) -> ScanResult:
    """A stored scan of the namespace: the one the Scan page made, if that flow ran; else one made here
    the way the CLI makes it (the deploy flow needs a scan to wire to, not the Scan page)."""
    store = dashboard.open_store()
    try:
        found = store.latest_scan_for(local_cluster_registered.cluster_id, infrastructure)
        return found or run_scan(
            store, dashboard.settings, local_cluster_registered.cluster_id, namespaces=[infrastructure]
        )
    finally:
        store.close()


# -- (a) add a cluster by uploading its kubeconfig -------------------------------------------------


@pytest.mark.cluster
def test_add_a_cluster_by_uploading_its_kubeconfig(
    app: App, dashboard: Dashboard, local_cluster: ClusterState, admin_kubeconfig: str
) -> None:
    name = CLUSTER if registered(dashboard, CLUSTER) is None else f"{CLUSTER}-{int(time.time())}"
    page = app.open("clusters").page
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    app.assert_no_traceback()

    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Kubeconfig file")
    # the "Add a cluster" expander starts folded once a cluster is registered
    adder = page.locator("summary").filter(has_text="Add a cluster")
    expect(adder).to_be_visible()
    app.settle()
    if not uploader.is_visible():
        adder.click()
    expect(uploader).to_be_visible()
    with page.expect_file_chooser() as chooser:
        uploader.get_by_role("button", name="Upload", exact=True).click()
    chooser.value.set_files(admin_kubeconfig)
    app.settle()
    expect(uploader).to_contain_text(Path(admin_kubeconfig).name)

    # the kubeconfig's contexts are offered, its current-context first and chosen
    # (read, not clicked: the Clusters page's live refresh can fold an open dropdown mid-click)
    expect(page.get_by_role("combobox", name="Context")).to_have_value("ushadow-local")
    app.settle()
    # (the page has a Docker host form too, with fields of the same labels)
    form = page.locator('[data-testid="stExpander"]').filter(
        has=page.get_by_role("button", name="Add cluster")
    )
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Namespace", exact=True).fill(NAMESPACE)
    form.get_by_label("Labels", exact=True).fill("env=test, team=ops")
    page.get_by_role("button", name="Add cluster").click()
    app.settle()

    expect(page.get_by_text(f"Added cluster {name}. It is connected: {VERSION}")).to_be_visible()
    app.assert_no_traceback()
    frame = app.dataframes().first
    rows = {r["name"]: r for r in app.table(frame)}
    assert name in rows, rows
    row = rows[name]
    assert row["status"] == "● connected"
    assert row["version"] == VERSION
    assert row["server"] == local_cluster.server  # the API server's URL, not the kubeconfig's name
    assert int(row["nodes"]) >= 1
    assert row["namespace"] == NAMESPACE
    header, cells = app.grid(frame)  # what the canvas shows, read from its accessible grid
    assert header[:4] == ["Status", "Name", "API server", "Version"]
    assert ["● connected", name, local_cluster.server, VERSION] in [r[:4] for r in cells]

    stored = registered(dashboard, name)
    assert stored is not None and stored.labels == {"env": "test", "team": "ops"}
    fragments = secret_fragments(Path(admin_kubeconfig).read_text())
    html = app.html()
    leaked = [f[:24] for f in fragments if f in html]
    assert not leaked, f"key material in the page: {leaked}"
    on_disk = [
        str(path)
        for path in dashboard.data_dir.rglob("*")
        if path.is_file() and any(f.encode() in path.read_bytes() for f in fragments)
    ]
    assert not on_disk, f"key material in plain text in the data dir: {on_disk}"
    # the form starts empty again: no kubeconfig is kept in the page's inputs
    expect(page.locator('[data-testid="stFileUploaderFile"]')).to_have_count(0)
    app.shot("clusters")


# -- (b) scan, and reopen the result from its shareable link in a fresh browser ------------------

SEEDED = {"mongo", "redis", "postgres", "qdrant", "neo4j"}  # core.localcluster.demo.SAMPLE_INFRA
LINK = re.compile(r"https?://[^\s\"'<>]+/scan\?scan=[A-Za-z0-9_-]{16,64}")


def shared_link(app: App) -> str:
    """The shareable link the page shows (the page prints it as code, with USHADOW_PUBLIC_URL).

    A fresh browser loads the code block's renderer lazily, after the script run has ended, so
    wait for the link to be drawn before reading it.
    """
    expect(app.main).to_contain_text(LINK)
    found = set(LINK.findall(app.main.inner_text()))
    assert len(found) == 1, f"want one shareable link on the page, found {found}"
    return found.pop()


def results(app: App) -> list[dict[str, str]]:
    """The scan's matches: the dataframe with a service per row."""
    frame = app.dataframe("service").first
    expect(frame).to_be_visible(timeout=60_000)  # a busy machine draws the grid a while after the run
    return app.table(frame)


def comparable(rows: list[dict[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    return sorted(tuple(sorted(r.items())) for r in rows)


@pytest.mark.cluster
def test_scan_and_open_the_shared_link_in_a_fresh_browser(
    app: App,
    new_app: Callable[[], App],
    dashboard: Dashboard,
    local_cluster_registered: Cluster,
    infrastructure: str,
) -> None:
    cluster_id = local_cluster_registered.cluster_id
    page = app.open(f"scan?cluster={cluster_id}").page
    expect(page.get_by_role("heading", name="Scan", level=1)).to_be_visible()
    app.assert_no_traceback()
    # the cluster's own namespace is picked already; the address bar names the cluster
    namespaces = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Namespaces")
    expect(namespaces).to_contain_text(infrastructure)
    expect(page).to_have_url(re.compile(rf"/scan\?cluster={re.escape(cluster_id)}$"))
    page.get_by_role("button", name="Scan", exact=True).click()
    app.settle()
    app.assert_no_traceback()

    found = results(app)
    services = {r["service"] for r in found}
    assert services >= SEEDED, found
    by_service = {r["service"]: r for r in found}
    assert f"mongo.{infrastructure}.svc.cluster.local:27017" in by_service["mongo"]["endpoints"]
    assert {by_service[name]["readiness"] for name in SEEDED} == {"ready"}  # the demo's pods are up
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(f"Scanned {CLUSTER}")
    link = shared_link(app)
    assert link.startswith(f"{dashboard.url}/scan?scan=")
    expect(page).to_have_url(link)  # the address bar is the shareable link too
    scan_id = link.rsplit("=", 1)[1]
    store = dashboard.open_store()
    try:
        stored = store.get_scan(scan_id)
        scans_before = store.count_scans()
    finally:
        store.close()
    assert {m.service for m in stored.matches} == services
    app.shot("scan")

    # someone else opens the link: a new browser context, so no Streamlit session and no cookies
    other = new_app().open(link.removeprefix(dashboard.url))
    expect(other.page.get_by_role("heading", name="Scan", level=1)).to_be_visible()
    other.assert_no_traceback()
    assert shared_link(other) == link
    assert comparable(results(other)) == comparable(found)
    store = dashboard.open_store()
    try:
        assert store.count_scans() == scans_before, "opening the link ran a new scan"
    finally:
        store.close()
    other.shot("scan-shared-link")


# -- (c) deploy a service from the registry and see it become ready ------------------------------

SERVICE = "notes-compose:notes-api"
API_KEY = "sk-browser-test-0123456789abcdef"


@pytest.mark.cluster
def test_deploy_a_service_and_see_it_become_ready(
    app: App,
    local_cluster_registered: Cluster,
    scanned: ScanResult,
    kube_api: client.ApiClient,
) -> None:
    cluster_id = local_cluster_registered.cluster_id
    page = app.open(f"deploy?cluster={cluster_id}&namespace={NAMESPACE}&service={SERVICE}").page
    expect(page.get_by_role("heading", name="Deploy", level=1)).to_be_visible()
    app.assert_no_traceback()
    expect(page.get_by_role("combobox", name="Cluster")).to_have_value(re.compile(f"^{CLUSTER}"))

    # a required variable with no default: the button still answers, and says what is missing
    deploy = page.get_by_role("button", name="Deploy", exact=True)
    expect(page.get_by_text("Fill in the required variables first: OPENAI_API_KEY")).to_be_visible()
    expect(deploy).to_be_enabled()
    deploy.click()
    app.settle()
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text(
        "Nothing was deployed: fill in the required variables first: OPENAI_API_KEY"
    )
    # Tab leaves a secret field (its "show password" eye used to take the focus, and the value was
    # never committed): the first click on Deploy after it deploys
    key = page.get_by_label(re.compile(r"^OPENAI_API_KEY"))
    expect(key).to_have_attribute("type", "password")
    key.fill(API_KEY)
    key.press("Tab")
    deploy.click()
    app.settle()
    expect(page.get_by_text(f"{SERVICE}: ready")).to_be_visible()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        "objects created or changed"
    )
    app.assert_no_traceback()
    records = app.table(app.dataframe("dry run"))
    assert [r["status"] for r in records if r["service"] == SERVICE][:1] == ["ready"]

    # the form is wired to the stored scan of the namespace; the key is never shown back
    env = {r["variable"]: r for r in app.table(app.dataframe("variable"))}
    assert env["MONGODB_URL"]["value"] == f"mongodb://mongo.{NAMESPACE}.svc.cluster.local:27017"
    assert env["MONGODB_URL"]["source"] == "scan"
    assert env["REDIS_URL"]["value"].startswith(f"redis://redis.{NAMESPACE}.svc.cluster.local:6379")
    assert env["QDRANT_PORT"]["value"] == "6333"
    assert env["OPENAI_API_KEY"]["source"] == "typed"
    assert API_KEY not in env["OPENAI_API_KEY"]["value"]
    manifests = page.get_by_text("Review the manifests")
    manifests.click()
    app.settle()
    review = page.locator('[data-testid="stExpander"]').filter(has_text="Review the manifests")
    expect(review.locator("code").first).to_contain_text("kind: Deployment")
    assert API_KEY not in review.inner_text()

    # and the cluster agrees: the Deployment is there, ready, with the wired environment
    deployment = client.AppsV1Api(kube_api).read_namespaced_deployment(
        "notes-api", NAMESPACE, _request_timeout=10
    )
    assert deployment.status.ready_replicas == 1
    config = client.CoreV1Api(kube_api).read_namespaced_config_map(
        "notes-api-config", NAMESPACE, _request_timeout=10
    )
    assert config.data["MONGODB_URL"] == env["MONGODB_URL"]["value"]
    # the picture: manifests folded away, the deploy's outcome unfolded
    manifests.click()
    expect(review.locator("code").first).not_to_be_visible()
    # below its (folded) box, in view without a click: what the deploy created or changed
    status = page.locator('[data-testid="stExpander"]').filter(has_text=f"{SERVICE}: ready")
    expect(status.locator('[data-testid="stDataFrame"]')).to_have_count(0)
    expect(app.dataframe("object")).to_be_visible()
    app.shot("deploy")


# -- (d) the health route -----------------------------------------------------------------------


def test_the_health_route_answers_200_json(app: App, dashboard: Dashboard) -> None:
    response = app.page.request.get(f"{dashboard.url}/healthz")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert re.fullmatch(r"\d{4}", body["schema"]), body  # the Alembic revision the database is at


# -- the other pages, photographed (last, so they show the clusters, scans and deployments) ------


@pytest.fixture(scope="module")
def deployed(dashboard: Dashboard, local_cluster_registered: Cluster, scanned: ScanResult) -> str:
    """``notes-api`` running in the namespace: the deploy flow's, if it ran; else deployed here."""
    from core.deploy.deploying import deploy_service

    store = dashboard.open_store()
    try:
        records = store.list_deployments(local_cluster_registered.cluster_id)
        if not any(r.service_id == SERVICE and r.status == "ready" for r in records):
            outcome = deploy_service(
                store,
                dashboard.settings,
                cluster=local_cluster_registered.cluster_id,
                service_id=SERVICE,
                namespace=NAMESPACE,
                env={"OPENAI_API_KEY": API_KEY},
                wait=True,
                timeout=120,
            )
            assert outcome.status == "ready", outcome.message
    finally:
        store.close()
    return "notes-api"


def metric(app: App, label: str) -> Locator:
    box = app.page.locator('[data-testid="stMetric"]').filter(
        has=app.page.locator('[data-testid="stMetricLabel"]').filter(has_text=re.compile(f"^{label}$"))
    )
    return box.locator('[data-testid="stMetricValue"]')


@pytest.mark.cluster
def test_home_says_it_is_open_and_counts_what_is_stored(
    app: App, dashboard: Dashboard, local_cluster_registered: Cluster, scanned: ScanResult
) -> None:
    page = app.open("").page
    expect(page.get_by_role("heading", name="ushadow ops", level=1)).to_be_visible()
    app.assert_no_traceback()
    banner = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="open to anyone")
    expect(banner).to_contain_text("127.0.0.1")
    store = dashboard.open_store()
    try:
        clusters, scans = store.list_clusters(), store.count_scans()
    finally:
        store.close()
    expect(metric(app, "Clusters")).to_have_text(str(len(clusters)))
    expect(metric(app, "Connected")).to_have_text(str(sum(c.status == "connected" for c in clusters)))
    expect(metric(app, "Scans stored")).to_have_text(str(scans))
    app.shot("home")


def test_services_lists_the_compose_registry(app: App) -> None:
    page = app.open("services").page
    expect(page.get_by_role("heading", name="Services", level=1)).to_be_visible()
    app.assert_no_traceback()
    ids = {r["id"]: r for r in app.table(app.dataframes().first)}
    assert {"infra-compose:mongo", "infra-compose:redis", SERVICE} <= set(ids)
    assert ids[SERVICE]["required"] == "OPENAI_API_KEY"
    app.shot("services")


@pytest.mark.cluster
def test_workloads_shows_what_was_deployed(
    app: App, local_cluster_registered: Cluster, deployed: str
) -> None:
    cluster_id = local_cluster_registered.cluster_id
    page = app.open(f"workloads?cluster={cluster_id}&namespace={NAMESPACE}").page
    expect(page.get_by_role("heading", name="Workloads", level=1)).to_be_visible()
    app.assert_no_traceback()
    workloads = {r["workload"]: r for r in app.table(app.dataframe("workload").first)}
    assert workloads[f"Deployment/{deployed}"]["ready"] == "1/1"
    assert workloads[f"Deployment/{deployed}"]["service"] == SERVICE
    # the drift column: "unknown (checking)" while its check runs, then what it found (the table
    # refreshes itself every 5 s); nothing was changed since the deploy
    drift = workloads[f"Deployment/{deployed}"]["drift"]
    for _ in range(60):
        if not drift.startswith("unknown"):
            break
        page.wait_for_timeout(2000)
        rows = app.table(app.dataframe("workload").first)
        drift = {r["workload"]: r for r in rows}[f"Deployment/{deployed}"]["drift"]
    assert drift == "in sync"
    app.shot("workloads")


@pytest.mark.cluster
def test_workloads_updates_ready_counts_after_a_scale_without_a_click(
    app: App, local_cluster_registered: Cluster, deployed: str, kube_api: client.ApiClient
) -> None:
    cluster_id = local_cluster_registered.cluster_id
    page = app.open(f"workloads?cluster={cluster_id}&namespace={NAMESPACE}").page
    grid = app.dataframe("workload").first.locator('table[role="grid"]')
    expect(grid).to_contain_text("1/1", timeout=60_000)
    expect(page.get_by_text(re.compile(r"updated \d+ s ago"))).to_be_visible()
    apps = client.AppsV1Api(kube_api)
    apps.patch_namespaced_deployment_scale(
        deployed, NAMESPACE, {"spec": {"replicas": 2}}, _request_timeout=10
    )
    try:
        # no click, no reload: the live section reads the cluster again by itself
        expect(grid).to_contain_text("2/2", timeout=90_000)
        app.assert_no_traceback()
    finally:
        apps.patch_namespaced_deployment_scale(
            deployed, NAMESPACE, {"spec": {"replicas": 1}}, _request_timeout=10
        )
