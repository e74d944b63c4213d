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
from core.conventions import MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAME_LABEL, PART_OF_LABEL
from core.deploy.applying import apply
from core.errors import NotFound, UshadowError
from core.localcluster.binaries import ensure_binaries
from core.localcluster.running import LocalCluster
from core.scan.jobs import run_scan
from core.settings import Settings
from core.store.records import Cluster
from core.store.scans import ScanResult
from core.store.store import Store
from core.views.urlstate import scan_link

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
            "metadata": {"name": namespace, "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE}},
        }
    ]
    for name, image, ports in SAMPLE_INFRA:
        labels = {NAME_LABEL: name, PART_OF_LABEL: "ushadow-demo"}
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {NAME_LABEL: name}},
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
                    "selector": {NAME_LABEL: name},
                    "ports": [{"name": p, "port": n, "targetPort": n} for p, n in ports],
                },
            }
        )
    return objects


def run(settings: Settings, say: Any = print) -> str:
    lc = LocalCluster(settings.data_dir / "local-cluster")
    state, started = lc.up(ensure_binaries(settings.k8s_bin_dir, progress=say), progress=say)
    say(f"local control plane {'started' if started else 'already running'} at {state.server}")
    seed(settings, state.kubeconfig.read_bytes(), state.server, say)
    return CLUSTER_NAME


def seed(
    settings: Settings,
    kubeconfig: bytes,
    server: str,
    say: Any = print,
    *,
    namespace: str = NAMESPACE,
    name: str = CLUSTER_NAME,
) -> ScanResult:
    """Apply the sample infrastructure to ``namespace``, register the cluster as ``name`` (or re-check
    it), wait until every sample service is ready, and store a first scan; returns that scan."""
    with open_kube(kubeconfig, settings) as kube:
        for obj in sample_manifests(namespace):
            apply(kube, obj)
    say(
        f"sample infrastructure applied to namespace {namespace}: {', '.join(n for n, _i, _p in SAMPLE_INFRA)}"
    )
    store = Store.open(settings)
    try:
        cluster = _register(store, settings, kubeconfig, server, name)
        say(
            f"cluster {cluster.name!r} registered: {cluster.status}, {cluster.version}, {cluster.node_count} nodes"
        )
        say("waiting for the sample infrastructure to be ready (endpoints included)")
        _wait_ready(settings, kubeconfig, say, namespace)
        return _scan(store, settings, cluster.cluster_id, say, namespace)
    finally:
        store.close()


def _register(store: Store, settings: Settings, kubeconfig: bytes, server: str, name: str) -> Cluster:
    """The demo's cluster, registered afresh when an earlier demo's control plane ran on another port."""
    try:
        existing = store.get_cluster(name)
    except NotFound:
        existing = None
    if existing is not None and existing.server != server:
        store.remove_cluster(name)
        existing = None
    if existing is None:
        return cluster_ops.add_cluster(store, settings, name=name, kubeconfig=kubeconfig).cluster
    return cluster_ops.check_cluster(store, settings, name)


def _wait_ready(settings: Settings, kubeconfig: bytes, say: Any, namespace: str, timeout: float = 90) -> bool:
    """Until every sample Deployment is ready and every sample Service has a ready endpoint (what the
    scan reads), so the first scan shows every sample service ready; says so if it times out."""
    deadline = time.monotonic() + timeout
    names = {name for name, _image, _ports in SAMPLE_INFRA}
    with open_kube(kubeconfig, settings) as kube:
        while True:
            waiting = _not_ready(kube, names, namespace)
            if not waiting:
                return True
            if time.monotonic() >= deadline:
                say(f"warning: still not ready after {timeout:.0f}s: {', '.join(sorted(waiting))}")
                return False
            time.sleep(0.5)


def _not_ready(kube: Any, names: set[str], namespace: str) -> set[str]:
    """The sample services whose Deployment or EndpointSlices are not ready yet."""
    deployments = kube.list_all(f"/apis/apps/v1/namespaces/{namespace}/deployments")
    ready = {
        (d.get("metadata") or {}).get("name")
        for d in deployments
        if (d.get("status") or {}).get("readyReplicas") == (d.get("spec") or {}).get("replicas", 1)
    }
    slices = kube.list_all(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices")
    served = {
        ((s.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name")
        for s in slices
        if any(((e.get("conditions") or {}).get("ready")) for e in s.get("endpoints") or [])
    }
    return {name for name in names if name not in ready or name not in served}


def _scan(store: Store, settings: Settings, cluster_id: str, say: Any, namespace: str) -> ScanResult:
    """Run a first scan so the dashboard has something to show."""
    result = run_scan(store, settings, cluster_id, namespaces=[namespace])
    say(f"first scan stored: {', '.join(result.found_types()) or 'nothing found'}")
    say(f"open it: {scan_link(settings.public_url, result.scan_id)}")
    return result


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
