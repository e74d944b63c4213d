"""Kubernetes names from compose names: pure functions, no I/O.

Compose allows names Kubernetes refuses (``my_service``, ``API``, 80-character volume names,
``ushadow:zone`` label values). Everything here turns such a name into a valid one and is stable:
the same input always gives the same output. When a name has to be shortened, a short hash of the
original is appended so that two long names that share a prefix stay distinct.

The rules are the API server's own (``k8s.io/apimachinery/pkg/util/validation``):

- DNS-1123 label: at most 63 characters, ``[a-z0-9-]``, alphanumeric at both ends (Pods, PVCs, volumes).
- DNS-1035 label: the same, starting with a letter (Service names).
- DNS-1123 subdomain: labels joined by dots, at most 253 characters (ConfigMaps, Secrets, ...).
- Label value: empty or at most 63 characters of ``[A-Za-z0-9._-]``, alphanumeric at both ends.
- Qualified name (label and annotation keys): optional DNS subdomain prefix and ``/``, then a name
  of at most 63 characters of ``[A-Za-z0-9._-]``, alphanumeric at both ends.
- IANA service name (port names): at most 15 characters, ``[a-z0-9-]``, at least one letter,
  alphanumeric at both ends, no ``--``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15
HASH_LENGTH = 6

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def short_hash(value: str, length: int = HASH_LENGTH) -> str:
    """A stable lowercase hex digest prefix of ``value``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:length]


# -- validators ---------------------------------------------------------------------------------


def is_dns_label(value: str) -> bool:
    return len(value) <= DNS_LABEL_MAX and bool(_DNS_LABEL.match(value))


def is_dns1035_label(value: str) -> bool:
    return len(value) <= DNS_LABEL_MAX and bool(_DNS1035_LABEL.match(value))


def is_dns_subdomain(value: str) -> bool:
    return 0 < len(value) <= DNS_SUBDOMAIN_MAX and all(_DNS_LABEL.match(p) for p in value.split("."))


def is_label_value(value: str) -> bool:
    return len(value) <= LABEL_VALUE_MAX and bool(_LABEL_VALUE.match(value))


def is_qualified_name(key: str) -> bool:
    """A valid label or annotation key (``prefix/name`` or ``name``)."""
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return False
    return 0 < len(name) <= DNS_LABEL_MAX and bool(_QUALIFIED_NAME.match(name))


def is_port_name(value: str) -> bool:
    return (
        len(value) <= PORT_NAME_MAX
        and bool(_PORT_NAME.match(value))
        and "--" not in value
        and any(c.isalpha() for c in value)
    )


def is_config_key(key: str) -> bool:
    """A valid ConfigMap or Secret data key."""
    return 0 < len(key) <= DNS_SUBDOMAIN_MAX and bool(_CONFIG_KEY.match(key))


# -- builders -----------------------------------------------------------------------------------


def _shorten(clean: str, original: str, max_length: int, sep: str = "-") -> str:
    """``clean`` if it fits, else a prefix plus ``-<hash of original>``."""
    if len(clean) <= max_length:
        return clean
    suffix = sep + short_hash(original)
    head = clean[: max_length - len(suffix)].rstrip("-._")
    return head + suffix


def dns_label(value: str, *, max_length: int = DNS_LABEL_MAX) -> str:
    """A DNS-1123 label: lowercase, ``_`` and other symbols to ``-``, hashed suffix when shortened."""
    clean = re.sub(r"[^a-z0-9-]+", "-", value.lower())
    clean = re.sub(r"-{2,}", "-", clean).strip("-")
    if not clean:
        return "x-" + short_hash(value)
    return _shorten(clean, value, max_length).strip("-")


def dns1035_label(value: str, *, max_length: int = DNS_LABEL_MAX) -> str:
    """A DNS-1035 label (a Service name): a DNS-1123 label that starts with a letter."""
    label = dns_label(value, max_length=max_length)
    if not label[0].isalpha():
        label = dns_label("s-" + label, max_length=max_length)
        if not label[0].isalpha():  # pragma: no cover - "s-" always survives
            label = "s" + label[1:]
    return label


def dns_subdomain(value: str, *, max_length: int = DNS_SUBDOMAIN_MAX) -> str:
    """A DNS-1123 subdomain: dot-separated labels, at most 253 characters."""
    parts = [dns_label(p) for p in value.split(".") if re.search(r"[A-Za-z0-9]", p)]
    clean = ".".join(parts) if parts else dns_label(value)
    return _shorten(clean, value, max_length).strip("-.")


def label_value(value: str) -> str:
    """A valid label value: invalid characters (``:``, ``/``, spaces) become ``-``."""
    if is_label_value(value):
        return value
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", value)
    clean = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", clean)
    if not clean:
        return short_hash(value)
    return _shorten(clean, value, LABEL_VALUE_MAX)


def qualified_name(key: str, *, default_prefix: str = "compose.ushadow.io") -> str:
    """A valid label/annotation key from any string (used for compose labels that are not valid)."""
    if is_qualified_name(key):
        return key
    prefix, slash, name = key.rpartition("/")
    prefix = dns_subdomain(prefix) if slash else default_prefix
    return f"{prefix}/{label_value(name or key)}"


def config_key(key: str) -> str:
    """A valid ConfigMap/Secret data key (``[-._a-zA-Z0-9]+``)."""
    if is_config_key(key):
        return key
    clean = re.sub(r"[^-._a-zA-Z0-9]+", "_", key).strip("_") or "key"
    return _shorten(clean, key, DNS_SUBDOMAIN_MAX, sep="_") + "_" + short_hash(key)


def port_name(protocol: str, port: int, declared: str | None = None) -> str:
    """The preferred name of one port: the declared name if valid, else ``<proto>-<port>``."""
    if declared:
        clean = re.sub(r"[^a-z0-9-]+", "-", declared.lower())
        clean = re.sub(r"-{2,}", "-", clean).strip("-")[:PORT_NAME_MAX].strip("-")
        if is_port_name(clean):
            return clean
    return f"{protocol.lower()}-{port}"


def unique_port_names(ports: Sequence[tuple[str, int, str | None]]) -> list[str]:
    """Names for ``(protocol, port, declared_name)`` entries, valid and unique among themselves.

    Two entries that want the same name (the same number on TCP and UDP with one declared name,
    or two declared names that clean to the same string) get a numbered suffix that still fits
    in 15 characters.
    """
    names: list[str] = []
    taken: set[str] = set()
    for protocol, port, declared in ports:
        name = port_name(protocol, port, declared)
        if name in taken:
            name = _dedupe_port_name(name, protocol, port, taken)
        taken.add(name)
        names.append(name)
    return names


def _dedupe_port_name(name: str, protocol: str, port: int, taken: set[str]) -> str:
    base = f"{protocol.lower()}-{port}"
    if base not in taken:
        return base
    for n in range(2, 10_000):
        suffix = f"-{n}"
        candidate = name[: PORT_NAME_MAX - len(suffix)].rstrip("-") + suffix
        if is_port_name(candidate) and candidate not in taken:
            return candidate
    raise ValueError(f"cannot find a free port name for {name!r}")  # pragma: no cover


def new_id(nbytes: int = 16) -> str:
    """An id nobody can guess (128 random bits, URL-safe) that starts with a letter or digit.

    An id is typed after a command (``scans show ID``); one starting with ``-`` would read as an option.
    """
    while True:
        token = secrets.token_urlsafe(nbytes)
        if token[0].isalnum():
            return token
