"""The catalog of infrastructure types (``catalog.yaml``), loaded once and validated, and the small
pure helpers that read names and images against it.

``recognise_compose_service`` is the compose registry's way in: it tells whether a compose service
is one of the catalog's infrastructure types. Kubernetes Services go through ``core.scan.recognition``,
which uses the same helpers with more signals (labels, the images of selected pods).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml

from core.errors import InvalidInput
from core.shapes import MinItems, Pattern, Range, Shape, ShapeError, check

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")

_TOKEN_SPLIT = re.compile(r"[-_.]+")
_LOWER_WORD = re.compile(r"^[a-z0-9]+$")
_CHART_LABEL = re.compile(r"^(?P<chart>.+?)-v?\d+(\.\d+)*([-+].*)?$")


def _private(factory: Any = dict) -> Any:  # an index built from the catalog's lists, not a key of the file
    return field(default_factory=factory, init=False, repr=False, compare=False)


class PortSpec(Shape):
    name: str
    port: Annotated[int, Range(1, 65535)]
    scheme: Annotated[str, Pattern(r"^[a-z][a-z0-9+.-]*$")]
    main: bool = False
    by_port: bool = True


class EnvHint(Shape):
    """An environment variable a service of the type can satisfy, and which part of an endpoint."""

    name: Annotated[str, Pattern(r"^[A-Z_][A-Z0-9_]*$")]
    part: Literal["url", "host", "port", "host_port"]
    port: str | None = None


class InfraType(Shape):
    name: Annotated[str, Pattern(r"^[a-z][a-z0-9]*$")]
    display_name: str
    kind: Literal["datastore", "service"]
    ports: Annotated[list[PortSpec], MinItems(1)]
    tokens: Annotated[list[str], MinItems(1)]
    images: list[str] = []
    charts: list[str] = []
    env: list[EnvHint] = []

    def __post_init__(self) -> None:
        for token in self.tokens:
            if not _LOWER_WORD.match(token):
                raise ValueError(f"token {token!r} must be one lowercase word (names are split on - _ .)")
        mains = [p for p in self.ports if p.main]
        if len(mains) != 1:
            raise ValueError(f"type {self.name!r} must have exactly one main port, has {len(mains)}")
        names = {p.name for p in self.ports}
        for hint in self.env:
            if hint.port is not None and hint.port not in names:
                raise ValueError(f"env {hint.name} of {self.name!r} names an unknown port {hint.port!r}")

    @property
    def main_port(self) -> PortSpec:
        return next(p for p in self.ports if p.main)

    def port_named(self, name: str) -> PortSpec | None:
        return next((p for p in self.ports if p.name == name), None)


class DenyList(Shape):
    tokens: list[str]
    images: list[str]


@dataclass(frozen=True)
class ToolName:
    """A name that reads as an admin UI, exporter, operator, companion tool or job: its deny token, and
    whether that token follows a type token (``mongo-express`` is MongoDB's tool) or no type token is
    there at all (``web``, ``dashboard``: a tool of nothing known)."""

    token: str
    of_type: bool


@dataclass(frozen=True)
class ImageClass:
    """What an image reference says: its repository, the catalog type it runs, or that it is denied."""

    repository: str
    infra_type: str | None = None
    denied: bool = False


class Catalog(Shape):
    deny: DenyList
    shared_images: list[str] = []
    types: Annotated[list[InfraType], MinItems(1)]

    _by_name: dict[str, InfraType] = _private()
    _by_token: dict[str, str] = _private()
    _by_image: dict[str, str] = _private()
    _by_image_name: dict[str, str] = _private()
    _by_chart: dict[str, str] = _private()
    _by_port: dict[int, set[str]] = _private()
    _deny_images: frozenset[str] = _private(frozenset)
    _shared_images: frozenset[str] = _private(frozenset)
    _deny_tokens: frozenset[str] = _private(frozenset)

    def __post_init__(self) -> None:
        def claim(table: dict[str, str], key: str, owner: str, what: str) -> None:
            if table.setdefault(key, owner) != owner:
                raise ValueError(f"{what} {key!r} is claimed by both {table[key]!r} and {owner!r}")

        seen: dict[str, str] = {}
        for t in self.types:
            claim(seen, t.name, t.name, "type")
            for token in t.tokens:
                claim(self._by_token, token, t.name, "token")
            for image in t.images:
                claim(self._by_image, image, t.name, "image")
            for chart in t.charts:
                claim(self._by_chart, chart, t.name, "chart")
            for p in t.ports:
                if p.by_port:
                    self._by_port.setdefault(p.port, set()).add(t.name)
            self._by_name[t.name] = t
        for t in self.types:  # image names (last path segment) that name the type: `*/redis`, `*/cp-kafka`
            for image in t.images:
                last = image.rsplit("/", 1)[-1]
                named = self.type_of_tokens(name_tokens(last))
                if named is not None and named[0] == t.name:
                    self._by_image_name.setdefault(last, t.name)
        overlap = set(self.deny.tokens) & set(self._by_token)
        if overlap:
            raise ValueError(f"deny tokens {sorted(overlap)} are also type tokens")
        object.__setattr__(self, "_deny_images", frozenset(self.deny.images))  # frozen: set once, here
        object.__setattr__(self, "_deny_tokens", frozenset(self.deny.tokens))
        object.__setattr__(self, "_shared_images", frozenset(self.shared_images))
        typed = self._shared_images & set(self._by_image)
        if typed:
            raise ValueError(f"shared images {sorted(typed)} are also a type's images")

    # -- lookups ------------------------------------------------------------------------------

    def get(self, name: str) -> InfraType:
        try:
            return self._by_name[name]
        except KeyError:
            raise InvalidInput(
                f"{name!r} is not an infrastructure type in the catalog",
                hint=f"known types: {', '.join(self._by_name)}",
            ) from None

    def names(self) -> list[str]:
        return [t.name for t in self.types]

    def default_ports(self) -> dict[str, int]:
        """Type -> main port, in catalog order (the scan JSON's ``default_port``)."""
        return {t.name: t.main_port.port for t in self.types}

    def deny_token(self, tokens: Iterable[str]) -> str | None:
        """The first token that marks an admin UI, exporter, operator or job, if any."""
        deny = self._deny_tokens
        for token in tokens:
            for form in _forms(token):
                if form in deny:
                    return token
        return None

    def tool_name(self, tokens: Sequence[str], *, skip: int = 0) -> ToolName | None:
        """Whether whole tokens name a tool rather than a datastore.

        A deny token after the last type token names that type's tool (``postgres-exporter``,
        ``mongo-express``, ``kafka-connect``); a deny token with no type token names a tool of nothing
        known (``web``, ``dashboard``); a deny token before a type token only qualifies it
        (``console-mongodb`` is the console's MongoDB). With no type token, deny tokens among the first
        ``skip`` tokens (a Helm release's name: ``web``, ``web-headless`` of release ``web``) do not
        count; after a type token they always do (``redis-commander`` of release ``redis-commander``).
        """
        by_token, deny = self._by_token, self._deny_tokens
        typed = [i for i, t in enumerate(tokens) if any(f in by_token for f in _forms(t))]
        last_type = typed[-1] if typed else -1
        for token in tokens[last_type + 1 if typed else skip :]:
            if any(f in deny for f in _forms(token)):
                return ToolName(token, of_type=last_type >= 0)
        return None

    def type_of_tokens(self, tokens: Sequence[str]) -> tuple[str, str] | None:
        """(type, token) named by whole tokens: a datastore beats a service, then the last one wins."""
        best: tuple[int, int, str, str] | None = None
        for index, token in enumerate(tokens):
            for form in _forms(token):
                owner = self._by_token.get(form)
                if owner is not None:
                    rank = (1 if self._by_name[owner].kind == "datastore" else 0, index)
                    if best is None or rank > best[:2]:
                        best = (*rank, owner, token)
                    break
        return None if best is None else (best[2], best[3])

    def type_of_chart(self, chart_label: str) -> str | None:
        """The type of a ``helm.sh/chart`` label value (``redis-17.3.2``)."""
        m = _CHART_LABEL.match(chart_label.strip().lower())
        chart = m.group("chart") if m else chart_label.strip().lower()
        if chart in self._by_chart:
            return self._by_chart[chart]
        if self.tool_name(name_tokens(chart)):
            return None
        found = self.type_of_tokens(name_tokens(chart))
        return found[0] if found else None

    def chart_listed(self, chart_label: str) -> bool:
        """Whether a ``helm.sh/chart`` label names one of the catalog's charts exactly."""
        m = _CHART_LABEL.match(chart_label.strip().lower())
        return (m.group("chart") if m else chart_label.strip().lower()) in self._by_chart

    def classify_image(self, image: str) -> ImageClass:
        """The type an image runs (listed, or named by its last path segment), that it is a tool's, or
        neither (unknown images, and shared images that run several components)."""
        repo = image_repository(image)
        last = repo.rsplit("/", 1)[-1]
        if repo in self._deny_images or last in self._deny_images:
            return ImageClass(repo, denied=True)
        if repo in self._shared_images:
            return ImageClass(repo)
        if repo in self._by_image:
            return ImageClass(repo, infra_type=self._by_image[repo])
        if self.tool_name(name_tokens(last)):
            return ImageClass(repo, denied=True)
        return ImageClass(repo, infra_type=self._by_image_name.get(last))

    def types_of_port(self, port: int) -> set[str]:
        """Types whose distinctive default port this is (empty for common ports such as 8080)."""
        return set(self._by_port.get(port, ()))


def _forms(token: str) -> tuple[str, ...]:
    """A token as written and without trailing digits (``postgres16`` -> ``postgres``)."""
    bare = token.rstrip("0123456789")
    return (token,) if not bare or bare == token else (token, bare)


def name_tokens(name: str) -> list[str]:
    """Whole lowercase tokens of a name: split on ``-``, ``_`` and ``.``."""
    return [t for t in _TOKEN_SPLIT.split(name.strip().lower()) if t]


def image_repository(image: str) -> str:
    """The repository of an image reference, without registry, tag, digest or ``library/``.

    ``docker.io/bitnami/redis:7.2@sha256:...`` -> ``bitnami/redis``; ``quay.io/keycloak/keycloak:26``
    -> ``keycloak/keycloak``; ``localhost:5000/mongo`` -> ``mongo``.
    """
    ref = image.strip().lower().split("@", 1)[0]
    parts = ref.split("/")
    if ":" in parts[-1]:
        parts[-1] = parts[-1].split(":", 1)[0]
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts)


@cache
def load_catalog() -> Catalog:
    """The validated catalog (read once per process)."""
    return parse_catalog(CATALOG_FILE.read_text(encoding="utf-8"), source=str(CATALOG_FILE))


def parse_catalog(text: str, *, source: str = "catalog") -> Catalog:
    try:  # libyaml's safe loader where there is one: the pure-Python one takes a large part of a second here
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not valid YAML: {exc}") from exc
    try:
        return check(Catalog, data)
    except ShapeError as exc:
        first = exc.problems[0]
        where = ".".join(str(p) for p in first.location) or "(top level)"
        raise InvalidInput(f"{source}: {where}: {first.message}", hint="fix the catalog file") from exc


def recognise_compose_service(name: str, image: str | None, ports: list[int]) -> str | None:
    """The catalog type a compose service runs, or None for everything else.

    The image decides first (``redis:7-alpine``, ``quay.io/keycloak/keycloak:26.0``), then whole
    name tokens, then a distinctive default port when the image says nothing. Admin UIs, exporters and
    one-shot jobs (``mongo-express``, ``redis-commander``, ``mongo-init``) are never infrastructure; a
    name that reads as a tool of nothing known (``dashboard``) is one only if its image is a datastore's.
    """
    catalog = load_catalog()
    tokens = name_tokens(name)
    tool = catalog.tool_name(tokens)
    if tool is not None and tool.of_type:
        return None
    verdict = catalog.classify_image(image) if image else None
    if verdict is not None and verdict.denied:
        return None
    if tool is not None:
        typed = verdict.infra_type if verdict is not None else None
        return typed if typed is not None and catalog.get(typed).kind == "datastore" else None
    if verdict is not None and verdict.infra_type is not None:
        return verdict.infra_type
    by_name = catalog.type_of_tokens(tokens)
    if by_name is not None:
        return by_name[0]
    by_port = {t for p in ports for t in catalog.types_of_port(p)}
    return by_port.pop() if len(by_port) == 1 else None
