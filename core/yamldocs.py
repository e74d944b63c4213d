"""Manifests as YAML text: one multi-document stream, or one numbered file per object (pure).

Strings with newlines are written as ``|`` blocks (when no line has trailing blanks, which a
block cannot keep), and never as ``&id001`` anchors and aliases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml: ~10x faster
    def ignore_aliases(self, data: Any) -> bool:  # never `&id001` anchors in manifests
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
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
