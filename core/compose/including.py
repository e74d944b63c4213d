"""``include``: the services and declarations of other compose files, loaded as compose-go does.

Each entry names one compose file (or a main file and override files merged over it), read as
its own small project: relative paths resolve against its ``project_directory`` (by default the
folder of its first file), and its variables come from the including project first, then from
its ``env_file`` list (by default the ``.env`` in its project directory). Its services arrive in
the including project already interpolated, with absolute paths, and with their own ``extends``
and ``include`` resolved; a service the including file writes under the same name is merged
over the included one. Its volumes, networks, secrets and configs are declared in the including
project too. An include cycle is an error, and so is an included file that is not there.

Only a registered file reads the files it includes: an uploaded one may not make the server read
its own files, so there ``include`` is refused (strict) or named in the warnings (lenient).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.compose.documents import strip_tags
from core.compose.merging import absolute_path, merge_service, rebase_paths
from core.compose.raw import RawInclude, validate
from core.compose.reading import Loader, Scope, chain_lookup
from core.compose.tracking import Track
from core.errors import InvalidInput

SECTIONS = ("volumes", "networks", "secrets", "configs")
_UPLOAD_REFUSED = "include is not read for an uploaded file: it may not make the server read its files"
_UPLOAD_HINT = "put the files in the compose registry folder, or paste the included services instead"


@dataclass
class Imported:
    """What a file's ``include`` section brings: services ready to build, and declarations."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    sections: dict[str, dict[str, Any]] = field(default_factory=lambda: {kind: {} for kind in SECTIONS})
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, other: Imported) -> None:
        """Take ``other``'s resources; where both define one, what is here already wins (compose-go)."""
        for name, service in other.services.items():
            mine = self.services.get(name)
            self.services[name] = service if mine is None else merge_service(service, mine)
            self.tracks.setdefault(name, Track()).merge(other.tracks.get(name, Track()))
        for kind in SECTIONS:
            self.sections[kind] = {**other.sections[kind], **self.sections[kind]}
        self.errors.update(other.errors)


def load_includes(loader: Loader, include: Any, chain: tuple[str, ...]) -> Imported:
    """The resources of ``include`` (already interpolated) for the file ``chain[-1]``."""
    imported = Imported()
    if not include:
        return imported
    if not loader.read_files:
        if loader.strict:
            raise loader.fail("include", _UPLOAD_REFUSED, _UPLOAD_HINT)
        loader.warnings.append(f"{_UPLOAD_REFUSED} ({_UPLOAD_HINT})")
        return imported
    if not isinstance(include, list):
        raise loader.fail("include", "expected a list of files")
    for index, entry in enumerate(include):
        where = f"include[{index}]"
        raw = validate(RawInclude, {"path": entry} if isinstance(entry, str) else entry, where)
        try:
            imported.add(_load_entry(loader, raw, where, chain))
        except InvalidInput as exc:
            if loader.strict:
                raise
            loader.warnings.append(f"{exc.message} (its services are left out)")
    return imported


