"""Assemble a :class:`ComposeProject` from one compose file's text, in compose-go's order.

The top level is checked first (unknown keys, the version 1 format, what is not supported); then
everything outside ``services`` is interpolated, each service is resolved through its
``extends`` chain (:mod:`core.compose.reading`), profiles drop the services none of them enables,
the rest are built (:mod:`core.compose.services`), the top-level volumes, secrets and configs are
read, and the whole is checked (:mod:`core.compose.consistency`). Lenient loading keeps a service
that cannot be read out of ``services`` and names it in ``service_errors``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from core.compose import syntax
from core.compose.consistency import check_consistency
from core.compose.documents import strip_tags
from core.compose.including import SECTIONS, load_includes
from core.compose.metadata import parse_ushadow, with_service_blocks
from core.compose.model import ComposeProject, ServiceSpec, TopLevelResource
from core.compose.raw import RawTopLevel, validate
from core.compose.reading import Loader, Scope
from core.compose.tracking import Track, secret_uses
from core.errors import InvalidInput


def _drop_disabled(merged: dict[str, dict[str, Any]], profiles: Sequence[str] | None) -> list[str]:
    """Remove from ``merged`` the services no active profile enables; return their names."""
    disabled: list[str] = []
    if profiles is not None:
        active = set(profiles)
        for name, service in list(merged.items()):
            wanted = service.get("profiles")
            wanted = wanted if isinstance(wanted, list) else []
            if wanted and "*" not in active and not active & set(map(str, wanted)):
                disabled.append(name)
                del merged[name]
    return disabled


def _top_level(
    loader: Loader, data: dict[str, Any], kind: str, warnings: list[str]
) -> dict[str, TopLevelResource]:
    section = data.get(kind) or {}
    if not isinstance(section, dict):
        raise loader.fail(kind, "expected a mapping")
    out: dict[str, TopLevelResource] = {}
    for name, value in section.items():
        raw = validate(RawTopLevel, value or {}, f"{kind}.{name}")
        external = raw.external if isinstance(raw.external, bool) else True
        if isinstance(raw.external, dict):
            warnings.append(f"{kind}.{name}: external.name is deprecated; use name")
        file = loader.absolute(raw.file) if raw.file else None
        if kind in ("secrets", "configs") and not (external or file or raw.environment or raw.content):
            loader.problem(
                f"{kind}.{name}", "declares neither file, environment, content nor external", warnings
            )
        out[name] = TopLevelResource(
            name=name,
            external=external,
            file=file,
            environment=raw.environment,
            content=raw.content,
            driver=raw.driver,
            driver_opts={str(k): "" if v is None else str(v) for k, v in (raw.driver_opts or {}).items()},
            labels={k: v or "" for k, v in raw.labels.items()},
        )
    return out


def _top_level_sections(loader: Loader, rest: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The declared network names, and the volumes, secrets and configs, by section."""
    networks = rest.get("networks") or {}
    if not isinstance(networks, dict):
        raise loader.fail("networks", "expected a mapping of network names")
    for network, value in networks.items():
        validate(RawTopLevel, value or {}, f"networks.{network}")
    top: dict[str, Any] = {"networks": set(networks), "shared_networks": {}}
    for network, value in networks.items():
        spec = value if isinstance(value, dict) else {}
        external = spec.get("external")
        named = external.get("name") if isinstance(external, dict) else None
        is_external = isinstance(external, dict) or (external is not None and syntax.to_bool(external))
        if named or spec.get("name") or is_external:
            top["shared_networks"][str(network)] = str(named or spec.get("name") or network)
    for kind in ("volumes", "secrets", "configs"):
        top[kind] = _top_level(loader, rest, kind, warnings)
    return top


