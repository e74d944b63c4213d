"""``extends``: one service as written merged over another, with compose's rules. Pure.

:func:`merge_service` merges the way compose does (``command`` replaced, ``environment`` and
labels by key, lists appended without duplicates, mappings merged key by key; ``!reset`` and
``!override`` as compose reads them);
:func:`rebase_paths` makes the relative paths of a service from another file (``extends: file:``)
absolute against that file's folder.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Mapping
from typing import Any

from core.compose import syntax
from core.compose.documents import Override, Reset, strip_tags

_OVERRIDE = {"command", "entrypoint"}
_KEY_VALUE = {"environment", "labels", "sysctls", "annotations"}
_SEQUENCE = {"dns", "dns_opt", "dns_search", "env_file", "extra_hosts", "tmpfs", "label_file"}
_AS_MAPPING = {"depends_on", "networks"}


def _as_key_values(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value or []:
        key, found, rest = str(item).partition("=")
        out[key] = rest if found else None
    return out


def _as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {str(name): None for name in value}
    return dict(value or {})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _as_build(value: Any) -> dict[str, Any]:
    return {"context": value} if isinstance(value, str) else dict(value)


def _append_unique(base: list[Any], extra: list[Any]) -> list[Any]:
    merged = list(base)
    merged.extend(item for item in extra if item not in merged)
    return merged


def _merge(base: Any, override: Any, key: str | None) -> Any:
    if override is None:
        return base
    if isinstance(override, Reset | Override):  # kept as written; strip_tags settles them
        return override
    if key in _OVERRIDE:
        return override
    if key in _KEY_VALUE:
        merged = {**_as_key_values(base), **_as_key_values(override)}
        if isinstance(base, list) and isinstance(override, list):  # bare keys stay bare, as written
            return [name if value is None else f"{name}={value}" for name, value in merged.items()]
        return merged
    if key in _SEQUENCE:
        return _append_unique(_as_list(base), _as_list(override))
    if key in _AS_MAPPING:
        return _merge_mappings(_as_mapping(base), _as_mapping(override))
    if key == "build":
        return _merge_mappings(_as_build(base), _as_build(override), nested="build")
    if isinstance(base, dict) and isinstance(override, dict):
        return _merge_mappings(base, override, nested=key)
    if isinstance(base, list) and isinstance(override, list):
        return _append_unique(base, override)
    return override


def _merge_mappings(
    base: dict[str, Any], override: dict[str, Any], nested: str | None = None
) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key not in merged or (nested == "healthcheck" and key == "test"):
            merged[key] = value
        elif nested == "build" and key == "args":
            merged[key] = {**_as_key_values(merged[key]), **_as_key_values(value)}
        elif nested is None:
            merged[key] = _merge(merged[key], value, key)
        else:
            merged[key] = _merge(merged[key], value, f"{nested}.{key}")
    return merged


def merge_service(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` extending ``base``, with compose's merge rules (environment by key, command
    replaced, lists appended without duplicates, mappings merged)."""
    merged = _merge_mappings(dict(base), {k: v for k, v in override.items() if k != "extends"})
    merged = dict(strip_tags(merged))
    merged.pop("extends", None)
    if "extends" in override:
        merged["extends"] = override["extends"]
    return merged


def absolute_path(path: str, base_dir: str, home: str | None) -> str:
    """``path`` against ``base_dir``, ``~`` being ``home``; an absolute path or a URL is kept."""
    if path.startswith("~") and home:
        path = home + path[1:]
    if posixpath.isabs(path) or ntpath.isabs(path) or "://" in path:
        return path
    return syntax.go_path_clean(posixpath.join(base_dir, path))


def rebase_paths(service: Mapping[str, Any], base_dir: str, home: str | None) -> dict[str, Any]:
    """Make a service's relative paths absolute against ``base_dir`` (for ``extends: file:``)."""
    out = dict(service)
    env_file = out.get("env_file")
    if isinstance(env_file, str | list):
        entries = env_file if isinstance(env_file, list) else [env_file]
        out["env_file"] = [
            absolute_path(e, base_dir, home)
            if isinstance(e, str)
            else {**e, "path": absolute_path(str(e.get("path", "")), base_dir, home)}
            for e in entries
        ]
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = absolute_path(build, base_dir, home)
    elif isinstance(build, dict) and isinstance(build.get("context"), str):
        out["build"] = {**build, "context": absolute_path(build["context"], base_dir, home)}
    volumes = out.get("volumes")
    if isinstance(volumes, list):
        rebased: list[Any] = []
        for volume in volumes:
            if isinstance(volume, str):
                try:
                    spec = syntax.parse_volume(volume)
                except ValueError:
                    rebased.append(volume)
                    continue
                if spec.type == "bind" and spec.source:
                    volume = {"type": "bind", "source": absolute_path(spec.source, base_dir, home)}
                    volume |= {"target": spec.target, "read_only": spec.read_only}
            elif (
                isinstance(volume, dict)
                and volume.get("type") == "bind"
                and isinstance(volume.get("source"), str)
            ):
                volume = {**volume, "source": absolute_path(volume["source"], base_dir, home)}
            rebased.append(volume)
        out["volumes"] = rebased
    return out
