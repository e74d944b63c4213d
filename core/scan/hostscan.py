"""Scanning a Docker host: its running containers read with the same catalog and recognition as a
cluster's Services.

Each container is read as a Service selecting one pod: its name (the compose service's name when
compose made it, else the container's), its labels (compose's project and service labels among
them), its image and its exposed ports. Endpoints are ``host:published-port`` for each published
port (the engine's host for a ``tcp://``/``ssh://`` URL, ``127.0.0.1`` for a local socket), then
``container-name:port`` (reachable on each of the container's networks, which ``networks`` lists).
The result is a :class:`~core.store.scans.ScanResult` whose ``cluster_id`` is the host's id, so it
is stored, diffed and shared like a cluster's scan, in the same JSON shape.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from core.catalog import Catalog, load_catalog
from core.naming import new_id
from core.scan.endpoints import host_port
from core.scan.recognition import Readings, recognise
from core.store.scans import Match, ScanResult

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
SELECT = "ushadow.io/container"

Json = Mapping[str, Any]


def host_address(url: str) -> str:
    """Where a published port is reached from outside the engine."""
    parts = urlsplit(url)
    if parts.scheme in ("tcp", "ssh") and parts.hostname:
        return parts.hostname
    return "127.0.0.1"


def _name(container: Json) -> str:
    names = container.get("Names") or [""]
    return str(names[0]).lstrip("/")


def _ports(container: Json) -> tuple[list[int], list[tuple[str, int, int]]]:
    """Container ports (exposed or published, TCP) and published ``(ip, public, private)``."""
    private: list[int] = []
    published: list[tuple[str, int, int]] = []
    for port in container.get("Ports") or ():
        if (port.get("Type") or "tcp") != "tcp" or not isinstance(port.get("PrivatePort"), int):
            continue
        if port["PrivatePort"] not in private:
            private.append(port["PrivatePort"])
        if isinstance(port.get("PublicPort"), int) and port["PublicPort"] > 0:
            entry = (str(port.get("IP") or ""), port["PublicPort"], port["PrivatePort"])
            if entry not in published:
                published.append(entry)
    return sorted(private), published


def as_service(container: Json) -> tuple[dict[str, Any], dict[str, Any]]:
    """The container as a Kubernetes Service and the one pod it selects, for ``recognise``."""
    name = _name(container)
    labels = dict(container.get("Labels") or {})
    private, _ = _ports(container)
    project = labels.get(PROJECT_LABEL, "")
    service = {
        "metadata": {"name": labels.get(SERVICE_LABEL) or name, "namespace": project, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": {SELECT: name},
            "ports": [{"port": p, "targetPort": p, "protocol": "TCP"} for p in private],
        },
    }
    pod = {
        "metadata": {"name": name, "namespace": project, "labels": {**labels, SELECT: name}},
        "spec": {
            "containers": [
                {
                    "name": name,
                    "image": str(container.get("Image") or ""),
                    "ports": [{"containerPort": p} for p in private],
                }
            ]
        },
    }
    return service, pod


def _container_reason(reason: str) -> str:
    """A recognition reason as said of a container (recognition reads a container as a pod)."""
    return (
        "container image " + reason.removeprefix("pod image ") if reason.startswith("pod image ") else reason
    )


def container_match(container: Json, address: str, catalog: Catalog, readings: Readings) -> Match | None:
    service, pod = as_service(container)
    recognition = recognise(service, [pod], catalog=catalog, readings=readings)
    if recognition is None:
        return None
    infra = catalog.get(recognition.infra_type)
    name = _name(container)
    private, published = _ports(container)
    ports = private or [infra.main_port.port]
    main = infra.main_port.port if infra.main_port.port in ports else ports[0]
    ordered = [main, *(p for p in ports if p != main)]
    outside = [host_port(ip if ip not in ("", "0.0.0.0", "::") else address, pub) for ip, pub, _ in published]
    outside.sort(key=lambda e: next((i for i, (_, pub, prv) in enumerate(published) if prv == main), 99))
    inside = [host_port(name, p) for p in ordered]
    networks = sorted((container.get("NetworkSettings") or {}).get("Networks") or {})
    running = str(container.get("State") or "") == "running"
    endpoints = list(dict.fromkeys([*outside, *inside]))
    labels = container.get("Labels") or {}
    return Match(
        infra_type=infra.name,
        service=name,
        namespace=str(labels.get(PROJECT_LABEL) or ""),
        service_type="container",
        reason="; ".join(_container_reason(r) for r in recognition.reasons),
        ready_endpoints=1 if running else 0,
        endpoints=endpoints,
        connection_string=f"{infra.main_port.scheme}://{endpoints[0]}" if endpoints else None,
        extra={
            "ready": running,
            "recognised_by": recognition.signal,
            "image": str(container.get("Image") or ""),
            "published": [f"{pub}->{prv}" for _, pub, prv in published],
            "networks": {net: [host_port(name, p) for p in ordered] for net in networks},
            "compose_service": labels.get(SERVICE_LABEL),
            "ports": [{"port": p, "target_port": p, "name": None} for p in ordered],
            # env wiring reads a host from here: the container's name, resolvable on its networks
            "external_name": name,
        },
    )


def scan_containers(
    host_id: str,
    url: str,
    containers: Sequence[Json],
    *,
    catalog: Catalog | None = None,
    duration_ms: int = 0,
) -> ScanResult:
    """A scan result from the engine's container list (``GET /containers/json``)."""
    catalog = catalog or load_catalog()
    readings = Readings(catalog)
    address = host_address(url)
    order = {name: i for i, name in enumerate(catalog.names())}
    matches = [m for c in containers if (m := container_match(c, address, catalog, readings)) is not None]
    matches.sort(key=lambda m: (order[m.infra_type], m.namespace, m.service))
    return ScanResult(
        scan_id=new_id(),
        cluster_id=host_id,
        namespaces=[],
        catalog=catalog.default_ports(),
        matches=matches,
        duration_ms=duration_ms,
    )


def timed_scan(host_id: str, url: str, list_containers: Any) -> ScanResult:
    """Call ``list_containers()`` (the engine's list) and scan it, with the time it took."""
    started = time.monotonic()
    containers = list_containers()
    return scan_containers(host_id, url, containers, duration_ms=int((time.monotonic() - started) * 1000))
