"""Recognising infrastructure among Kubernetes Services: pure functions over raw API JSON.

A Service is read through four signals, strongest first:

1. the images of the pods it selects (selector ⊆ pod labels, same namespace);
2. the standard labels (``app.kubernetes.io/name``, ``helm.sh/chart``, ``app``, ``k8s-app``) of the
   Service, its selector and its pods;
3. whole tokens of its name (``keycloak-postgres`` -> ``postgres``: a datastore beats a service);
4. well-known ports and port names, only when nothing else speaks.

Admin UIs, exporters, operators and jobs (the catalog's deny list: ``mongo-express``,
``redis-commander``, ``*-exporter``, ``*-metrics``, ...) are never matched. Each recognition records
why it was made. Services of one Helm release and type (``redis-master``, ``redis-replicas``,
``redis-headless``) become one match, the primary Service first (see ``match_services``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.catalog import Catalog, load_catalog, name_tokens
from core.endpoints import SERVICE_NAME_LABEL, ServiceEndpoints, service_endpoints
from core.scans import Match

NAME_LABELS = ("app.kubernetes.io/name", "app", "k8s-app")
CHART_LABEL = "helm.sh/chart"
COMPONENT_LABEL = "app.kubernetes.io/component"
INSTANCE_LABELS = ("app.kubernetes.io/instance", "release")

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Recognition:
    """A Service recognised as a catalog type, the signal that decided it and every reason."""

    infra_type: str
    signal: str  # image | label | name | port
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


class PodIndex:
    """Pods by namespace and label, so that a selector is resolved without scanning every pod."""

    def __init__(self, pods: Sequence[Json]) -> None:
        self._pods = list(pods)
        self._by_label: dict[tuple[str, str, str], set[int]] = {}
        for i, pod in enumerate(self._pods):
            meta = pod.get("metadata") or {}
            ns = meta.get("namespace", "")
            for key, value in (meta.get("labels") or {}).items():
                self._by_label.setdefault((ns, key, value), set()).add(i)

    def selected(self, namespace: str, selector: Mapping[str, str] | None) -> list[Json]:
        """Pods of ``namespace`` whose labels include every pair of ``selector`` (none if empty)."""
        if not selector:
            return []
        found: set[int] | None = None
        for key, value in selector.items():
            hits = self._by_label.get((namespace, key, value), set())
            found = set(hits) if found is None else found & hits
            if not found:
                return []
        return [self._pods[i] for i in sorted(found or ())]


def _images(pods: Sequence[Json]) -> list[tuple[str, list[int]]]:
    """(image, declared container ports) of every container of the pods, without repeats."""
    seen: dict[str, list[int]] = {}
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or ():
            image = container.get("image")
            if not image:
                continue
            ports = [p.get("containerPort") for p in container.get("ports") or () if p.get("containerPort")]
            seen.setdefault(image, []).extend(ports)
    return list(seen.items())


def _service_ports(spec: Json) -> tuple[set[int], set[str]]:
    numbers: set[int] = set()
    names: set[str] = set()
    for port in spec.get("ports") or ():
        for value in (port.get("port"), port.get("targetPort")):
            if isinstance(value, int):
                numbers.add(value)
            elif isinstance(value, str) and value:
                names.add(value)
        if port.get("name"):
            names.add(str(port["name"]))
    return numbers, names


class _Reader:
    """Reads one Service against the catalog."""

    def __init__(self, catalog: Catalog, service: Json, pods: Sequence[Json]) -> None:
        self.catalog = catalog
        self.meta = service.get("metadata") or {}
        self.spec = service.get("spec") or {}
        self.pods = pods
        self.labels: Mapping[str, str] = self.meta.get("labels") or {}
        self.selector: Mapping[str, str] = self.spec.get("selector") or {}
        self.port_numbers, self.port_names = _service_ports(self.spec)

    def denied(self) -> str | None:
        """Why this Service is an admin UI, exporter, operator or job, if it is one."""
        name = self.meta.get("name", "")
        token = self.catalog.deny_token(name_tokens(name))
        if token:
            return f"name token {token}"
        for source in (self.labels, self.selector):
            for key in (*NAME_LABELS, COMPONENT_LABEL):
                value = source.get(key)
                if value and self.catalog.deny_token(name_tokens(value)):
                    return f"label {key}={value}"
        return None

    def label_types(self) -> list[tuple[str, str]]:
        """(type, reason) from labels: the Service's own, its selector, then its pods'."""
        found: list[tuple[str, str]] = []
        sources: list[Mapping[str, str]] = [self.labels, self.selector]
        sources += [(p.get("metadata") or {}).get("labels") or {} for p in self.pods]
        for source in sources:
            for key in (NAME_LABELS[0], CHART_LABEL, *NAME_LABELS[1:]):
                value = source.get(key)
                if not value:
                    continue
                if key == CHART_LABEL:
                    infra = self.catalog.type_of_chart(value)
                else:
                    tokens = name_tokens(value)
                    hit = None if self.catalog.deny_token(tokens) else self.catalog.type_of_tokens(tokens)
                    infra = hit[0] if hit else None
                if infra and not any(t == infra and r.startswith(f"label {key}=") for t, r in found):
                    found.append((infra, f"label {key}={value}"))
        return found

    def foreign_name_label(self) -> bool:
        """Whether ``app.kubernetes.io/name`` or a chart label names something outside the catalog."""
        sources = [self.labels] + [(p.get("metadata") or {}).get("labels") or {} for p in self.pods]
        return any(s.get(NAME_LABELS[0]) or s.get(CHART_LABEL) for s in sources)

    def image_types(self, hinted: set[str]) -> tuple[list[tuple[str, str]], bool]:
        """(type, reason) from the pods' images that plausibly serve this Service, and whether every
        recognised image is an admin UI or exporter (then the Service is not a datastore)."""
        images = _images(self.pods)
        typed: list[tuple[str, str, list[int]]] = []
        denied = unknown = 0
        for image, ports in images:
            verdict = self.catalog.classify_image(image)
            if verdict.denied:
                denied += 1
            elif verdict.infra_type:
                typed.append((verdict.infra_type, image, ports))
            else:
                unknown += 1
        accepted: list[tuple[str, str]] = []
        kinds = {t for t, _, _ in typed}
        for infra, image, ports in typed:
            catalog_ports = {p.port for p in self.catalog.get(infra).ports}
            catalog_names = {p.name for p in self.catalog.get(infra).ports}
            serves = (
                (len(kinds) == 1 and unknown == 0)
                or infra in hinted
                or bool(self.port_numbers & (catalog_ports | set(ports)))
                or bool(self.port_names & catalog_names)
            )
            if serves and (infra, f"pod image {image}") not in accepted:
                accepted.append((infra, f"pod image {image}"))
        return accepted, denied > 0 and not typed

    def port_types(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for number in sorted(self.port_numbers):
            found += [(t, f"port {number} ({t} default)") for t in sorted(self.catalog.types_of_port(number))]
        for port_name in sorted(self.port_names):
            tokens = name_tokens(port_name)
            hit = None if self.catalog.deny_token(tokens) else self.catalog.type_of_tokens(tokens)
            if hit:
                found.append((hit[0], f"port name {port_name}"))
        return found


def recognise(service: Json, pods: Sequence[Json], *, catalog: Catalog) -> Recognition | None:
    """The catalog type of one Service (given the pods it selects), or None."""
    reader = _Reader(catalog, service, pods)
    if reader.denied():
        return None
    labels = reader.label_types()
    name_hit = catalog.type_of_tokens(name_tokens(reader.meta.get("name", "")))
    names = [(name_hit[0], f"name token {name_hit[1]}")] if name_hit else []
    hinted = {t for t, _ in labels + names}
    images, only_denied_images = reader.image_types(hinted)
    if only_denied_images:
        return None
    for signal, found in (("image", images), ("label", labels), ("name", names)):
        if found:
            infra = _prefer(found, labels + names)
            if signal == "label" and names and _app_label_on_its_datastore(catalog, infra, names[0][0]):
                infra, signal = names[0][0], "name"
            ports = [(t, r) for t, r in reader.port_types() if t == infra][:1]
            return _recognition(infra, signal, images, labels, names, ports)
    if reader.foreign_name_label() or (reader.pods and _images_typed_elsewhere(reader)):
        return None
    ports = reader.port_types()
    kinds = {t for t, _ in ports}
    if len(kinds) == 1:
        return Recognition(ports[0][0], "port", tuple(r for _, r in ports))
    return None


def _app_label_on_its_datastore(catalog: Catalog, by_label: str, by_name: str) -> bool:
    """An app's label on its own datastore (``keycloak-postgres`` labelled ``app.kubernetes.io/name=keycloak``)."""
    return catalog.get(by_label).kind == "service" and catalog.get(by_name).kind == "datastore"


