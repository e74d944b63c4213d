"""Recognising one Kubernetes Service as an infrastructure type: pure functions over raw API JSON.

A Service is read through four signals, strongest first:

1. the images of the pods it selects (selector ⊆ pod labels, same namespace);
2. the standard labels (``app.kubernetes.io/name``, ``helm.sh/chart``, ``app``, ``k8s-app``) of the
   Service, its selector and its pods;
3. whole tokens of its name (``keycloak-postgres`` -> ``postgres``: a datastore beats a service);
4. well-known ports and port names, only when nothing else speaks.

Admin UIs, exporters, operators, companion tools and jobs (the catalog's deny list: ``mongo-express``,
``redis-commander``, ``*-exporter``, ``kafka-connect``, ...) are never matched: a deny word after the
type's word (``postgres-exporter``) always rules a Service out; a deny word with no type word
(``web``, ``dashboard``) does unless a datastore image serves the Service's port; a deny word before
the type's word (``console-mongodb``) or inside the Helm release's name (``web-redis-master``) only
qualifies it. A Service whose ports all land on an admin UI's or exporter's container is that tool's.
When the selected pods run nothing recognised, a type read from a word of a longer name or label
(``kafka-manager``) must agree with one of the type's ports. Each recognition records why it was made.

``core.scan.matching`` makes one match per release of what is recognised here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.catalog import Catalog, ImageClass, ToolName, name_tokens
from core.conventions import COMPONENT_LABEL, INSTANCE_LABEL, NAME_LABEL
from core.scan.pods import PodImage, pod_images

NAME_LABELS = (NAME_LABEL, "app", "k8s-app")
CHART_LABEL = "helm.sh/chart"

INSTANCE_LABELS = (INSTANCE_LABEL, "release")
# Name parts that say a Service's role in its release (rank: 0 primary, 2 replicas) or that it is
# headless; the name without them is the release's base name.
ROLE_SUFFIXES = {"master": 0, "primary": 0, "leader": 0, "replicas": 2, "replica": 2, "read": 2, "slave": 2}
ROLE_SUFFIXES |= {"slaves": 2, "secondary": 2, "follower": 2, "arbiter": 3}
ROLE_SUFFIXES |= {"rw": 0, "ro": 2, "r": 3}  # CloudNativePG: read-write, read-only replicas, any instance
HEADLESS_SUFFIXES = {"headless", "hl"}

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


def _service_ports(spec: Json) -> tuple[set[int], set[str], list[int | str]]:
    """Port numbers (port and numeric targetPort), port names (and named targetPorts), and the
    container port each Service port lands on."""
    numbers: set[int] = set()
    names: set[str] = set()
    targets: list[int | str] = []
    for port in spec.get("ports") or ():
        for value in (port.get("port"), port.get("targetPort")):
            if isinstance(value, int):
                numbers.add(value)
            elif isinstance(value, str) and value:
                names.add(value)
        if port.get("name"):
            names.add(str(port["name"]))
        target = port.get("targetPort") or port.get("port")
        if isinstance(target, int | str):
            targets.append(target)
    return numbers, names, targets


@dataclass(frozen=True)
class _Cue:
    """A type read from a label or the name; ``exact`` when the value ends in the type's word (``redis``,
    ``app-postgres``, ``mongodb-headless``) or names a catalog chart, rather than naming something of
    the type (``kafka-manager``, ``redis-proxy``)."""

    infra: str
    reason: str
    exact: bool


@dataclass(frozen=True)
class _Reading:
    """How the catalog reads one name or label value."""

    tool: ToolName | None
    type_hit: tuple[str, str] | None  # (type, token)
    ends_in_type: bool


class Readings:
    """The catalog's readings of names, label values and images, remembered over one scan (a Service's
    ``app`` label is mostly its name; images and port names repeat)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._readings: dict[tuple[str, int], _Reading] = {}
        self.pod_images: dict[str, ImageClass] = {}

    def read(self, value: str, skip: int = 0) -> _Reading:
        found = self._readings.get((value, skip))
        if found is None:
            tokens = name_tokens(value)
            hit = self.catalog.type_of_tokens(tokens)
            ends = hit is not None and _ends_in_type(self.catalog, tokens)
            found = self._readings[(value, skip)] = _Reading(
                self.catalog.tool_name(tokens, skip=skip), hit, ends
            )
        return found

    def image(self, image: str) -> ImageClass:
        found = self.pod_images.get(image)
        if found is None:
            found = self.pod_images[image] = self.catalog.classify_image(image)
        return found


