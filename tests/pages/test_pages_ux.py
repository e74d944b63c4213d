"""What a UX review in Chromium found on the pages, pinned under ``AppTest``: outcomes drawn where a
collapsed status box cannot hide them, Cancel that stays, the context picker that follows the
kubeconfig, Home at ``/home``, tables fresh after an action, logs that survive their download,
Home's steps done from the deployment records, a spinner while Workloads waits, and the small
things (tab titles, message wording, blanks instead of "None", the first app preselected).

Clusters that cannot answer are real too: a closed port (refused at once) and a socket that accepts
and never speaks (every request runs into its timeout).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kubernetes import client
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from core.clusters import registering as ops
from core.deploy.deploying import deploy_service
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, object_names, register
from tests.support.kubeconfig_factory import dump, kubeconfig
from tests.support.pagekit import ENTRY, confirm, open_page, plain, texts


@pytest.fixture(autouse=True)
def shop_registry(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy fixtures as the compose registry (set after ``settings``, which empties it; the
    Streamlit caches are cleared around every test by tests/conftest.py)."""
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(REGISTRY))


def slow_page(page: str, **query: str) -> AppTest:
    return open_page(page, timeout=120, **query)


@dataclass
class Sent:
    """Every message the app sends while it runs, spinners included (AppTest's element tree drops
    those: a spinner is a transient element, gone by the end of the run)."""

    messages: list[ForwardMsg] = field(default_factory=list)

    def spinners(self) -> list[str]:
        return [
            e.spinner.text
            for m in self.messages
            if m.HasField("delta") and m.delta.WhichOneof("type") == "new_transient"
            for e in m.delta.new_transient.elements
            if e.WhichOneof("type") == "spinner"
        ]

    def page_titles(self) -> list[str]:
        return [m.page_config_changed.title for m in self.messages if m.HasField("page_config_changed")]


