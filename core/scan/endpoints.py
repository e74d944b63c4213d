"""Endpoints, readiness and connection strings of Kubernetes Services: pure functions over the raw JSON
objects the API server returns (``Service``, ``EndpointSlice``, ``Node`` items as dicts).

Endpoints are ``host:port`` strings. Every Service gets its cluster DNS form first
(``name.ns.svc.cluster.local:port``, the type's main port first, then its other ports), followed by:

- headless Services: each pod's own DNS name (``pod-0.name.ns.svc.cluster.local:port``) from the
  ``hostname`` of the EndpointSlice endpoints (StatefulSet pods);
- NodePort Services: every node address (InternalIP, ExternalIP) with the real ``nodePort``;
- LoadBalancer Services: every ingress IP or hostname with the port (none while pending);
- ExternalName Services: only the ``externalName`` target.

A connection string is ``scheme://first-endpoint``, never with credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.catalog import InfraType, PortSpec

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
NODE_ADDRESS_TYPES = ("InternalIP", "ExternalIP")

Json = Mapping[str, Any]


@dataclass(frozen=True)
class ServicePort:
    """One port of a Service, with the catalog port it stands for (if any)."""

    name: str | None
    port: int
    target_port: int | str | None
    node_port: int | None
    protocol: str
    spec: PortSpec | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "port": self.port,
            "target_port": self.target_port,
            "node_port": self.node_port,
            "protocol": self.protocol,
        }


@dataclass(frozen=True)
class ServiceEndpoints:
    """What one Service offers: addresses, readiness and how to connect."""

    endpoints: list[str]
    connection_string: str | None
    ready_endpoints: int
    ready: bool | None  # None: unknown (no EndpointSlices to read, e.g. ExternalName)
    headless: bool
    pending: bool
    ports: list[ServicePort] = field(default_factory=list)
    pod_hostnames: list[str] = field(default_factory=list)
    external_name: str | None = None


def host_port(host: str, port: int) -> str:
    """``host:port``, with IPv6 addresses in brackets."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def cluster_dns(name: str, namespace: str) -> str:
    return f"{name}.{namespace}.svc.cluster.local"


def _catalog_port(raw: Json, infra: InfraType) -> PortSpec | None:
    """The catalog port a Service port stands for: by number, target port, then name."""
    number = raw.get("port")
    target = raw.get("targetPort")
    by_number = {p.port: p for p in infra.ports}
    if isinstance(number, int) and number in by_number:
        return by_number[number]
    if isinstance(target, int) and target in by_number:
        return by_number[target]
    for candidate in (raw.get("name"), target if isinstance(target, str) else None):
        if candidate:
            spec = infra.port_named(str(candidate))
            if spec is not None:
                return spec
    return None


def ordered_ports(service: Json, infra: InfraType) -> list[ServicePort]:
    """The Service's ports, the type's main port first, then catalog ports, then the rest."""
    ports: list[ServicePort] = []
    for raw in (service.get("spec") or {}).get("ports") or []:
        number = raw.get("port")
        if not isinstance(number, int):
            continue
        ports.append(
            ServicePort(
                name=raw.get("name"),
                port=number,
                target_port=raw.get("targetPort"),
                node_port=raw.get("nodePort"),
                protocol=raw.get("protocol") or "TCP",
                spec=_catalog_port(raw, infra),
            )
        )
    order = {p.name: i for i, p in enumerate(infra.ports)}

    def rank(item: tuple[int, ServicePort]) -> tuple[int, int, int]:
        index, port = item
        if port.spec is None:
            return (2, 0, index)
        return (0 if port.spec.main else 1, order[port.spec.name], index)

    return [p for _, p in sorted(enumerate(ports), key=rank)]


def _serving(node: Json) -> bool:
    """A Ready node that takes new pods: its NodePorts are the ones worth trying first."""
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return ready and not (node.get("spec") or {}).get("unschedulable")


