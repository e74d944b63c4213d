"""Values from scanned infrastructure: what a variable's name hints at (the catalog's ``env`` hints, then
its words), and the URL, host or port a scan match gives it, choosing among matches by namespace and
readiness (pure).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from core.catalog import Catalog, InfraType, PortSpec, load_catalog, name_tokens
from core.store.scans import Match, ScanResult

Source = Literal["typed", "scan", "default", "missing", "unset"]


Part = Literal["url", "host", "port", "host_port"]

# The last word of a variable name -> the part of an endpoint it asks for.
PART_WORDS: dict[str, Part] = {
    "URL": "url",
    "URI": "url",
    "DSN": "url",
    "ENDPOINT": "url",
    "HOST": "host",
    "HOSTNAME": "host",
    "SERVER": "host",
    "PORT": "port",
    "ADDR": "host_port",
    "ADDRESS": "host_port",
}


# URL schemes of a default that may stay in place of the catalog's (a driver suffix is kept too:
# ``postgresql+asyncpg://``); anything else takes the catalog's scheme.
SCHEME_ALIASES: dict[str, frozenset[str]] = {"postgresql": frozenset({"postgres"})}


@dataclass(frozen=True)
class Variable:
    """One variable a service asks for."""

    name: str
    default: str | None  # the compose value with nothing set; None when compose gives none
    required: bool
    in_environment: bool  # a container environment key (False: used elsewhere, e.g. an image tag)


@dataclass(frozen=True)
class Hint:
    """How an infrastructure type can satisfy a variable."""

    infra_type: str
    part: Part
    port: str | None = None  # catalog port name; None: the type's main port
    via: Literal["catalog", "name"] = "catalog"


def hints_for(name: str, catalog: Catalog | None = None) -> list[Hint]:
    """Every way an infrastructure type can fill ``name``: the catalog's hints, else its words."""
    catalog = catalog or load_catalog()
    upper = name.upper()
    found = [Hint(t.name, h.part, h.port, "catalog") for t in catalog.types for h in t.env if h.name == upper]
    if found:
        return found
    tokens = name_tokens(name.lower())
    if len(tokens) < 2 or catalog.deny_token(tokens):
        return []
    part = PART_WORDS.get(tokens[-1].upper())
    if part is None:
        return []
    owner = catalog.type_of_tokens(tokens[:-1])
    if owner is None:
        return []
    infra = catalog.get(owner[0])
    port = infra.port_named(tokens[-2]) if len(tokens) >= 3 else None
    return [Hint(infra.name, part, port.name if port and not port.main else None, "name")]


def _host_of(match: Match) -> str:
    external = match.extra.get("external_name")
    if isinstance(external, str) and external:
        return external
    return f"{match.service}.{match.namespace}.svc.cluster.local"


def _port_of(match: Match, spec: PortSpec, infra: InfraType) -> int | None:
    """The Service port that stands for the catalog port ``spec`` (by number, then name)."""
    ports = [
        p for p in match.extra.get("ports") or [] if isinstance(p, dict) and isinstance(p.get("port"), int)
    ]
    for p in ports:
        if spec.port in (p.get("port"), p.get("target_port")):
            return int(p["port"])
    for p in ports:
        if spec.name in (p.get("name"), p.get("target_port")):
            return int(p["port"])
    if spec.main:
        if ports:  # the scanner orders the type's main port first
            return int(ports[0]["port"])
        if match.endpoints:
            _, _, number = match.endpoints[0].rpartition(":")
            if number.isdigit():
                return int(number)
        return infra.main_port.port
    return None


def _scheme(infra_scheme: str, default: str | None) -> str:
    """The catalog's scheme, or the default's where it is the same protocol (``postgres``, ``+driver``)."""
    if not default or "://" not in default:
        return infra_scheme
    written = default.split("://", 1)[0].lower()
    base, _, driver = written.partition("+")
    if base == infra_scheme or base in SCHEME_ALIASES.get(infra_scheme, frozenset()):
        return written if driver and driver != "srv" else base
    return infra_scheme