def _load_entry(loader: Loader, raw: RawInclude, where: str, chain: tuple[str, ...]) -> Imported:
    paths = [loader.absolute(path) for path in raw.path]
    if raw.project_directory:
        project_dir = loader.absolute(raw.project_directory)
    else:
        project_dir = os.path.dirname(paths[0])
    if paths[0] in chain:
        cycle = " -> ".join(os.path.basename(p) for p in (*chain, paths[0]))
        raise loader.fail(where, f"include cycle: {cycle}", "a file may not include itself, even indirectly")
    for path in paths:
        if not os.path.isfile(path):
            raise loader.fail(
                where,
                f"included file {path} not found",
                "include paths are relative to the including file's folder",
            )
    child = Loader(
        display=_display(loader.display, raw.path[0]),
        base_dir=project_dir,
        env={},
        environ=loader.environ,
        strict=loader.strict,
        read_files=True,
        lookup=_lookup(loader, raw, project_dir, where),
    )
    data = _merged_document(child, paths)
    include = strip_tags(child.interpolate(data.get("include"), "include", Track()))
    nested = load_includes(child, include, (*chain, paths[0]))
    written = data.get("services") or {}
    if not isinstance(written, dict):
        raise child.fail("services", "expected a mapping of service names to services")
    scope = Scope(child.display, project_dir, written, nested.services)
    imported = Imported(errors=dict(nested.errors))
    for name in {**nested.services, **written}:
        track = Track()
        track.merge(nested.tracks.get(name, Track()))
        try:
            service = child.resolve(str(name), scope, track)
        except InvalidInput as exc:
            if loader.strict:
                raise
            imported.errors[str(name)] = exc.message
            continue
        service.pop("extends", None)
        imported.services[str(name)] = _with_own_variables(
            rebase_paths(service, project_dir, child.home), child
        )
        imported.tracks[str(name)] = track
    rest = strip_tags(child.interpolate({k: v for k, v in data.items() if k in SECTIONS}, "", Track()))
    for kind in SECTIONS:
        section = rest.get(kind) or {}
        if not isinstance(section, dict):
            raise child.fail(kind, "expected a mapping")
        imported.sections[kind] = {**nested.sections[kind], **_rebase_section(section, project_dir, child)}
    loader.warnings += [f"{child.display}: {w}" for w in child.warnings]
    return imported


def _display(parent: str, path: str) -> str:
    """How messages name an included file: relative to the including file, as it was written."""
    if os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(os.path.dirname(parent), path))


def _lookup(loader: Loader, raw: RawInclude, project_dir: str, where: str) -> Any:
    """The including project's variables first, then the entry's env files (or its ``.env``)."""
    if raw.env_file:
        env_files = [loader.absolute(f) for f in raw.env_file if f != "/dev/null"]
    else:
        dotenv = os.path.join(project_dir, ".env")
        env_files = [dotenv] if os.path.isfile(dotenv) else []
    values: dict[str, str] = {}
    for path in env_files:
        if not os.path.isfile(path):
            raise loader.fail(f"{where}.env_file", f"{path} not found")
        values.update(loader.read_env(Path(path), chain_lookup(loader.lookup, values), Track()))
    return chain_lookup(loader.lookup, values)


def _merged_document(child: Loader, paths: list[str]) -> dict[Any, Any]:
    """The entry's first file, with any further files of the entry merged over it."""
    merged: dict[Any, Any] = {}
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{child.display}: included file {path} cannot be read: {exc}") from exc
        data = child.read_document(text)
        for key, value in data.items():
            if key == "services" and isinstance(value, dict) and isinstance(merged.get(key), dict):
                services = dict(merged[key])
                for name, service in value.items():
                    base = services.get(name)
                    if isinstance(base, dict) and isinstance(service, dict):
                        service = merge_service(base, service)
                    services[name] = service
                merged[key] = services
            elif key in SECTIONS and isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def _with_own_variables(service: dict[str, Any], child: Loader) -> dict[str, Any]:
    """Bare environment keys in list form (``- API_KEY``) take their value from the included
    file's variables; compose-go leaves the mapping form (``API_KEY:``) to the including project."""
    environment = service.get("environment")
    if isinstance(environment, list):
        filled = []
        for item in environment:
            if isinstance(item, str) and "=" not in item and (value := child.lookup(item)) is not None:
                item = f"{item}={value}"
            filled.append(item)
        service["environment"] = filled
    return service


def _rebase_section(section: dict[str, Any], project_dir: str, child: Loader) -> dict[str, Any]:
    """Top-level declarations with their ``file`` made absolute against the included project."""
    out: dict[str, Any] = {}
    for name, value in section.items():
        if isinstance(value, dict) and isinstance(value.get("file"), str):
            value = {**value, "file": absolute_path(value["file"], project_dir, child.home)}
        out[name] = value
    return out