class _Reader:
    """Reads one Service against the catalog."""

    def __init__(self, words: Readings, service: Json, pods: Sequence[Json]) -> None:
        self.words = words
        self.catalog = words.catalog
        self.meta = service.get("metadata") or {}
        self.spec = service.get("spec") or {}
        self.pods = pods
        self.name = str(self.meta.get("name", ""))
        self.labels: Mapping[str, str] = self.meta.get("labels") or {}
        self.selector: Mapping[str, str] = self.spec.get("selector") or {}
        self.port_numbers, self.port_names, self.targets = _service_ports(self.spec)
        self.images = [(i, words.image(i.image)) for i in pod_images(pods)]
        sources = (self.labels, self.selector)
        self.instance = next((s[k] for s in sources for k in INSTANCE_LABELS if s.get(k)), None)

    def tool(self) -> tuple[str, bool] | None:
        """Why this Service reads as an admin UI, exporter, operator, companion tool or job, if it does,
        and whether as a tool of a type (``mongo-express``) rather than of nothing known (``web``).
        Deny words inside the Helm release's name (``web`` in ``web-redis-master``) do not count."""
        found: list[tuple[str, bool]] = []
        skip = 0
        if self.instance and (self.name == self.instance or self.name.startswith(self.instance + "-")):
            skip = len(name_tokens(self.instance))
        by_name = self.words.read(self.name, skip).tool
        if by_name:
            found.append((f"name token {by_name.token}", by_name.of_type))
        for source in (self.labels, self.selector):
            for key in (*NAME_LABELS, COMPONENT_LABEL):
                value = source.get(key)
                by_label = self.words.read(value).tool if value else None
                if by_label:
                    found.append((f"label {key}={value}", by_label.of_type))
        return max(found, key=lambda f: f[1], default=None)

    def label_types(self) -> list[_Cue]:
        """Types from labels: the Service's own, its selector, then its pods'."""
        found: list[_Cue] = []
        sources: list[Mapping[str, str]] = [self.labels, self.selector]
        sources += [(p.get("metadata") or {}).get("labels") or {} for p in self.pods]
        for source in sources:
            for key in (NAME_LABELS[0], CHART_LABEL, *NAME_LABELS[1:]):
                value = source.get(key)
                if not value:
                    continue
                if key == CHART_LABEL:
                    infra = self.catalog.type_of_chart(value)
                    exact = self.catalog.chart_listed(value)
                else:
                    reading = self.words.read(value)
                    hit = None if reading.tool else reading.type_hit
                    infra, exact = (hit[0] if hit else None), reading.ends_in_type
                if infra and not any(
                    c.infra == infra and c.reason.startswith(f"label {key}=") for c in found
                ):
                    found.append(_Cue(infra, f"label {key}={value}", exact))
        return found

    def name_types(self) -> list[_Cue]:
        reading = self.words.read(self.name)
        hit = reading.type_hit
        return [_Cue(hit[0], f"name token {hit[1]}", reading.ends_in_type)] if hit else []

    def foreign_name_label(self) -> bool:
        """Whether ``app.kubernetes.io/name`` or a chart label names something outside the catalog."""
        sources = [self.labels] + [(p.get("metadata") or {}).get("labels") or {} for p in self.pods]
        return any(s.get(NAME_LABELS[0]) or s.get(CHART_LABEL) for s in sources)

    def image_types(self, hinted: set[str]) -> tuple[list[tuple[str, str]], bool]:
        """(type, reason) from the pods' images that plausibly serve this Service, and whether the
        Service fronts an admin UI or exporter instead (every recognised image is one, or every port
        of the Service lands on a port such a container declares)."""
        typed = [(v.infra_type, i) for i, v in self.images if v.infra_type and not v.denied]
        denied = [i for i, v in self.images if v.denied]
        unknown = len(self.images) - len(typed) - len(denied)
        if denied and (not typed or self._lands_only_on(denied)):
            return [], True
        kinds = {t for t, _ in typed}
        accepted: list[tuple[str, str]] = []
        for infra, image in typed:
            catalog_names = {p.name for p in self.catalog.get(infra).ports}
            serves = (
                (len(kinds) == 1 and not unknown and not denied)
                or infra in hinted
                or self._serves(infra, image)
                or bool(self.port_names & catalog_names)
            )
            if serves and (infra, f"pod image {image.image}") not in accepted:
                accepted.append((infra, f"pod image {image.image}"))
        return accepted, False

    def serving_datastores(self) -> list[tuple[str, str]]:
        """(type, reason) of the datastore images whose ports this Service exposes: by number (the
        catalog's or the container's) or by the container port name it targets."""
        found: list[tuple[str, str]] = []
        for image, verdict in self.images:
            infra = verdict.infra_type
            if not infra or verdict.denied or self.catalog.get(infra).kind != "datastore":
                continue
            if self._serves(infra, image) and (infra, f"pod image {image.image}") not in found:
                found.append((infra, f"pod image {image.image}"))
        return found

    def _serves(self, infra: str, image: PodImage) -> bool:
        catalog_ports = {p.port for p in self.catalog.get(infra).ports}
        named = {t for t in self.targets if isinstance(t, str)}
        return bool(self.port_numbers & (catalog_ports | image.numbers) or named & image.names)

    def _lands_only_on(self, tools: list[PodImage]) -> bool:
        """Whether every port of the Service lands on a port that only a tool's container declares."""
        others = [i for i, v in self.images if not v.denied]

        def declared(images: list[PodImage], target: int | str) -> bool:
            return any(target in (i.numbers if isinstance(target, int) else i.names) for i in images)

        return bool(self.targets) and all(
            declared(tools, t) and not declared(others, t) for t in self.targets
        )

    def agrees_by_port(self, infra: str) -> bool:
        """Whether a port of the Service is one of the type's catalog ports or is named for the type."""
        if self.port_numbers & {p.port for p in self.catalog.get(infra).ports}:
            return True
        return any(t == infra for t, r in self.port_types() if r.startswith("port name "))

    def port_types(self) -> list[tuple[str, str]]:
        """(type, reason) from the Service's port numbers, then its port names; a type's main port
        first, so a reason names the port the match's default-port column shows (neo4j: 7687)."""
        by_number = [(t, n) for n in sorted(self.port_numbers) for t in sorted(self.catalog.types_of_port(n))]
        by_number.sort(key=lambda tn: tn[1] != self.catalog.get(tn[0]).main_port.port)
        found = [(t, f"port {n} ({t} default)") for t, n in by_number]
        for port_name in sorted(self.port_names):
            reading = self.words.read(port_name)
            hit = None if reading.tool else reading.type_hit
            if hit:
                found.append((hit[0], f"port name {port_name}"))
        return found


