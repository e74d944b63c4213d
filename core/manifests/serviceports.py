"""A compiled service's ports and the Services in front of it (pure, used by ``manifests``).

Service ports are the container ports: peers in a compose network reach ``service:8080`` (the
container port), never the host port of ``8081:8080``, so in-cluster URLs keep working. Host
ports are a note. A StatefulSet also gets a headless Service ``<name>-headless`` for stable pod DNS.
A service with no ports at all still answers to its name, as in a compose network (peers reach
``postgres:5432`` whatever the file declares): its Service ``<name>`` is headless and portless,
so the name resolves to the pods' addresses (and a StatefulSet uses it for pod DNS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.compose.model import Port
from core.manifests.volumes import Report
from core.naming import is_qualified_name, unique_port_names

Manifest = dict[str, Any]


def ports(spec_ports: Sequence[Port], *, name: str, report: Report) -> tuple[list[Manifest], list[Manifest]]:
    """The container's ``ports`` and the matching Service ``ports`` (one per target port and protocol)."""
    kept: list[Port] = []
    seen: set[tuple[int, str]] = set()
    published: list[str] = []
    for port in spec_ports:
        if not 1 <= port.target <= 65535:
            report.warnings.append(f"port {port.target}/{port.protocol} is out of range and was skipped")
            continue
        if port.published and not port.exposed_only:
            host = f"{port.host_ip}:" if port.host_ip else ""
            published.append(f"{host}{port.published}->{port.target}/{port.protocol}")
        if (port.target, port.protocol) in seen:
            continue
        seen.add((port.target, port.protocol))
        kept.append(port)
    if published:
        report.notes.append(
            "host ports are not published on Kubernetes ("
            + ", ".join(published)
            + f"); inside the cluster use {name}:<container port>, outside add an Ingress, "
            "NodePort or LoadBalancer"
        )
    names = unique_port_names([(p.protocol, p.target, p.name) for p in kept])
    container_ports: list[Manifest] = []
    service_ports: list[Manifest] = []
    for port, port_name in zip(kept, names, strict=True):
        proto = port.protocol.upper()
        container_ports.append({"name": port_name, "containerPort": port.target, "protocol": proto})
        entry: Manifest = {
            "name": port_name,
            "port": port.target,
            "targetPort": port.target,
            "protocol": proto,
        }
        if port.app_protocol:
            if is_qualified_name(port.app_protocol):
                entry["appProtocol"] = port.app_protocol
            else:
                report.warnings.append(
                    f"app_protocol {port.app_protocol!r} is not a valid name and was dropped"
                )
        service_ports.append(entry)
    return container_ports, service_ports


def services(
    ports: list[Manifest],
    kind: str,
    *,
    name: str,
    selector: dict[str, str],
    service_type: str,
    meta: Callable[[str], Manifest],
    session_affinity: str | None = None,
) -> list[Manifest]:
    """The Service ``<name>`` and, for a StatefulSet with ports, ``<name>-headless``
    (``session_affinity``: the ``x-ushadow`` key, on the Service ``<name>``)."""
    out: list[Manifest] = []
    if not ports:
        portless: Manifest = {"clusterIP": "None", "selector": dict(selector)}
        if kind == "StatefulSet":
            portless["publishNotReadyAddresses"] = True
        return [{"apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": portless}]
    if ports:
        spec: Manifest = {
            "type": service_type,
            "selector": dict(selector),
            "ports": ports,
        }
        if session_affinity:
            spec["sessionAffinity"] = session_affinity
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": spec})
    if kind == "StatefulSet":
        headless: Manifest = {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": dict(selector),
        }
        if ports:
            headless["ports"] = [dict(p) for p in ports]
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": meta(f"{name}-headless"),
                "spec": headless,
            }
        )
    return out


def governing_service(name: str, ports: list[Manifest]) -> str:
    """The headless Service a StatefulSet names for its pods' DNS (see :func:`services`)."""
    return f"{name}-headless" if ports else name
