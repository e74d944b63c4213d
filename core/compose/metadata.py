"""The ``x-ushadow`` block of a compose file. Pure.

File-level keys (``namespace``, ``infra_services``, ``description``, ...) describe the file; a key
that names one of the file's services and holds a mapping describes that service, as in
``openmemory-compose.yaml``. A single name where a list is expected (``provides: llm``) becomes a
list. Keys this project does not know are kept (``UshadowMeta.other_keys``). A service may also
carry its own ``x-ushadow`` mapping (``node: real`` places it on the local cluster's real node);
its keys win over the file-level entry for that service.
"""

from __future__ import annotations

from typing import Any

from core.compose import syntax
from core.compose.model import UshadowMeta
from core.errors import InvalidInput


def _coerce_meta(data: dict[str, Any], where: str) -> UshadowMeta:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("requires", "provides", "tags", "infra_services"):
            items = [] if value is None else [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise InvalidInput(f"{where}.{key}: expected a name or a list of names")
            values[key] = items
        elif key in ("display_name", "description", "namespace"):
            if value is not None and not isinstance(value, str | int | float):
                raise InvalidInput(f"{where}.{key}: expected text")
            values[key] = None if value is None else syntax.go_scalar(value)
        else:
            values[key] = value
    return UshadowMeta.of(values)


def parse_ushadow(
    block: Any, names: set[str], where: str
) -> tuple[UshadowMeta, dict[str, UshadowMeta], list[str]]:
    if block is None:
        return UshadowMeta(), {}, []
    if not isinstance(block, dict):
        raise InvalidInput(f"{where}: expected a mapping")
    file_level: dict[str, Any] = {}
    per_service: dict[str, UshadowMeta] = {}
    warnings: list[str] = []
    known = UshadowMeta.KNOWN
    for key, value in block.items():
        if key in names and isinstance(value, dict):
            per_service[key] = _coerce_meta(value, f"{where}.{key}")
        elif key not in known and isinstance(value, dict) and {"display_name", "description"} & set(value):
            warnings.append(f"{where}.{key} describes a service this file does not define")
            per_service[key] = _coerce_meta(value, f"{where}.{key}")
        else:
            file_level[key] = value
    return _coerce_meta(file_level, where), per_service, warnings


def with_service_blocks(
    per_service: dict[str, UshadowMeta], services: dict[str, dict[str, Any]]
) -> dict[str, UshadowMeta]:
    """``per_service`` plus each service's own ``x-ushadow`` mapping (its keys win)."""
    out = dict(per_service)
    for name, service in services.items():
        block = service.get("x-ushadow") if isinstance(service, dict) else None
        if block is None:
            continue
        where = f"services.{name}.x-ushadow"
        if not isinstance(block, dict):
            raise InvalidInput(f"{where}: expected a mapping (e.g. {{node: real}})")
        known = out[name].written() if name in out else {}
        out[name] = _coerce_meta({**known, **block}, where)
    return out