def node_addresses(nodes: Iterable[Json] | None) -> list[str]:
    """InternalIP and ExternalIP addresses of the nodes without repeats: Ready, schedulable nodes
    first, each group in node order."""
    found: list[str] = []
    listed = list(nodes or ())
    for node in sorted(listed, key=lambda n: not _serving(n)):
        for kind in NODE_ADDRESS_TYPES:
            for address in (node.get("status") or {}).get("addresses") or []:
                value = address.get("address")
                if address.get("type") == kind and value and value not in found:
                    found.append(value)
    return found


def readiness(slices: Sequence[Json]) -> tuple[int, list[str]]:
    """(ready endpoint count, pod hostnames) from a Service's EndpointSlices.

    An endpoint counts as ready unless ``conditions.ready`` is false (the API says to read an unset
    value as ready). Dual-stack Services have a slice per address family: an endpoint is counted once.
    """
    ready: set[str] = set()
    hostnames: list[str] = []
    for eps in slices:
        for endpoint in eps.get("endpoints") or ():
            ref = endpoint.get("targetRef") or {}
            key = ref.get("uid") or ref.get("name") or ",".join(endpoint.get("addresses") or ())
            if (endpoint.get("conditions") or {}).get("ready") is not False:
                ready.add(key)
            hostname = endpoint.get("hostname")
            if hostname and hostname not in hostnames:
                hostnames.append(hostname)
    return len(ready), sorted(hostnames, key=_natural)


def _natural(text: str) -> list[int | str]:
    """Sort key that puts ``pod-2`` before ``pod-10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _ingress_hosts(service: Json) -> list[str]:
    hosts: list[str] = []
    for ingress in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ():
        host = ingress.get("ip") or ingress.get("hostname")
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def service_endpoints(
    service: Json,
    infra: InfraType,
    *,
    slices: Sequence[Json],
    nodes: Sequence[Json] | None,
) -> ServiceEndpoints:
    """Endpoints, readiness and connection string of one Service as the given type."""
    meta = service.get("metadata") or {}
    spec = service.get("spec") or {}
    name, namespace = meta.get("name", ""), meta.get("namespace", "")
    kind = spec.get("type") or "ClusterIP"
    ports = ordered_ports(service, infra)
    headless = spec.get("clusterIP") == "None"
    numbers = [p.port for p in ports] or [infra.main_port.port]
    first_spec = ports[0].spec if ports else infra.main_port
    scheme = (first_spec or infra.main_port).scheme

    if kind == "ExternalName":
        target = str(spec.get("externalName") or "").rstrip(".")
        endpoints = [host_port(target, n) for n in numbers] if target else []
        return ServiceEndpoints(
            endpoints=endpoints,
            connection_string=f"{scheme}://{endpoints[0]}" if endpoints else None,
            ready_endpoints=0,
            ready=None,
            headless=False,
            pending=False,
            ports=ports,
            external_name=target or None,
        )

    ready_count, hostnames = readiness(slices)
    dns = cluster_dns(name, namespace)
    endpoints = [host_port(dns, n) for n in numbers]
    pending = False
    if headless:
        endpoints += [host_port(f"{h}.{dns}", n) for h in hostnames for n in numbers]
    if kind == "NodePort":
        addresses = node_addresses(nodes)
        endpoints += [host_port(a, p.node_port) for p in ports if p.node_port for a in addresses]
    if kind == "LoadBalancer":
        hosts = _ingress_hosts(service)
        pending = not hosts
        endpoints += [host_port(h, n) for h in hosts for n in numbers]
    if slices:
        ready: bool | None = ready_count > 0
    else:
        ready = False if spec.get("selector") else None
    return ServiceEndpoints(
        endpoints=_unique(endpoints),
        connection_string=f"{scheme}://{endpoints[0]}",
        ready_endpoints=ready_count,
        ready=ready,
        headless=headless,
        pending=pending,
        ports=ports,
        pod_hostnames=hostnames if headless else [],
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