def _images_typed_elsewhere(reader: _Reader) -> bool:
    return any(reader.catalog.classify_image(image).infra_type for image, _ in _images(reader.pods))


def _prefer(found: list[tuple[str, str]], hints: list[tuple[str, str]]) -> str:
    """The first candidate that weaker signals agree with, else the first candidate."""
    hinted = [t for t, _ in hints]
    for infra, _ in found:
        if infra in hinted:
            return infra
    return found[0][0]


def _recognition(
    infra: str,
    signal: str,
    *groups: list[tuple[str, str]],
) -> Recognition:
    reasons = tuple(dict.fromkeys(r for group in groups for t, r in group if t == infra))
    return Recognition(infra, signal, reasons)


# -- one match per release ---------------------------------------------------------------------

ROLE_SUFFIXES = {"master": 0, "primary": 0, "leader": 0, "replicas": 2, "replica": 2, "read": 2, "slave": 2}
ROLE_SUFFIXES |= {"slaves": 2, "secondary": 2, "follower": 2, "arbiter": 3}
HEADLESS_SUFFIXES = {"headless", "hl"}
PRIMARY_COMPONENTS = {"master", "primary", "leader"}


@dataclass(frozen=True)
class _Member:
    service: Json
    recognition: Recognition
    base: str
    headless: bool
    role: int
    instance: str | None

    @property
    def name(self) -> str:
        return str((self.service.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.service.get("metadata") or {}).get("namespace", ""))

    def rank(self) -> tuple[bool, int, bool, int, str]:
        return (self.headless, self.role, self.name != self.base, len(self.name), self.name)


def _member(service: Json, recognition: Recognition) -> _Member:
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
    return _Member(service, recognition, "-".join(parts), headless, role, instance)


def _group_key(m: _Member) -> tuple[str, str, str]:
    """Services of one Helm release (its names start with the release) or one base name group."""
    if m.instance and m.name.startswith(m.instance):
        return (m.namespace, m.recognition.infra_type, "release:" + m.instance)
    return (m.namespace, m.recognition.infra_type, "base:" + m.base)


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
        recognition = recognise(service, selected, catalog=catalog)
        if recognition is not None:
            member = _member(service, recognition)
            groups.setdefault(_group_key(member), []).append(member)
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
        reason += "; one release with " + ", ".join(m.name for m in related)
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
