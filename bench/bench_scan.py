"""Scanning 2,000 Services (with EndpointSlices) in one namespace, and 10,000 across ten namespaces,
timed against ``kubectl get services,endpointslices,pods -o json`` reading the same objects.

The objects are created on a private local control plane (started here, stopped at the end): most
Services are apps, one in 25 is a database or cache by its name, and each has an EndpointSlice with
two endpoints. A Deployment adds pods. Runs are interleaved (kubectl, ours, kubectl, ours, ...) and
the median of each is compared. Our scan is measured in-process (``core.scan.scanning.scan`` on a fresh
connection per run) and through the command line (``ushadow-ops scan --json``: Python start-up,
imports and the database write included).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kubernetes import client

from bench.common import control_plane, row, scaled
from core.clusters import registering as ops
from core.clusters.kube import Kube, open_kube
from core.scan.scanning import scan
from core.settings import Settings
from core.store.store import Store

KUBECTL = str(Path(sys.executable).with_name("kubectl"))
CLI = str(Path(sys.executable).with_name("ushadow-ops"))
REPEAT = int(os.environ.get("BENCH_REPEAT") or scaled(5, 2))
ONE_NS, ALL_NS = scaled(2000, 100), scaled(10000, 500)  # Services
ONE_NS_PODS, ALL_NS_PODS = scaled(200, 10), scaled(100, 10)
THREADS = 16
INFRA_NAMES = ("redis", "mongo", "postgres", "qdrant", "rabbitmq", "neo4j", "kafka", "minio")


def service_doc(name: str, index: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": name, "bench": "scan"}},
        "spec": {"ports": [{"name": "main", "port": 6379 if name.startswith("redis") else 8080 + index % 7}]},
    }


def slice_doc(name: str, index: int) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": f"{name}-bench", "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4",
        "ports": [{"name": "main", "port": 8080, "protocol": "TCP"}],
        "endpoints": [
            {
                "addresses": [f"10.{100 + index // 60000}.{(index // 250) % 250}.{index % 250 + j}"],
                "conditions": {"ready": j == 0, "serving": True, "terminating": False},
                "nodeName": "kwok-node-0",
            }
            for j in range(2)
        ],
    }


def populate(kube: Kube, namespace: str, count: int, pods: int) -> None:
    """``count`` Services, each with an EndpointSlice, and a Deployment of ``pods`` pods."""
    core, discovery, apps = (
        client.CoreV1Api(kube.api),
        client.DiscoveryV1Api(kube.api),
        client.AppsV1Api(kube.api),
    )
    fast = {"_preload_content": False, "_request_timeout": 60}  # no model deserialisation of the replies
    core.create_namespace({"metadata": {"name": namespace}}, **fast)

    def name_of(i: int) -> str:
        prefix = INFRA_NAMES[(i // 25) % len(INFRA_NAMES)] if i % 25 == 0 else "app"
        return f"{prefix}-{i:05d}"

    def create(i: int) -> None:
        name = name_of(i)
        core.create_namespaced_service(namespace, service_doc(name, i), **fast)
        discovery.create_namespaced_endpoint_slice(namespace, slice_doc(name, i), **fast)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(create, range(count)))
    if pods:
        labels = {"app": "bench-worker"}
        deployment = {
            "metadata": {"name": "bench-worker"},
            "spec": {
                "replicas": pods,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "w", "image": "ghcr.io/acme/worker:1"}]},
                },
            },
        }
        apps.create_namespaced_deployment(namespace, deployment, **fast)


def wait_for_pods(kube: Kube, namespace: str | None, pods: int) -> None:
    path = f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if len(kube.list_all(path, {"labelSelector": "app=bench-worker"})) >= pods:
            return
        time.sleep(1)
    raise SystemExit(f"pods in {namespace} never appeared")


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each function, run in turns after one warm-up round."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for rnd in range(repeat + 1):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            if rnd:
                samples[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in samples.items()}


def main() -> None:
    rows: list[str] = []
    with control_plane() as state, tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        settings = Settings.load({"USHADOW_DATA_DIR": tmp, "USHADOW_REQUEST_TIMEOUT": "60"})
        admin = state.kubeconfig.read_bytes()
        env = {**os.environ, "USHADOW_DATA_DIR": tmp, "USHADOW_REQUEST_TIMEOUT": "60"}
        store = Store.open(settings)
        ops.add_cluster(store, settings, name="bench", kubeconfig=admin)
        store.close()

        cases = [
            ("one namespace", ["scan-0"], ONE_NS, ONE_NS_PODS),
            ("all namespaces", None, ALL_NS, ALL_NS_PODS),
        ]
        for label, namespaces, total, pods in cases:
            with open_kube(admin, settings) as kube:
                started = time.perf_counter()
                if namespaces:
                    populate(kube, namespaces[0], total, pods)
                else:
                    for n in range(10):
                        populate(kube, f"scan-all-{n}", total // 10, pods // 10)
                created = time.perf_counter() - started
                wait_for_pods(kube, namespaces[0] if namespaces else None, pods)
            where = ["-n", namespaces[0]] if namespaces else ["-A"]
            kubectl_cmd = [
                KUBECTL,
                "--kubeconfig",
                str(state.kubeconfig),
                "get",
                "services,endpointslices,pods",
            ]
            kubectl_cmd += [*where, "-o", "json"]
            cli_cmd = [CLI, "scan", "bench", "--json"]
            cli_cmd += ["-n", namespaces[0]] if namespaces else ["--all-namespaces"]
            found: list[int] = []

            def ours(namespaces: list[str] | None = namespaces, found: list[int] = found) -> None:
                with open_kube(admin, settings) as kube:
                    result = scan(
                        kube, cluster_id="bench", namespaces=namespaces, all_namespaces=not namespaces
                    )
                found.append(len(result.matches))

            def kubectl(cmd: list[str] = kubectl_cmd) -> None:
                subprocess.run(cmd, check=True, capture_output=True)

            def cli(cmd: list[str] = cli_cmd) -> None:
                subprocess.run(cmd, check=True, capture_output=True, env=env)

            medians = interleaved({"kubectl": kubectl, "scan": ours, "cli": cli}, REPEAT)
            base = medians["kubectl"]
            rows.append(
                row(
                    label,
                    f"{total:,}",
                    f"{created:.1f} s",
                    f"{base * 1000:.0f} ms",
                    f"{medians['scan'] * 1000:.0f} ms",
                    f"{medians['scan'] / base:.2f}x",
                    f"{medians['cli'] * 1000:.0f} ms",
                    f"{medians['cli'] / base:.2f}x",
                    found[-1],
                )
            )
    print(
        f"Scan benchmark ({REPEAT} interleaved runs each, median; 2-core machine, control plane on the same host)\n"
    )
    print(
        row(
            "case",
            "services",
            "setup",
            "kubectl get -o json",
            "scan()",
            "scan/kubectl",
            "ushadow-ops scan",
            "cli/kubectl",
            "matches",
        )
    )
    print(row(*["---"] * 9))
    for line in rows:
        print(line)
    print(
        "\nIssue 16's targets are the `cli/kubectl` column (whole processes): at most 1.0x for one"
        " namespace of 2,000 Services, at most 0.5x for 10,000 across namespaces."
    )


if __name__ == "__main__":
    main()