@pytest.fixture
def sent() -> Iterator[Sent]:
    """Streamlit's own hook on its outgoing queue, which AppTest's runs go through too."""
    seen = Sent()
    ForwardMsgQueue.on_before_enqueue_msg(seen.messages.append)
    try:
        yield seen
    finally:
        ForwardMsgQueue.on_before_enqueue_msg(None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def refused_cluster(store: Store, settings: Settings) -> str:
    """A cluster saved while nothing listens at its address (every request refused at once)."""
    text = dump(kubeconfig(server=f"https://127.0.0.1:{free_port()}"))
    added = ops.add_cluster(store, settings, name="gone", kubeconfig=text, save_unreachable=True)
    assert added.cluster.status == "unreachable"
    return added.cluster.cluster_id


@pytest.fixture
def silent_cluster(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A cluster whose address accepts connections and never answers: each request waits for the
    request timeout (2 s here), as a cluster behind a dropped route does."""
    monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "2")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nobody ever reads or writes
        port = listener.getsockname()[1]
        text = dump(kubeconfig(server=f"https://127.0.0.1:{port}"))
        added = ops.add_cluster(store, Settings.load(), name="silent", kubeconfig=text, save_unreachable=True)
        yield added.cluster.cluster_id


def fake_cluster(store: Store, name: str = "prod", **fields: object) -> str:
    values: dict[str, object] = {
        "name": name, "context": "c", "server": "https://127.0.0.1:1", "namespace": "ushadow",
        "labels": {}, "credential": b"{}", "status": "unreachable", "version": None,
        "node_count": None, "error": "connection refused",
    }  # fmt: skip
    values.update(fields)
    return store.add_cluster(**values).cluster_id  # type: ignore[arg-type]


def shown_outside(at: AppTest, status: Block) -> list[str]:
    """The error texts on the page that are not inside ``status`` (what a collapsed box shows)."""
    inside = {id(e) for e in status.error}
    return [plain(e.value) for e in at.error if id(e) not in inside]


# -- 1. outcomes below the status box --------------------------------------------------------------


def test_a_deploy_to_an_unreachable_cluster_says_why_below_an_open_box(refused_cluster: str) -> None:
    at = open_page("deploy", cluster=refused_cluster, service="shop:broken")
    at.button(key="deploy_go").click().run()
    assert not at.exception, at.exception
    [box] = at.status
    assert box.state == "error" and box.label == "Deploying shop:broken failed"
    assert box.proto.expanded, "a failed box stays open on the step it reached"
    assert not box.error, "the reason must not sit inside the box, which a person may have closed"
    [why] = shown_outside(at, box)
    assert "Cluster unreachable" in why and "What to try:" in why


def test_deploying_many_to_an_unreachable_cluster_says_why_below_the_box(refused_cluster: str) -> None:
    at = open_page("deploy", cluster=refused_cluster, service="shop:broken")
    at.segmented_control(key="deploy_group_which").set_value("infra").run()
    at.button(key="deploy_group_go").click().run()
    assert not at.exception, at.exception
    box = next(s for s in at.status if s.label == "Deploy failed")
    assert box.state == "error" and box.proto.expanded
    assert not box.error
    assert any("Cluster unreachable" in t for t in shown_outside(at, box))


@pytest.mark.cluster
def test_a_conflict_is_explained_below_the_box_with_what_to_try(
    store: Store, settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    foreign = {"metadata": {"name": "shop-api"}, "spec": {"ports": [{"port": 80}]}}
    client.CoreV1Api(kube_api).create_namespaced_service(namespace, foreign, _request_timeout=10)
    cluster_id = store.get_cluster("local").cluster_id
    at = slow_page("deploy", cluster=cluster_id, namespace=namespace, service="shop:shop-api")
    next(t for t in at.text_input if t.label == "SHOP_API_KEY *").input("k").run()
    at.button(key="deploy_go").click().run()
    assert not at.exception, at.exception
    [box] = at.status
    assert box.state == "error" and box.proto.expanded and not box.error
    [why] = shown_outside(at, box)
    assert f"Service shop-api in namespace {namespace}" in why and "not made by ushadow" in why
    assert "What to try:** deploy into another namespace" in at.error[0].value
    assert object_names(kube_api, namespace)["Deployment"] == []


@pytest.mark.cluster
def test_a_dry_run_lists_what_would_change_below_the_box(
    store: Store, settings: Settings, admin_kubeconfig: str, namespace: str
) -> None:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    cluster_id = store.get_cluster("local").cluster_id
    at = slow_page("deploy", cluster=cluster_id, namespace=namespace, service="shop:broken")
    at.button(key="deploy_dry_run").click().run()
    assert not at.exception, at.exception
    [box] = at.status
    assert box.state == "complete"
    assert not box.dataframe and not box.success, "the result must not hide inside the box"
    assert any("would change" in s.value for s in at.success)
    changes = next(d.value for d in at.dataframe if list(d.value.columns) == ["object", "action", "changed"])
    assert "Deployment/broken" in set(changes["object"])
    assert set(changes["action"]) == {"created", "unchanged"}


# -- 2. Cancel stays after a wrong name -------------------------------------------------------------


def test_cancel_stays_after_a_wrong_cluster_name_and_closes_the_confirmation(store: Store) -> None:
    cluster_id = fake_cluster(store)
    at = open_page("clusters", cluster=cluster_id)
    at.button(key="clusters_remove_start").click().run()
    at.text_input(key="clusters_remove_name").input("wrong").run()
    at.button(key="clusters_remove_confirm").click().run()
    assert any("not the name of this cluster" in t for t in texts(at))
    assert [b.label for b in at.button if b.key == "clusters_remove_cancel"] == ["Cancel"]
    at.button(key="clusters_remove_cancel").click().run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key in ("clusters_remove_confirm", "clusters_remove_cancel")]
    assert [c.name for c in store.list_clusters()] == ["prod"]


@pytest.mark.cluster
def test_cancel_stays_after_a_wrong_workload_name(
    store: Store, settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    deploy_service(store, settings, cluster="local", service_id="shop:stash", registry_dirs=[REGISTRY])
    cluster_id = store.get_cluster("local").cluster_id
    at = slow_page("workloads", cluster=cluster_id, namespace=namespace)
    at.button(key="workloads_undeploy_start").click().run()
    at.text_input(key="workloads_undeploy_name").input("wrong").run()
    at.button(key="workloads_undeploy_confirm").click().run()
    assert any("not the workload's name" in t for t in texts(at))
    assert [b.label for b in at.button if b.key == "workloads_undeploy_cancel"] == ["Cancel"]
    at.button(key="workloads_undeploy_cancel").click().run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "workloads_undeploy_confirm"]
    assert object_names(kube_api, namespace)["StatefulSet"] == ["stash"]


# -- 3. the context picker shows the kubeconfig's current-context -----------------------------------


def two_contexts(current: str) -> str:
    doc = kubeconfig(context="first")
    doc["contexts"].append({"name": "second", "context": {"cluster": "c1", "user": "u1"}})
    doc["current-context"] = current
    return dump(doc)


def test_the_context_picker_starts_on_the_pasted_kubeconfigs_current_context() -> None:
    at = open_page("clusters")
    at.radio(key="clusters_add_source").set_value("Paste YAML").run()
    [picker] = [s for s in at.selectbox if s.label == "Context"]
    assert picker.value is None and picker.disabled
    at.text_area(key="clusters_add_yaml_0").set_value(two_contexts("second")).run()
    [picker] = [s for s in at.selectbox if s.label == "Context"]
    assert (picker.options, picker.value) == (["first", "second"], "second")
    # another kubeconfig with other contexts: the picker follows it
    other = dump(kubeconfig(context="only-one"))
    at.text_area(key="clusters_add_yaml_0").set_value(other).run()
    [picker] = [s for s in at.selectbox if s.label == "Context"]
    assert (picker.options, picker.value) == (["only-one"], "only-one")


def test_a_context_picked_by_hand_is_kept_while_the_contexts_stay_the_same() -> None:
    at = open_page("clusters")
    at.radio(key="clusters_add_source").set_value("Paste YAML").run()
    at.text_area(key="clusters_add_yaml_0").set_value(two_contexts("second")).run()
    next(s for s in at.selectbox if s.label == "Context").set_value("first").run()
    at.text_area(key="clusters_add_yaml_0").set_value(two_contexts("second") + "\n# edited\n").run()
    assert next(s for s in at.selectbox if s.label == "Context").value == "first"


# -- 4. Home lives at /home --------------------------------------------------------------------------


def test_home_has_its_own_address_and_the_root_moves_on_to_it() -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["ushadow ops"]
    pages = {info["url_pathname"]: info for info in at._registered_pages.values()}
    # /home resolves to Home's file (a URL path Streamlit looks up among these)
    assert Path(str(pages["home"]["script_path"])).name == "home.py"
    # the root's page is a step on to Home, hidden from the menu
    assert pages[""]["script_path"] in ("", None)
    hidden = [info for info in at._registered_pages.values() if info.get("is_hidden")]
    assert [h["url_pathname"] for h in hidden] in ([], [""])


def test_each_page_names_itself_in_the_browser_tab(sent: Sent) -> None:
    open_page("clusters")
    assert sent.page_titles()[-1] == "Clusters · ushadow ops"
    open_page("home")
    assert sent.page_titles()[-1] == "ushadow ops"


# -- 7. Home's steps from the deployment records ------------------------------------------------------


def steps(at: AppTest) -> dict[str, str]:
    marks = {"green": "done", "blue": "next", "gray": "later"}
    found = {}
    for m in at.markdown:
        for colour, state in marks.items():
            if m.value.startswith(f":{colour}[:material/"):
                found[m.value.split("] ", 1)[1]] = state
    return found


def test_home_marks_picking_and_deploying_done_from_the_deployment_records(store: Store) -> None:
    cluster_id = fake_cluster(store, status="connected", error=None)
    record = {
        "cluster_id": cluster_id, "namespace": "ushadow", "service_id": "shop:shop-api",
        "name": "shop-api", "manifests": "", "resources": [],
    }  # fmt: skip
    before = steps(open_page("home"))
    assert before["Pick a service from the compose registry"] != "done"

    store.record_deployment(**record, status="dry-run", message=None, dry_run=True)  # type: ignore[arg-type]
    tried = steps(open_page("home"))
    assert tried["Pick a service from the compose registry"] == "done"
    assert tried["Deploy it, wired to what the scan found"] != "done"

    store.record_deployment(**record, status="failed", message="boom", dry_run=False)  # type: ignore[arg-type]
    assert steps(open_page("home"))["Deploy it, wired to what the scan found"] != "done"

    store.record_deployment(**record, status="ready", message=None, dry_run=False)  # type: ignore[arg-type]
    done = steps(open_page("home"))
    assert done["Pick a service from the compose registry"] == "done"
    assert done["Deploy it, wired to what the scan found"] == "done"


# -- 5, 6. Workloads: fresh tables after an action, logs that survive a download ------------------------


@pytest.mark.cluster
def test_scale_and_restart_leave_the_tables_fresh_and_say_so_in_their_tab(
    store: Store, settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    outcome = deploy_service(
        store, settings, cluster="local", service_id="shop:shop-api", env={"SHOP_API_KEY": "k"},
        wait=True, registry_dirs=[REGISTRY],
    )  # fmt: skip
    assert outcome.status == "ready", outcome.message
    cluster_id = store.get_cluster("local").cluster_id
    at = slow_page("workloads", cluster=cluster_id, namespace=namespace)
    assert list(at.dataframe[0].value["ready"]) == ["1/1"]

    at.number_input(key="workloads_replicas_shop-api").set_value(2)
    at.button(key="workloads_scale_start").click().run()
    assert list(at.dataframe[0].value["ready"]) == ["1/1"], "scale asks first"
    assert [b for b in at.button if b.key == "workloads_scale_confirm"]
    confirm(at, "workloads_scale", "shop-api")
    assert not at.exception, at.exception
    # no Refresh clicked: the page ran again after the rollout and reads the new state
    assert list(at.dataframe[0].value["ready"]) == ["2/2"]
    assert len(at.dataframe[1].value) == 2
    scale_tab = next(t for t in at.tabs if t.label == "Scale")
    assert any("Scaled shop-api to 2" in plain(s.value) for s in scale_tab.success)

    confirm(at, "workloads_restart", "shop-api")
    assert not at.exception, at.exception
    restart_tab = next(t for t in at.tabs if t.label == "Restart")
    assert any("Restarted shop-api" in plain(s.value) for s in restart_tab.success)
    assert not any(s.value for t in at.tabs if t.label == "Scale" for s in t.success), "shown once"
    live = client.AppsV1Api(kube_api).read_namespaced_deployment("shop-api", namespace, _request_timeout=10)
    assert "kubectl.kubernetes.io/restartedAt" in (live.spec.template.metadata.annotations or {})


@pytest.mark.cluster
def test_a_restart_that_does_not_become_ready_says_why_in_its_tab(
    store: Store, settings: Settings, admin_kubeconfig: str, namespace: str
) -> None:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    deploy_service(store, settings, cluster="local", service_id="shop:broken", registry_dirs=[REGISTRY])
    cluster_id = store.get_cluster("local").cluster_id
    at = slow_page("workloads", cluster=cluster_id, namespace=namespace)
    confirm(at, "workloads_restart", at.selectbox(key="workloads_selected").value)
    assert not at.exception, at.exception
    restart_tab = next(t for t in at.tabs if t.label == "Restart")
    shown = " ".join(plain(e.value) for e in restart_tab.error)
    assert "ImagePullBackOff" in shown and "What to try:" in shown
    assert not any(box.error for box in at.status), "not inside a box a person may have closed"


@pytest.mark.cluster
def test_downloading_the_logs_does_not_rerun_the_page(
    store: Store, settings: Settings, admin_kubeconfig: str, namespace: str
) -> None:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    deploy_service(
        store, settings, cluster="local", service_id="shop:shop-api", env={"SHOP_API_KEY": "k"},
        wait=True, registry_dirs=[REGISTRY],
    )  # fmt: skip
    cluster_id = store.get_cluster("local").cluster_id
    at = slow_page("workloads", cluster=cluster_id, namespace=namespace)
    at.button(key="workloads_logs").click().run()
    assert not at.exception, at.exception
    [download] = at.get("download_button")
    # the browser downloads without a rerun, so the logs drawn by "Show logs" stay on the page
    assert download.proto.ignore_rerun


# -- 8. a spinner while Workloads waits for a cluster -------------------------------------------------


def test_workloads_shows_a_spinner_while_the_cluster_keeps_it_waiting(
    silent_cluster: str, sent: Sent
) -> None:
    at = slow_page("workloads", cluster=silent_cluster, namespace="ushadow")
    assert not at.exception, at.exception
    assert "Reading the workloads in ushadow…" in sent.spinners()
    assert any("Cluster unreachable" in t for t in texts(at))


# -- the small things ---------------------------------------------------------------------------------


def test_an_unreachable_cluster_shows_dashes_not_none(store: Store) -> None:
    fake_cluster(store)
    fake_cluster(store, "live", status="connected", version="v1.37.2", node_count=3, error=None)
    at = open_page("clusters")
    table = at.dataframe[0].value.set_index("name")
    # a missing value would be drawn as a grey "None"
    assert table.loc["prod", ["version", "nodes"]].tolist() == ["—", "—"]
    assert table.loc["live", ["version", "nodes"]].tolist() == ["v1.37.2", "3"]


def test_saving_an_unreachable_cluster_reads_as_sentences() -> None:
    at = open_page("clusters")
    at.radio(key="clusters_add_source").set_value("Paste YAML").run()
    at.text_area(key="clusters_add_yaml_0").set_value(
        dump(kubeconfig(server=f"https://127.0.0.1:{free_port()}"))
    )
    at.text_input(key="clusters_add_name_0").set_value("uploaded")
    at.checkbox(key="clusters_add_save_anyway_0").set_value(True).run()
    at.button(key="clusters_add_submit").click().run()
    assert not at.exception, at.exception
    [saved] = [w.value for w in at.warning if "Saved" in w.value]
    assert saved.startswith("Saved cluster uploaded, but it is unreachable: ")
    reason, _, hint = saved.partition("\n\n**What to try:** ")
    assert reason.endswith(".") and hint, saved


def test_deploy_preselects_the_first_app_not_infrastructure(store: Store) -> None:
    cluster_id = fake_cluster(store)
    at = open_page("deploy", cluster=cluster_id)
    assert not at.exception, at.exception
    assert at.selectbox(key="deploy_service").value == "shop:shop-api"
    assert at.query_params["service"] == "shop:shop-api"
    # a link still wins
    at = open_page("deploy", cluster=cluster_id, service="cache-infra:redis")
    assert at.selectbox(key="deploy_service").value == "cache-infra:redis"
