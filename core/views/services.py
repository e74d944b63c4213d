"""The Services page's registry table, filters and texts (pure: registry entries in, data out).

The page draws the widgets and hands what a person typed or picked to these functions; the table
comes back as a pandas ``DataFrame`` whose columns the page only styles (``st.column_config``),
so what the page lists and how it filters is tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core.compose.model import Port
from core.compose.registry import RegistryEntry

if TYPE_CHECKING:
    import pandas as pd

REGISTRY_COLUMNS = ("id", "file", "image", "ports", "infra", "infra_type", "required", "warnings", "error")
_NOT_IN_FILE_NAMES = re.compile(r"[^A-Za-z0-9._-]+")
_MARKDOWN_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www)(?=\\[:.])")
_WORD_JOINER = "\u2060"


# -- the table and its filters --------------------------------------------------------------------


def port_text(port: Port) -> str:
    if port.published and not port.exposed_only:
        host = f"{port.host_ip}:" if port.host_ip else ""
        return f"{host}{port.published}:{port.target}/{port.protocol}"
    return f"{port.target}/{port.protocol}"


def file_label(entry: RegistryEntry) -> str:
    """The entry's compose file as ``<folder>/<file>`` (short, and unique across registry folders)."""
    path = Path(entry.file)
    return f"{path.parent.name}/{path.name}"


def registry_table(entries: list[RegistryEntry]) -> pd.DataFrame:
    """One row per entry, in the order given (an unreadable entry has no image and no ports)."""
    import pandas as pd  # here, not at the top: `ushadow-ops services list` shares port_text

    rows = [
        {
            "id": e.service_id,
            "file": file_label(e),
            "image": e.spec.image if e.spec else None,
            "ports": [port_text(p) for p in e.spec.ports] if e.spec else [],
            "infra": e.infra,
            "infra_type": e.infra_type or "",
            "required": e.required_variables,
            "warnings": len(e.warnings),
            "error": e.error or "",
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS))


def entry_matches(entry: RegistryEntry, search: str) -> bool:
    """Whether every word of ``search`` occurs (any case) in the entry's id, file, image, error,
    display name, description, tags, what it provides or its infrastructure type.
    """
    meta = entry.meta
    haystack = [entry.service_id, file_label(entry), entry.spec.image if entry.spec else "", entry.error]
    haystack += [meta.display_name, meta.description, *meta.tags, *meta.provides, entry.infra_type]
    return all(word in " ".join(h or "" for h in haystack).lower() for word in search.lower().split())


def file_choices(entries: Iterable[RegistryEntry]) -> list[str]:
    """The files to filter by: each entry's :func:`file_label`, once each, sorted."""
    return sorted({file_label(e) for e in entries})


def filter_entries(
    entries: Iterable[RegistryEntry], *, search: str = "", file: str | None = None, infra_only: bool = False
) -> list[RegistryEntry]:
    """The entries that pass every filter: the search words, the file (None: any), infrastructure only."""
    return [
        e
        for e in entries
        if (not infra_only or e.infra)
        and (file is None or file_label(e) == file)
        and entry_matches(e, search)
    ]


def registry_counts(entries: list[RegistryEntry]) -> str:
    """``N services, I infrastructure, B cannot be read.``"""
    broken = sum(1 for e in entries if e.error)
    infra = sum(1 for e in entries if e.infra)
    return f"{len(entries)} services, {infra} infrastructure, {broken} cannot be read."


def service_label(entry: RegistryEntry) -> str:
    """How the service picker shows an entry: its id, with its display name or why it cannot be read."""
    if entry.error:
        return f"{entry.service_id} (cannot be read)"
    name = entry.meta.display_name
    return f"{entry.service_id} · {name}" if name else entry.service_id


# -- texts ------------------------------------------------------------------------------------


def inline_code(text: str) -> str:
    """``text`` as a Markdown code span on one line, whole and shown literally (no escaping: a code
    span would show the backslashes), its backticks made quotes so none breaks out of it.
    """
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def plain_text(text: str, limit: int = 300) -> str:
    """Compose metadata (``x-ushadow.display_name``, a description) for Markdown, shown as written:
    every punctuation mark escaped (no emphasis, link, image, HTML or code), one line, at most
    ``limit`` characters, and an invisible word joiner after ``https``, ``www`` and ``@`` so no
    bare URL or address becomes a link (GitHub-flavoured Markdown links them without brackets).
    """
    one_line = " ".join(text.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", one_line)
    escaped = escaped.replace("\\@", "\\@" + _WORD_JOINER)  # nor an e-mail address a mailto: link
    return _AUTOLINK.sub(lambda m: m.group(1) + _WORD_JOINER, escaped)


def word_list(items: list[str]) -> str:
    """``items`` as comma-separated code spans, or ``none``."""
    return ", ".join(inline_code(i) for i in items) if items else "none"


def yaml_file_name(service_id: str) -> str:
    """A safe file name for one service's manifests: ``blog-compose:web`` -> ``blog-compose-web.yaml``."""
    return _NOT_IN_FILE_NAMES.sub("-", service_id).strip("-") + ".yaml"
