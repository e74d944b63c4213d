"""Builders of raw Kubernetes API JSON objects (as ``GET /api/v1/...`` returns them) for the pure
recognition and endpoint tests. They fill in what the API server fills in (uid, clusterIP, protocol,
targetPort), so the objects look like real list items."""

from __future__ import annotations

import hashlib
from typing import Any

Obj = dict[str, Any]


def _uid(*parts: str) -> str:
    h = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def port(
    number: int, name: str | None = None, *, target: int | str | None = None, node_port: int | None = None
) -> Obj:
    p: Obj = {"protocol": "TCP", "port": number, "targetPort": number if target is None else target}
    if name:
        p["name"] = name
    if node_port is not None:
        p["nodePort"] = node_port
    return p


def service(
    name: str,
    namespace: str = "ushadow",
    *,
    ports: list[Obj] | None = None,
    selector: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    kind: str = "ClusterIP",
    headless: bool = False,
    ingress: list[Obj] | None = None,
    external_name: str | None = None,
) -> Obj:
    spec: Obj = {"type": kind}
    if ports is not None:
        spec["ports"] = ports
    if selector is not None:
        spec["selector"] = selector
    if kind == "ExternalName":
        spec["externalName"] = external_name
    else:
        ip = "None" if headless else f"10.96.{len(name) % 250}.{sum(map(ord, name)) % 250}"
        spec |= {"clusterIP": ip, "clusterIPs": [ip], "ipFamilies": ["IPv4"], "sessionAffinity": "None"}
    status: Obj = {"loadBalancer": {}}
    if ingress is not None:
        status["loadBalancer"] = {"ingress": ingress}
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": _uid("svc", namespace, name),
            "resourceVersion": "1001",
            "creationTimestamp": "2026-11-26T10:00:00Z",
            "labels": labels or {},
        },
        "spec": spec,
        "status": status,
    }


def pod(
    name: str,
    namespace: str = "ushadow",
    *,
    labels: dict[str, str],
    images: list[str],
    ports: list[int] | None = None,
    phase: str = "Running",
) -> Obj:
    containers = [
        {
            "name": f"c{i}",
            "image": image,
            "ports": [{"containerPort": p, "protocol": "TCP"} for p in (ports or [])] if i == 0 else [],
            "resources": {},
            "imagePullPolicy": "IfNotPresent",
        }
        for i, image in enumerate(images)
    ]
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": _uid("pod", namespace, name),
            "labels": labels,
        },
        "spec": {"containers": containers, "nodeName": "kwok-node-0"},
        "status": {"phase": phase, "podIP": f"10.244.0.{sum(map(ord, name)) % 250}"},
    }


def endpoint(
    pod_name: str, *, ready: bool | None = True, hostname: str | None = None, ip: str | None = None
) -> Obj:
    e: Obj = {
        "addresses": [ip or f"10.244.1.{sum(map(ord, pod_name)) % 250}"],
        "conditions": {"serving": bool(ready), "terminating": False},
        "targetRef": {"kind": "Pod", "name": pod_name, "namespace": "ushadow", "uid": _uid("pod", pod_name)},
        "nodeName": "kwok-node-0",
    }
    if ready is not None:
        e["conditions"]["ready"] = ready
    if hostname:
        e["hostname"] = hostname
    return e


def endpoint_slice(
    service_name: str, namespace: str = "ushadow", *, endpoints: list[Obj], suffix: str = "x1"
) -> Obj:
    return {
        "metadata": {
            "name": f"{service_name}-{suffix}",
            "namespace": namespace,
            "labels": {
                "kubernetes.io/service-name": service_name,
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [],
    }


def node(
    name: str,
    *,
    internal: str | None = None,
    external: str | None = None,
    ready: bool = True,
    unschedulable: bool = False,
) -> Obj:
    addresses = [{"type": "Hostname", "address": name}]
    if internal:
        addresses.append({"type": "InternalIP", "address": internal})
    if external:
        addresses.append({"type": "ExternalIP", "address": external})
    return {
        "metadata": {"name": name, "labels": {"type": "kwok"}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "addresses": addresses,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


# -- Helm charts (Bitnami style) -----------------------------------------------------------------


def bitnami(chart: str, release: str, component: str | None = None, version: str = "1.0.0") -> dict[str, str]:
    """The labels a Bitnami-style chart puts on its Services and pods."""
    labels = {
        "app.kubernetes.io/name": chart,
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": f"{chart}-{version}",
    }
    if component:
        labels["app.kubernetes.io/component"] = component
    return labels


def sel(chart: str, release: str, component: str | None = None) -> dict[str, str]:
    """The selector such a chart's Service uses."""
    s = {"app.kubernetes.io/name": chart, "app.kubernetes.io/instance": release}
    if component:
        s["app.kubernetes.io/component"] = component
    return s
