"""One infrastructure match per release: Services recognised (``core.scan.recognition``) grouped. Pure.

Services of one Helm release and type (``redis-master``, ``redis-replicas``, ``redis-headless``), or
of one base name (CloudNativePG's ``pg-rw``, ``pg-ro``, ``pg-r``), become one match, the primary
Service first; so does a Service exposing only a secondary port (``rabbitmq-management`` at 15672) of
the very pods behind the type's main port (see ``match_services``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.catalog import Catalog, load_catalog
from core.conventions import COMPONENT_LABEL
from core.scan.endpoints import SERVICE_NAME_LABEL, ServiceEndpoints, ordered_ports, service_endpoints
from core.scan.pods import PodIndex
from core.scan.recognition import (
    HEADLESS_SUFFIXES,
    INSTANCE_LABELS,
    ROLE_SUFFIXES,
    Json,
    Readings,
    Recognition,
    recognise,
)
from core.store.scans import Match

# -- one match per release ---------------------------------------------------------------------

PRIMARY_COMPONENTS = {"master", "primary", "leader"}


@dataclass(frozen=True)
class _Member:
    service: Json
    recognition: Recognition
    base: str
    headless: bool
    role: int
    instance: str | None
    pods: frozenset[str]
    main_port: bool  # exposes the type's main port

    @property
    def name(self) -> str:
        return str((self.service.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.service.get("metadata") or {}).get("namespace", ""))

    def rank(self) -> tuple[bool, bool, int, bool, int, str]:
        return (
            not self.main_port,
            self.headless,
            self.role,
            self.name != self.base,
            len(self.name),
            self.name,
        )


def _member(service: Json, recognition: Recognition, pods: Sequence[Json], catalog: Catalog) -> _Member:
    meta = service.get("metadata") or {}
    labels: Mapping[str, str] = meta.get("labels") or {}
    parts = str(meta.get("name", "")).split("-")
    headless = (service.get("spec") or {}).get("clusterIP") == "None"
    roles: list[int] = []
    while len(parts) > 1:
        if parts[-1] in HEADLESS_SUFFIXES:
            headless = True
        elif parts[-1] in ROLE_SUFFIXES:
            roles.append(ROLE_SUFFIXES[parts[-1]])
        else:
            break
        parts.pop()
    role = 0 if labels.get(COMPONENT_LABEL) in PRIMARY_COMPONENTS else min(roles, default=1)
    instance = next((labels[k] for k in INSTANCE_LABELS if labels.get(k)), None)
    names = frozenset(str((p.get("metadata") or {}).get("name", "")) for p in pods)
    infra = catalog.get(recognition.infra_type)
    main = any(p.spec is not None and p.spec.main for p in ordered_ports(service, infra))
    return _Member(service, recognition, "-".join(parts), headless, role, instance, names, main)


def _group_key(m: _Member) -> tuple[str, str, str]:
    """Services of one Helm release (its names start with the release) or one base name group."""
    if m.instance and m.name.startswith(m.instance):
        return (m.namespace, m.recognition.infra_type, "release:" + m.instance)
    return (m.namespace, m.recognition.infra_type, "base:" + m.base)


def _fold_secondary_port_services(groups: dict[tuple[str, str, str], list[_Member]]) -> None:
    """A group that exposes only secondary ports of its type (RabbitMQ's management UI at 15672) on the
    very pods of a group that exposes the main port joins that group, behind it."""
    homes: dict[tuple[str, str, frozenset[str]], tuple[str, str, str]] = {}
    for key, members in groups.items():
        for m in members:
            if m.main_port and m.pods:
                homes.setdefault((*key[:2], m.pods), key)
    for key, members in list(groups.items()):
        if any(m.main_port for m in members):
            continue
        home = next((homes[(*key[:2], m.pods)] for m in members if (*key[:2], m.pods) in homes), None)
        if home is not None:
            groups[home] += members
            del groups[key]


def match_services(
    services: Sequence[Json],
    pods: Sequence[Json],
    slices: Sequence[Json],
    nodes: Sequence[Json] | None,
    *,
    catalog: Catalog | None = None,
    unread: Mapping[str, Sequence[str]] | None = None,
) -> list[Match]:
    """Every infrastructure match among ``services``, one per release, in catalog order.

    ``nodes`` is None when the credential may not list nodes (NodePort endpoints then have only
    their cluster DNS form). ``unread`` names, per namespace (``*``: all), the kinds that could not
    be listed (``endpointslices``, ``pods``): readiness there is unknown rather than "not ready".
    """
    catalog = catalog or load_catalog()
    index = PodIndex(pods)
    readings = Readings(catalog)
    slices_of: dict[tuple[str, str], list[Json]] = {}
    for eps in slices:
        meta = eps.get("metadata") or {}
        owner = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        if owner:
            slices_of.setdefault((meta.get("namespace", ""), owner), []).append(eps)
    groups: dict[tuple[str, str, str], list[_Member]] = {}
    for service in services:
        meta = service.get("metadata") or {}
        selected = index.selected(meta.get("namespace", ""), (service.get("spec") or {}).get("selector"))
        recognition = recognise(service, selected, catalog=catalog, readings=readings)
        if recognition is not None:
            member = _member(service, recognition, selected, catalog)
            groups.setdefault(_group_key(member), []).append(member)
    _fold_secondary_port_services(groups)
    order = {name: i for i, name in enumerate(catalog.names())}
    matches = [
        _match(sorted(g, key=_Member.rank), catalog, slices_of, nodes, unread or {}) for g in groups.values()
    ]
    return sorted(matches, key=lambda m: (order[m.infra_type], m.namespace, m.service))


def _match(
    members: list[_Member],
    catalog: Catalog,
    slices_of: Mapping[tuple[str, str], list[Json]],
    nodes: Sequence[Json] | None,
    unread: Mapping[str, Sequence[str]],
) -> Match:
    primary, related = members[0], members[1:]
    blind = sorted({*unread.get(primary.namespace, ()), *unread.get("*", ())})
    infra = catalog.get(primary.recognition.infra_type)
    found: list[ServiceEndpoints] = [
        service_endpoints(m.service, infra, slices=slices_of.get((m.namespace, m.name), []), nodes=nodes)
        for m in members
    ]
    main = found[0]
    endpoints = list(dict.fromkeys(e for f in found for e in f.endpoints))
    reason = primary.recognition.reason
    if related:
        one_release = all(_group_key(m) == _group_key(primary) for m in related) and bool(
            primary.instance and primary.name.startswith(primary.instance)
        )
        reason += ("; one release with " if one_release else "; together with ") + ", ".join(
            m.name for m in related
        )
    pods = list(
        dict.fromkeys(h for m, f in zip(members, found, strict=True) if m.headless for h in f.pod_hostnames)
    )
    return Match(
        infra_type=infra.name,
        service=primary.name,
        namespace=primary.namespace,
        service_type=str((primary.service.get("spec") or {}).get("type") or "ClusterIP"),
        reason=reason,
        ready_endpoints=main.ready_endpoints,
        endpoints=endpoints,
        connection_string=main.connection_string,
        extra={
            "ready": None if "endpointslices" in blind else main.ready,
            "unread": blind,
            "headless": main.headless,
            "pending": main.pending,
            "recognised_by": primary.recognition.signal,
            "ports": [p.to_json() for p in main.ports],
            "instance": primary.instance,
            "external_name": main.external_name,
            "statefulset_pods": pods,
            "related_services": [
                {
                    "service": m.name,
                    "service_type": str((m.service.get("spec") or {}).get("type") or "ClusterIP"),
                    "headless": f.headless,
                    "ready_endpoints": f.ready_endpoints,
                    "endpoints": f.endpoints,
                }
                for m, f in zip(related, found[1:], strict=True)
            ],
        },
    )
