"""The Workloads page's "Run a command" tab under ``AppTest``, against the local control plane: an
operator runs a command in a pod and sees its output and exit status (recorded in the audit trail);
a read-only user gets no box."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.deploy.deploying import deploy_service
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, register
from tests.support.pagekit import AUTH, open_page, plain

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster_id(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    cluster_id = store.get_cluster("local").cluster_id
    outcome = deploy_service(
        store, settings, cluster=cluster_id, service_id="shop:shop-api", env={"SHOP_API_KEY": "k"},
        wait=True, registry_dirs=[REGISTRY],
    )  # fmt: skip
    assert outcome.status == "ready", outcome.message
    return cluster_id


def test_an_operator_runs_a_command_in_a_pod(cluster_id: str, namespace: str, store: Store) -> None:
    at = open_page("workloads", timeout=120, cluster=cluster_id, namespace=namespace)
    assert not at.exception, at.exception
    at.text_input(key="workloads_exec_command").input("sh -c 'echo from-the-pod; echo oops >&2; exit 3'")
    at.button[-1].click().run()  # the form's Run button
    assert not at.exception, at.exception
    assert any("exited with 3" in plain(w.value) for w in at.warning)
    assert [c.value.strip() for c in at.code] == ["from-the-pod", "oops"]
    [event] = [e for e in store.list_audit() if e.action == "exec"]
    assert event.detail["command"] == ["sh", "-c", "echo from-the-pod; echo oops >&2; exit 3"]
    assert event.detail["exit_code"] == 3 and event.target.startswith(f"{namespace}/shop-api-")

    at.text_input(key="workloads_exec_command").input("echo 'unclosed")
    at.button[-1].click().run()
    assert any("check its quotes" in plain(e.value) for e in at.error)


def test_a_read_only_user_gets_no_command_box(cluster_id: str, namespace: str) -> None:
    secrets = {"auth": AUTH, "USHADOW_AUTH_READONLY": "viewer@example.com"}
    user = {"is_logged_in": True, "email": "viewer@example.com"}
    at = open_page(
        "workloads", secrets=secrets, user=user, timeout=120, cluster=cluster_id, namespace=namespace
    )
    assert not at.exception, at.exception
    assert any("for operators" in plain(i.value) for i in at.info)
    assert not [t for t in at.text_input if t.key == "workloads_exec_command"]