def assemble(
    text: str,
    *,
    display: str,
    base_dir: str,
    env: Mapping[str, str] | None,
    environ: Mapping[str, str] | None,
    profiles: Sequence[str] | None,
    strict: bool,
    read_files: bool,
) -> ComposeProject:
    """The project in ``text`` (see :mod:`core.compose.loading` for the keywords).

    Kept as one function on purpose: its steps follow compose-go's loader in order (read,
    interpolate, include, extends, profiles, build, consistency, ``x-ushadow``), each one call."""
    loader = Loader(
        display=display,
        base_dir=base_dir,
        env=dict(env or {}),
        environ=dict(os.environ if environ is None else environ),
        strict=strict,
        read_files=read_files,
    )
    data = loader.read_document(text)
    warnings = loader.warnings

    written = data.get("services") or {}
    if not isinstance(written, dict):
        raise loader.fail("services", "expected a mapping of service names to services")
    for key in written:
        if not isinstance(key, str):
            raise loader.fail("services", f"service name {key!r} is not a string: quote it")
    rest = strip_tags(
        loader.interpolate({k: v for k, v in data.items() if k != "services"}, "", loader.project_track)
    )
    imported = load_includes(loader, rest.pop("include", None), (_file_path(display, base_dir),))
    for kind in SECTIONS:
        if imported.sections[kind] and isinstance(rest.get(kind) or {}, dict):
            rest[kind] = {**imported.sections[kind], **(rest.get(kind) or {})}
    scope = Scope(display, base_dir, written, imported.services)
    tracks: dict[str, Track] = {}
    merged: dict[str, dict[str, Any]] = {}
    service_errors: dict[str, str] = dict(imported.errors)
    everything = {*imported.services, *imported.errors, *map(str, written)}
    for name in {**imported.services, **written}:
        tracks[name] = Track()
        tracks[name].merge(imported.tracks.get(name, Track()))
        try:
            merged[name] = loader.resolve(str(name), scope, tracks[name])
        except InvalidInput as exc:
            if strict:
                raise
            service_errors[str(name)] = exc.message.removeprefix(f"{display}: ")

    disabled = _drop_disabled(merged, profiles)

    specs: dict[str, ServiceSpec] = {}
    for name, service in merged.items():
        try:
            specs[name] = loader.build(name, service, tracks[name])
        except InvalidInput as exc:
            if strict:
                message = exc.message if exc.message.startswith(display) else f"{display}: {exc.message}"
                raise InvalidInput(message, hint=exc.hint) from exc
            service_errors[name] = exc.message.removeprefix(f"{display}: ")

    top = _top_level_sections(loader, rest, warnings)
    check_consistency(loader, specs, everything, top)

    meta, service_meta, meta_warnings = parse_ushadow(rest.get("x-ushadow"), everything, "x-ushadow")
    service_meta = with_service_blocks(service_meta, merged)
    warnings += meta_warnings
    name = loader.lookup("COMPOSE_PROJECT_NAME") or rest.get("name") or os.path.basename(base_dir.rstrip("/"))
    variables = list(loader.project_track.variables)
    required = [*loader.project_track.unset, *(m.name for m in loader.project_track.missing)]
    for spec in specs.values():
        variables += spec.variables
        required += spec.required_variables
    for name_ in service_errors:
        variables += tracks.get(name_, Track()).variables
    return ComposeProject(
        path=display,
        name=syntax.normalise_project_name(str(name)) or "default",
        services=specs,
        volumes=top["volumes"],
        secrets=top["secrets"],
        configs=top["configs"],
        shared_networks=top["shared_networks"],
        meta=meta,
        service_meta=service_meta,
        warnings=list(dict.fromkeys(warnings)),
        variables=list(dict.fromkeys(variables)),
        required_variables=list(dict.fromkeys(required)),
        disabled_services=disabled,
        service_errors=service_errors,
        secret_uses=secret_uses(loader.project_track.uses, top_level=True),
    )


def _file_path(display: str, base_dir: str) -> str:
    """The compose file's absolute path, to catch a file that includes itself."""
    return os.path.join(base_dir, os.path.basename(display))
