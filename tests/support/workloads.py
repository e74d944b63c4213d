"""Objects for scan tests against the real control plane: Deployments and Services as JSON, and a wait
for their EndpointSlices to show ready endpoints."""

from __future__ import annotations

import time
from typing import Any

from kubernetes import client

T = 10  # seconds: every request of these helpers has a timeout


def deployment(
    name: str, labels: dict[str, str], image: str, ports: list[int], replicas: int = 1
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "main", "image": image, "ports": [{"containerPort": p} for p in ports]}
                    ]
                },
            },
        },
    }


def svc(
    name: str,
    ports: list[dict[str, Any]],
    selector: dict[str, str] | None = None,
    *,
    kind: str = "ClusterIP",
    labels: dict[str, str] | None = None,
    headless: bool = False,
    external_name: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind}
    if ports:
        spec["ports"] = ports
    if selector:
        spec["selector"] = selector
    if headless:
        spec["clusterIP"] = "None"
    if external_name:
        spec["externalName"] = external_name
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
    }


def wait_ready(api: client.ApiClient, ns: str, expected: dict[str, int], timeout: float = 90) -> None:
    """Until each Service's EndpointSlices show the expected number of ready endpoints."""
    discovery = client.DiscoveryV1Api(api)
    deadline = time.monotonic() + timeout
    seen: dict[str, int] = {}
    while time.monotonic() < deadline:
        slices = discovery.list_namespaced_endpoint_slice(ns, _request_timeout=T).items
        seen = {}
        for s in slices:
            owner = (s.metadata.labels or {}).get("kubernetes.io/service-name", "")
            ready = sum(1 for e in s.endpoints or [] if (e.conditions and e.conditions.ready) is not False)
            seen[owner] = seen.get(owner, 0) + ready
        if all(seen.get(name) == count for name, count in expected.items()):
            return
        time.sleep(0.5)
    raise AssertionError(f"endpoints never became ready: wanted {expected}, saw {seen}")
