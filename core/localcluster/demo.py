"""The demo: a local control plane with sample infrastructure, registered and ready to look at.

``python -m core.localcluster.demo`` (what ``make demo`` runs before starting the dashboard) is idempotent:
it starts the local control plane unless it already runs, applies the sample infrastructure to the
``ushadow`` namespace, and registers the cluster as ``local`` (or re-checks it).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from core.clusters import registering as cluster_ops
from core.clusters.kube import open_kube
from core.deploy.applying import apply
from core.errors import NotFound, UshadowError
from core.localcluster.binaries import ensure_binaries
from core.localcluster.running import LocalCluster
from core.settings import Settings
from core.store.store import Store

NAMESPACE = "ushadow"
CLUSTER_NAME = "local"

# (name, image, ports as (name, port)), the infrastructure the ushadow services expect.
SAMPLE_INFRA: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("mongo", "mongo:8.0", [("mongo", 27017)]),
    ("redis", "redis:7.4-alpine", [("redis", 6379)]),
    ("postgres", "postgres:16-alpine", [("postgres", 5432)]),
    ("qdrant", "qdrant/qdrant:v1.13.0", [("http", 6333), ("grpc", 6334)]),
    ("neo4j", "neo4j:5.26", [("bolt", 7687), ("http", 7474)]),
]


def sample_manifests(namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace, "labels": {"app.kubernetes.io/managed-by": "ushadow"}},
        }
    ]
    for name, image, ports in SAMPLE_INFRA:
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ushadow-demo"}
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": name,
                                    "image": image,
                                    "ports": [{"name": p, "containerPort": n} for p, n in ports],
                                }
                            ]
                        },
                    },
                },
            }
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {
                    "selector": {"app.kubernetes.io/name": name},
                    "ports": [{"name": p, "port": n, "targetPort": n} for p, n in ports],
                },
            }
        )
    return objects


def run(settings: Settings, say: Any = print) -> str:
    lc = LocalCluster(settings.data_dir / "local-cluster")
    state, started = lc.up(ensure_binaries(settings.k8s_bin_dir, progress=say), progress=say)
    say(f"local control plane {'started' if started else 'already running'} at {state.server}")
    kubeconfig = state.kubeconfig.read_bytes()
    with open_kube(kubeconfig, settings) as kube:
        for obj in sample_manifests():
            apply(kube, obj)
        say(
            f"sample infrastructure applied to namespace {NAMESPACE}: {', '.join(n for n, _i, _p in SAMPLE_INFRA)}"
        )
    store = Store.open(settings)
    try:
        try:
            existing = store.get_cluster(CLUSTER_NAME)
        except NotFound:
            existing = None
        if existing is not None and existing.server != state.server:
            store.remove_cluster(CLUSTER_NAME)  # a previous demo's control plane, on another port
            existing = None
        if existing is None:
            cluster = cluster_ops.add_cluster(
                store, settings, name=CLUSTER_NAME, kubeconfig=kubeconfig
            ).cluster
        else:
            cluster = cluster_ops.check_cluster(store, settings, CLUSTER_NAME)
        say(
            f"cluster {cluster.name!r} registered: {cluster.status}, {cluster.version}, {cluster.node_count} nodes"
        )
        _wait_ready(settings, kubeconfig)
        _scan(store, settings, cluster.cluster_id, say)
    finally:
        store.close()
    return CLUSTER_NAME


def _wait_ready(settings: Settings, kubeconfig: bytes, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with open_kube(kubeconfig, settings) as kube:
        while time.monotonic() < deadline:
            items = kube.list_all(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments")
            if items and all((d.get("status") or {}).get("readyReplicas") == 1 for d in items):
                return
            time.sleep(0.5)


def _scan(store: Store, settings: Settings, cluster_id: str, say: Any) -> None:
    """Run a first scan so the dashboard has something to show."""
    from core.scan.jobs import run_scan

    result = run_scan(store, settings, cluster_id, namespaces=[NAMESPACE])
    say(f"first scan stored: {', '.join(result.found_types()) or 'nothing found'}")


def main() -> int:
    try:
        settings = Settings.load()
        run(settings, say=lambda m: print(m, file=sys.stderr))
    except UshadowError as exc:
        print(f"error: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