def split_default(default: str | None) -> tuple[str, str, bool]:
    """A default URL's user name (``user@``, never a password), its path, query and fragment, and
    whether it carries a password."""
    if not default or "://" not in default:
        return "", "", False
    try:
        parts = urlsplit(default)
        password = parts.password
        user = parts.username
    except ValueError:
        return "", "", False
    tail = parts.path if parts.path not in ("", "/") else ""
    if parts.query:
        tail += "?" + parts.query
    if parts.fragment:
        tail += "#" + parts.fragment
    return (f"{user}@" if user and password is None else ""), tail, password is not None


def value_from(
    match: Match, hint: Hint, catalog: Catalog | None = None, *, default: str | None = None
) -> tuple[str, str | None] | None:
    """The value ``match`` gives for ``hint`` (and a note), or None when it lacks that port.

    A URL keeps the user name, path and query of a default URL (``app@``, the ``/app`` database,
    the ``/0`` redis db), never a password.
    """
    catalog = catalog or load_catalog()
    infra = catalog.get(hint.infra_type)
    spec = infra.port_named(hint.port) if hint.port else infra.main_port
    if spec is None:
        return None
    port = _port_of(match, spec, infra)
    if port is None:
        return None
    host = _host_of(match)
    bracketed = f"[{host}]" if ":" in host else host
    address = match.extra.get("address_note")  # a Docker host's address in place of a name
    address_note = address if isinstance(address, str) and address else None
    if hint.part == "host":
        return host, address_note
    if hint.part == "port":
        return str(port), None
    if hint.part == "host_port":
        return f"{bracketed}:{port}", address_note
    user, tail, had_password = split_default(default)
    notes = [address_note] if address_note else []
    if had_password:
        notes.append(
            "the compose default has a password; it is not copied into the URL from the scan "
            "(type the whole URL to keep it)"
        )
    return f"{_scheme(spec.scheme, default)}://{user}{bracketed}:{port}{tail}", "; ".join(notes) or None


def _default_scheme_types(hints: Sequence[Hint], default: str | None, catalog: Catalog) -> list[Hint]:
    """Only the hints whose type speaks the default's scheme, when the default says one."""
    if not default or "://" not in default or len({h.infra_type for h in hints}) < 2:
        return list(hints)
    base = default.split("://", 1)[0].lower().partition("+")[0]
    fitting = [
        h
        for h in hints
        if any(
            base == p.scheme or base in SCHEME_ALIASES.get(p.scheme, frozenset())
            for p in catalog.get(h.infra_type).ports
        )
    ]
    return fitting or list(hints)


def rank_matches(matches: Iterable[Match], namespace: str | None) -> list[Match]:
    """The target namespace's matches first, then ready ones, then in scan order."""
    indexed = list(enumerate(matches))
    indexed.sort(key=lambda item: (item[1].namespace != namespace, item[1].ready_endpoints <= 0, item[0]))
    return [m for _, m in indexed]


@dataclass(frozen=True)
class _Found:
    value: str
    match: Match
    hint: Hint
    note: str | None


def from_scan(variable: Variable, scan: ScanResult, namespace: str | None, catalog: Catalog) -> _Found | None:
    hints = _default_scheme_types(hints_for(variable.name, catalog), variable.default, catalog)
    order = {name: i for i, name in enumerate(catalog.names())}
    candidates: list[tuple[tuple[int, int, int], _Found]] = []
    for hint in hints:
        for position, match in enumerate(rank_matches(scan.matches_of(hint.infra_type), namespace)):
            got = value_from(match, hint, catalog, default=variable.default)
            if got is None:
                continue
            rank = (match.namespace != namespace, order.get(hint.infra_type, 99), position)
            candidates.append((rank, _Found(got[0], match, hint, got[1])))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    best = candidates[0][1]
    others = [
        f"{c.match.infra_type} {c.match.namespace}/{c.match.service}"
        for _, c in candidates[1:]
        if c.match is not best.match
    ]
    notes = [n for n in (best.note,) if n]
    if others:
        notes.append("also found: " + ", ".join(dict.fromkeys(others)))
    return _Found(best.value, best.match, best.hint, "; ".join(notes) or None)
