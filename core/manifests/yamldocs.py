"""Manifests as YAML text: one multi-document stream, or one numbered file per object (pure).

Strings with newlines are written as ``|`` blocks (when no line has trailing blanks, which a
block cannot keep), and never as ``&id001`` anchors and aliases. A string that a YAML 1.2 or Go
YAML reader would take for a number (``1e6``, ``0o17``, an env-hash like ``8274100359282e67``) is
quoted: PyYAML only quotes what YAML 1.1 reads as a number, and kubectl would reject the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml: ~10x faster
    def ignore_aliases(self, data: Any) -> bool:  # never `&id001` anchors in manifests
        return True


_NUMBER_LIKE = re.compile(
    r"[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"  # 1e6, 1.5E-3, 6.02e23
    r"|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO][0-7_]+|[-+]?0[bB][01_]+"  # 0x1F, 0o17, 0b101
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _NUMBER_LIKE.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def to_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    """Objects as one multi-document YAML text (``---`` between documents)."""
    docs = [yaml.dump(dict(o), Dumper=_Dumper, sort_keys=False, default_flow_style=False) for o in objects]
    return "".join(f"---\n{doc}" for doc in docs)


def object_filename(index: int, obj: Mapping[str, Any]) -> str:
    """``01-deployment-mem0.yaml``: numbered so that ``kubectl apply -f DIR`` keeps apply order."""
    meta = obj.get("metadata") or {}
    return f"{index:02d}-{str(obj.get('kind', 'object')).lower()}-{meta.get('name', 'unnamed')}.yaml"


def files_for(objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """One YAML file per object, keyed by ``object_filename``."""
    return {object_filename(i, o): to_yaml([o]) for i, o in enumerate(objects, start=1)}