def recognise(
    service: Json, pods: Sequence[Json], *, catalog: Catalog, readings: Readings | None = None
) -> Recognition | None:
    """The catalog type of one Service (given the pods it selects), or None. ``readings`` keeps the
    catalog's readings of names and images over a whole scan."""
    return _recognise(_Reader(readings or Readings(catalog), service, pods))


def _recognise(reader: _Reader) -> Recognition | None:
    catalog = reader.catalog
    tool = reader.tool()
    if tool is not None and tool[1]:  # `mongo-express`, `postgres-exporter`, `kafka-connect`
        return None
    label_cues, name_cues = reader.label_types(), reader.name_types()
    images, fronts_tool = reader.image_types({c.infra for c in label_cues + name_cues})
    if fronts_tool:
        return None
    if tool is not None:  # `web`, `dashboard`: only a datastore's image serving the port outweighs that
        served = reader.serving_datastores()
        if not served:
            return None
        infra = _prefer(served, [(c.infra, c.reason) for c in label_cues + name_cues])
        outweighed = [(infra, f"{tool[0]} outweighed by the image")]
        cues = [(c.infra, c.reason) for c in label_cues + name_cues]
        ports = [(t, r) for t, r in reader.port_types() if t == infra][:1]
        return _recognition(infra, "image", served, cues, ports, outweighed)
    if not images and reader.pods:
        # Nothing the pods run says what this is: a word of a longer name or label (`kafka-manager`,
        # `cassandra-reaper`) must agree with a port of its type (`redis-proxy` at 6379).
        heard = bool(label_cues or name_cues)
        label_cues = [c for c in label_cues if c.exact or reader.agrees_by_port(c.infra)]
        name_cues = [c for c in name_cues if c.exact or reader.agrees_by_port(c.infra)]
        if heard and not (label_cues or name_cues):
            return None
    labels = [(c.infra, c.reason) for c in label_cues]
    names = [(c.infra, c.reason) for c in name_cues]
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


def _ends_in_type(catalog: Catalog, tokens: list[str]) -> bool:
    """Whether the last word, past role, headless and ordinal suffixes, is a type's word."""
    words = list(tokens)
    while len(words) > 1 and (
        words[-1] in ROLE_SUFFIXES or words[-1] in HEADLESS_SUFFIXES or words[-1].isdigit()
    ):
        words.pop()
    return bool(words) and catalog.type_of_tokens(words[-1:]) is not None


def _app_label_on_its_datastore(catalog: Catalog, by_label: str, by_name: str) -> bool:
    """An app's label on its own datastore (``keycloak-postgres`` labelled ``app.kubernetes.io/name=keycloak``)."""
    return catalog.get(by_label).kind == "service" and catalog.get(by_name).kind == "datastore"


def _images_typed_elsewhere(reader: _Reader) -> bool:
    return any(v.infra_type for _, v in reader.images)


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
