"""The Workloads table's drift column, in core: each deployed service's mark (in sync, cluster
drift, source drift, unknown) checked on a pool, waited for at most a deadline, and kept for a
short time (the real local control plane; a hand edit and a compose edit)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from kubernetes import client

from core.deploy.deploying import deploy_service
from core.operate.driftmarks import CLUSTER, IN_SYNC, SOURCE, UNKNOWN, DriftMarks
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, register

pytestmark = pytest.mark.cluster
T = 10


def test_marks_are_bounded_then_answered_then_kept(
    store: Store, settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    registry = tmp_path / "registry"
    shutil.copytree(REGISTRY, registry)
    cluster = store.get_cluster(register(store, settings, Path(admin_kubeconfig).read_text(), namespace))
    for sid, env in (("shop:shop-api", {"SHOP_API_KEY": "k"}), ("shop:worker", {"WORKER_TOKEN": "t"})):
        done = deploy_service(store, settings, cluster=cluster.cluster_id, service_id=sid, env=env,
                              wait=True, registry_dirs=[registry])  # fmt: skip
        assert done.status == "ready", done.message
    apps = client.AppsV1Api(kube_api)
    apps.patch_namespaced_deployment(
        "shop-api", namespace, {"spec": {"replicas": 2}}, field_manager="kubectl-edit", _request_timeout=T
    )
    compose = registry / "shop.yaml"
    compose.write_text(compose.read_text().replace("busybox:1.37", "busybox:1.38"))
    names = ["shop-api", "worker", "not-deployed"]

    def marks(checker: DriftMarks, deadline: float) -> dict[str, str]:
        found = checker.marks(
            store, settings, cluster.cluster_id, namespace, names, [registry], deadline=deadline
        )
        return {n: m.state for n, m in found.items()}

    checker = DriftMarks(workers=1)
    gate = threading.Event()
    checker._pool.submit(gate.wait)  # the pool is busy: no check can answer before the deadline
    early = checker.marks(store, settings, cluster.cluster_id, namespace, names, [registry], deadline=0)
    assert {n: (m.state, m.detail) for n, m in early.items()} == {
        "shop-api": (UNKNOWN, "checking"), "worker": (UNKNOWN, "checking"),
        "not-deployed": (UNKNOWN, "no recorded deploy"),
    }  # fmt: skip
    gate.set()
    # the next call waits for the checks already running (it starts no second one)
    assert marks(checker, 120) == {"shop-api": CLUSTER, "worker": SOURCE, "not-deployed": UNKNOWN}

    # undone by hand: the kept answer stands until it is older than ttl
    apps.patch_namespaced_deployment(
        "shop-api", namespace, {"spec": {"replicas": 1}}, field_manager="ushadow", _request_timeout=T
    )
    assert marks(checker, 120)["shop-api"] == CLUSTER
    assert marks(DriftMarks(ttl=0), 120)["shop-api"] == IN_SYNC
