"""What a deploy changed: one :class:`Change` per object and the paths that differ between two
versions of an object. Pure functions over the API server's JSON, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.conventions import FIELD_MANAGER


@dataclass(frozen=True)
class Change:
    """What happened (or, in a dry run, would happen) to one object."""

    kind: str
    name: str
    namespace: str | None
    action: str  # created, configured, unchanged, deleted, kept
    paths: tuple[str, ...] = ()
    note: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "action": self.action,
            "changed": list(self.paths),
            "note": self.note,
        }


_SERVER_FIELDS = {"resourceVersion", "managedFields", "generation", "creationTimestamp", "uid", "selfLink"}


def _comparable(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    if not obj:
        return {"metadata": {}}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    return {k: v for k, v in obj.items() if k not in ("status", "metadata")} | {"metadata": meta}


def _key(prefix: str, key: Any) -> str:
    text = str(key)
    if any(c in text for c in "./ ") or not text:
        return f"{prefix}[{text}]"
    return f"{prefix}.{text}" if prefix else text


def _walk(before: Any, after: Any, prefix: str, out: list[str]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            path = _key(prefix, key)
            if key not in before:
                out.append(f"{path} (added)")
            elif key not in after:
                out.append(f"{path} (removed)")
            else:
                _walk(before[key], after[key], path, out)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            _walk(b, a, f"{prefix}[{index}]", out)
    else:
        out.append(prefix or "(whole object)")


def changed_paths(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], *, limit: int = 25
) -> list[str]:
    """The paths that differ between two versions of an object (never the values: Secrets stay secret)."""
    out: list[str] = []
    _walk(_comparable(before), _comparable(after), "", out)
    if len(out) > limit:
        out = [*out[:limit], f"... and {len(out) - limit} more"]
    return out


def owns(live: Mapping[str, Any], *fields: str, manager: str = FIELD_MANAGER) -> bool:
    """Whether ``manager``'s apply owns the field (``owns(obj, "spec", "replicas")``)."""
    for entry in (live.get("metadata") or {}).get("managedFields") or ():
        if entry.get("manager") != manager or entry.get("operation") != "Apply":
            continue
        node = entry.get("fieldsV1") or {}
        for name in fields:
            node = node.get(f"f:{name}")
            if not isinstance(node, dict):
                break
        else:
            return True
    return False
