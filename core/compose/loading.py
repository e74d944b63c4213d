"""Read a compose file into a :class:`ComposeProject`, following the compose specification.

``load_project(path)`` reads a file; ``load_text(text)`` reads an uploaded or pasted one. Both
take the same keywords:

- ``env``: explicit settings. Variables are looked up there first, then in ``environ`` (the
  process environment unless given), then in ``.env`` beside the file. Bare environment keys
  (``- API_KEY``) take their value the same way.
- ``profiles``: ``None`` (the default) keeps every service, each with its ``profiles`` listed: an
  ops tool shows and renders what a file defines, whatever a developer's ``--profile`` flags would
  start. A sequence applies compose's rule: services without profiles, plus those with an active
  one (``"*"`` activates all); the others are named in ``disabled_services``.
- ``strict``: ``True`` raises :class:`InvalidInput` for anything compose-go would reject (naming
  the file, the service and the key) and for an unmet ``${VAR:?message}`` (naming the variable and
  its message). ``False`` is for the registry and the deploy form: unmet required variables go into
  ``required_variables`` (their value is empty), a service that cannot be read goes into
  ``service_errors`` without hiding its neighbours, and consistency problems (an undeclared volume,
  a missing ``env_file``, an unknown key) become warnings.

The steps follow compose-go: YAML (1.2 core schema, so ``no`` stays a string and ``80:80`` is not
base-60; anchors and ``<<`` merge keys), interpolation of every value, ``extends``, profiles,
then each service (see :mod:`core.compose.services`). What the file asks for but this tool
does not do is listed in ``warnings``, never dropped silently. ``load_text`` reads no other file
unless ``read_files=True``: an uploaded file must not make the server read its own files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.compose import syntax
from core.compose.documents import parse_yaml
from core.compose.dotenv import parse_dotenv
from core.compose.interpolation import MissingVariable, interpolate, mapping_lookup
from core.compose.metadata import parse_ushadow
from core.compose.model import ComposeProject, SecretUse, ServiceSpec, TopLevelResource
from core.compose.raw import RawExtends, RawService, RawTopLevel, validate
from core.compose.services import ServiceInputs, build_service, merge_service, rebase_paths, sort_keys
from core.errors import InvalidInput
from core.sensitivity import is_sensitive

_TOP_LEVEL = {
    "services",
    "volumes",
    "networks",
    "secrets",
    "configs",
    "name",
    "version",
    "include",
    "models",
    "jobs",
}
_MAX_NODES = 1_000_000
_VARIABLE_HINT = "set it in the deploy settings, in the environment, or in .env beside the compose file"


@dataclass(frozen=True)
class _Use:
    """One expanded reference: where (a path such as ``services.x.command[1]``), the string it
    was in as written, the variable, and the text it expanded to."""

    where: str
    template: str
    variable: str
    value: str


@dataclass
class _Track:
    variables: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)
    missing: list[MissingVariable] = field(default_factory=list)
    uses: list[_Use] = field(default_factory=list)

    def merge(self, other: _Track) -> None:
        self.variables += [v for v in other.variables if v not in self.variables]
        self.unset += [v for v in other.unset if v not in self.unset]
        self.missing += [m for m in other.missing if m not in self.missing]
        self.uses += other.uses


@dataclass
class _Scope:
    """One compose file: its services as written, for ``extends``."""

    display: str
    base_dir: str
    services: dict[str, Any]


class _Loader:
    def __init__(
        self,
        *,
        display: str,
        base_dir: str,
        env: Mapping[str, str],
        environ: Mapping[str, str],
        strict: bool,
        read_files: bool,
    ) -> None:
        self.display, self.base_dir, self.strict, self.read_files = display, base_dir, strict, read_files
        self.environ = environ
        self.home = environ.get("HOME") or os.path.expanduser("~")
        self.warnings: list[str] = []
        self.project_track = _Track()
        self.nodes = 0
        self.path: set[int] = set()  # containers being interpolated, to catch self-referring aliases
        self.scopes: dict[str, _Scope] = {}
        dotenv: dict[str, str] = {}
        dotenv_path = Path(base_dir) / ".env"
        if read_files and dotenv_path.is_file():
            dotenv = self._read_env(dotenv_path, mapping_lookup(env, environ), self.project_track)
        self.lookup = mapping_lookup(env, environ, dotenv)

    # --- errors ----------------------------------------------------------------------------

    def fail(
        self, where: str, message: str, hint: str | None = None, display: str | None = None
    ) -> InvalidInput:
        location = f"{display or self.display}: {where}" if where else (display or self.display)
        return InvalidInput(f"{location}: {message}", hint=hint)

    def problem(self, where: str, message: str, warnings: list[str]) -> None:
        """Strict: an error. Lenient: a warning on ``warnings``."""
        if self.strict:
            raise self.fail(where, message)
        warnings.append(f"{where}: {message}" if where else message)

    # --- interpolation ---------------------------------------------------------------------

    def interpolate(self, node: Any, where: str, track: _Track, display: str | None = None) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise self.fail(where, "too many values (a YAML alias bomb?)", display=display)
        if isinstance(node, str):
            try:
                result = interpolate(node, self.lookup)
            except InvalidInput as exc:
                raise self.fail(where, exc.message, exc.hint, display) from exc
            uses = [_Use(where, node, name, value) for name, value in result.values]
            track.merge(_Track(list(result.variables), list(result.unset), list(result.missing), uses))
            if result.missing and self.strict:
                missing = result.missing[0]
                raise self.fail(where, missing.describe(), f"{missing.name}: {_VARIABLE_HINT}", display)
            return result.value
        if isinstance(node, dict | list):
            if id(node) in self.path:
                raise self.fail(where, "a YAML alias refers to itself", display=display)
            self.path.add(id(node))
            try:
                return self._interpolate_container(node, where, track, display)
            finally:
                self.path.discard(id(node))
        return node

    def _interpolate_container(self, node: Any, where: str, track: _Track, display: str | None) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if not isinstance(key, str):
                    raise self.fail(
                        where or "top level", f"key {key!r} is not a string: quote it", display=display
                    )
                out[key] = self.interpolate(value, f"{where}.{key}" if where else key, track, display)
            return out
        return [self.interpolate(item, f"{where}[{i}]", track, display) for i, item in enumerate(node)]

    # --- files -----------------------------------------------------------------------------

    def _read_env(self, path: Path, lookup: Any, track: _Track, raw: bool = False) -> dict[str, str]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot be read: {exc}") from exc
        on_missing = None if self.strict else track.missing.append
        try:
            return parse_dotenv(text, lookup, raw=raw, on_missing=on_missing)
        except InvalidInput as exc:
            raise InvalidInput(f"{path}: {exc.message}", hint=exc.hint or _VARIABLE_HINT) from exc

    def absolute(self, path: str, base_dir: str | None = None) -> str:
        if path.startswith("~") and self.home:
            path = self.home + path[1:]
        if os.path.isabs(path):
            return syntax.go_path_clean(path)
        return syntax.go_path_clean(os.path.join(base_dir or self.base_dir, path))

    def scope_for(self, file: str, base_dir: str) -> _Scope:
        path = self.absolute(file, base_dir)
        if path not in self.scopes:
            if not self.read_files:
                raise InvalidInput(
                    f"{self.display}: extends file {file!r} cannot be read for an uploaded file"
                )
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"{self.display}: extends file {file!r} cannot be read: {exc}") from exc
            data, _ = parse_yaml(text, path)
            services = data.get("services") if isinstance(data, dict) else None
            if not isinstance(services, dict):
                raise InvalidInput(f"{path}: has no services section to extend")
            self.scopes[path] = _Scope(path, os.path.dirname(path), services)
        return self.scopes[path]

    # --- extends ---------------------------------------------------------------------------

    def resolve(
        self, name: str, scope: _Scope, track: _Track, chain: tuple[tuple[str, str], ...] = ()
    ) -> dict[str, Any]:
        key = (scope.display, name)
        if key in chain:
            cycle = " -> ".join(n for _, n in (*chain, key))
            raise self.fail(f"services.{name}.extends", f"extends cycle: {cycle}", display=scope.display)
        written = scope.services.get(name)
        if written is None:
            written = {}
        if not isinstance(written, dict):
            raise self.fail(f"services.{name}", "a service must be a mapping", display=scope.display)
        prefix = f"services.{name}"
        local = _Track()
        service: dict[str, Any] = self.interpolate(written, prefix, local, scope.display)
        # uses are kept relative to the service (``command[1]``), whichever file defined them
        local.uses = [replace(u, where=u.where[len(prefix) + 1 :]) for u in local.uses]
        track.merge(local)
        extends = service.get("extends")
        if extends is None:
            return service
        where = f"services.{name}.extends"
        target = validate(RawExtends, {"service": extends} if isinstance(extends, str) else extends, where)
        base_scope = self.scope_for(target.file, scope.base_dir) if target.file else scope
        if target.service not in base_scope.services:
            raise self.fail(
                where, f"service {target.service!r} not found in {base_scope.display}", display=scope.display
            )
        base = self.resolve(target.service, base_scope, track, (*chain, key))
        if base_scope is not scope:
            base = rebase_paths(base, base_scope.base_dir, self.home)
        return merge_service(base, service)

    # --- one service -----------------------------------------------------------------------

    def build(self, name: str, service: dict[str, Any], track: _Track) -> ServiceSpec:
        warnings: list[str] = []
        keys = sort_keys(service)
        if keys.unknown:
            self.problem(f"services.{name}", f"unknown key(s) {', '.join(keys.unknown)}", warnings)
        if keys.ignored:
            warnings.append(f"ignored (no meaning for Kubernetes here): {', '.join(keys.ignored)}")
        raw = validate(RawService, {k: v for k, v in keys.read.items() if k != "extends"}, f"services.{name}")
        env_file_vars: dict[str, str] = {}
        explicit = {k: v for k, v in raw.environment.items() if v is not None}
        lookup = _chain(self.lookup, explicit)
        for env_file in raw.env_file:
            path = self.absolute(env_file.path)
            if not self.read_files:
                warnings.append(
                    f"env_file {env_file.path} not read: an uploaded file may not read server files"
                )
            elif not os.path.isfile(path):
                if env_file.required:
                    self.problem(
                        f"services.{name}.env_file",
                        f"{path} not found (mark it required: false if optional)",
                        warnings,
                    )
            else:
                env_file_vars.update(self._read_env(Path(path), lookup, track, raw=env_file.format == "raw"))
        if track.unset:
            warnings.append(f"variables not set, empty strings used: {', '.join(track.unset)}")
        inputs = ServiceInputs(
            base_dir=self.base_dir,
            home=self.home,
            lookup=self.lookup,
            env_file_vars=env_file_vars,
            variables=list(track.variables),
            unset=list(dict.fromkeys([*track.unset, *(m.name for m in track.missing)])),
            secret_uses=secret_uses(track.uses),
            warnings=warnings,
        )
        try:
            return build_service(name, raw, inputs)
        except InvalidInput as exc:
            raise InvalidInput(f"services.{name}.{exc.message}", hint=exc.hint) from exc


def _use_field(use: _Use) -> tuple[str, str | None]:
    """The service key a use is in, and the environment variable when that key is ``environment``."""
    head = re.match(r"[^.\[]*", use.where)
    field_name = head.group(0) if head else use.where
    if field_name != "environment":
        return field_name, None
    rest = use.where[len(field_name) :]
    if rest.startswith("."):  # the mapping form: environment.KEY
        return field_name, rest[1:] or None
    key, sep, _ = use.template.partition("=")  # the list form: environment[0] is "KEY=value"
    return field_name, key.strip() if sep and "$" not in key and key.strip() else None


def _top_level_field(use: _Use) -> tuple[str, str | None]:
    """``configs.NAME.content`` -> ``("configs", "NAME")``: the section and the entry a use is in."""
    section, _, rest = use.where.partition(".")
    return section, rest.partition(".")[0] or None


def secret_uses(uses: list[_Use], *, top_level: bool = False) -> list[SecretUse]:
    """The expanded references that put a secret value somewhere: a variable with a sensitive
    name, or a value that is a credential (``core.sensitivity``); empty values hide nothing."""
    found: list[SecretUse] = []
    for use in uses:
        if not use.value or not is_sensitive(use.variable, use.value):
            continue
        field_name, key = _top_level_field(use) if top_level else _use_field(use)
        item = SecretUse(field=field_name, variable=use.variable, value=use.value, key=key)
        if item not in found:
            found.append(item)
    return found


def _chain(lookup: Any, extra: Mapping[str, str]) -> Any:
    def find(name: str) -> str | None:
        found = lookup(name)
        return found if found is not None else extra.get(name)

    return find


def _top_level(
    loader: _Loader, data: dict[str, Any], kind: str, warnings: list[str]
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
            labels={k: v or "" for k, v in raw.labels.items()},
        )
    return out


def _consistency(
    loader: _Loader, specs: dict[str, ServiceSpec], everything: set[str], top: dict[str, Any]
) -> None:
    """What compose-go's consistency check rejects: strict raises, lenient warns on the service."""
    for name, spec in specs.items():
        where = f"services.{name}"
        found: list[str] = []
        if spec.image is None and spec.build is None:
            found.append("has neither an image nor a build context")
        found += [
            f"refers to undefined network {n}"
            for n in spec.networks
            if n != "default" and n not in top["networks"]
        ]
        for dep in spec.depends_on:
            if dep.service not in everything:
                found.append(f"depends on undefined service {dep.service}")
            elif dep.service not in specs and dep.required:
                found.append(f"depends on {dep.service}, which no active profile enables")
        found += [
            f"refers to undefined volume {v.source}"
            for v in spec.volumes
            if v.type == "volume" and v.source and v.source not in top["volumes"]
        ]
        for kind in ("secrets", "configs"):
            found += [
                f"refers to undefined {kind[:-1]} {r.source}"
                for r in getattr(spec, kind)
                if r.source not in top[kind]
            ]
        extra: list[str] = []
        for message in found:
            loader.problem(where, message, extra)
        if extra:
            specs[name] = spec.model_copy(update={"warnings": [*spec.warnings, *extra]})
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in specs:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            loader.problem("services", f"depends_on cycle: {cycle}", loader.warnings)
            return
        visiting.append(name)
        for dep in specs[name].depends_on:
            visit(dep.service)
        visiting.pop()
        done.add(name)

    for name in specs:
        visit(name)


def _load(
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
    loader = _Loader(
        display=display,
        base_dir=base_dir,
        env=dict(env or {}),
        environ=dict(os.environ if environ is None else environ),
        strict=strict,
        read_files=read_files,
    )
    data, several = parse_yaml(text, display)
    if data is None:
        raise InvalidInput(f"{display}: empty compose file", hint="a compose file needs a services: section")
    if not isinstance(data, dict):
        raise InvalidInput(f"{display}: the top level must be a mapping with a services: key")
    warnings = loader.warnings
    if several:
        warnings.append("only the first YAML document of the file is read")
    unknown = [k for k in data if not (isinstance(k, str) and (k in _TOP_LEVEL or k.startswith("x-")))]
    if unknown and "services" not in data and any(isinstance(data[k], dict) for k in unknown):
        raise InvalidInput(
            f"{display}: this is the version 1 compose format (services at the top level: "
            f"{', '.join(map(str, unknown[:5]))}), which compose no longer reads",
            hint="move the services under a top-level services: key",
        )
    for key in unknown:
        loader.problem("", f"unknown top-level key {key!r}", warnings)
    if "version" in data:
        warnings.append("the top-level version key is obsolete and ignored")
    if data.get("include"):
        warnings.append(
            "include is not supported: the included files are not loaded (add them to the registry)"
        )
    for key in ("models", "jobs"):
        if data.get(key):
            warnings.append(f"top-level {key} are not supported and ignored")

    written = data.get("services") or {}
    if not isinstance(written, dict):
        raise loader.fail("services", "expected a mapping of service names to services")
    for key in written:
        if not isinstance(key, str):
            raise loader.fail("services", f"service name {key!r} is not a string: quote it")
    rest = loader.interpolate(
        {k: v for k, v in data.items() if k not in ("services", "include")}, "", loader.project_track
    )
    scope = _Scope(display, base_dir, written)
    tracks: dict[str, _Track] = {}
    merged: dict[str, dict[str, Any]] = {}
    service_errors: dict[str, str] = {}
    for name in written:
        tracks[name] = _Track()
        try:
            merged[name] = loader.resolve(str(name), scope, tracks[name])
        except InvalidInput as exc:
            if strict:
                raise
            service_errors[str(name)] = exc.message.removeprefix(f"{display}: ")

    disabled: list[str] = []
    if profiles is not None:
        active = set(profiles)
        for name, service in list(merged.items()):
            wanted = service.get("profiles")
            wanted = wanted if isinstance(wanted, list) else []
            if wanted and "*" not in active and not active & set(map(str, wanted)):
                disabled.append(name)
                del merged[name]

    specs: dict[str, ServiceSpec] = {}
    for name, service in merged.items():
        try:
            specs[name] = loader.build(name, service, tracks[name])
        except InvalidInput as exc:
            if strict:
                message = exc.message if exc.message.startswith(display) else f"{display}: {exc.message}"
                raise InvalidInput(message, hint=exc.hint) from exc
            service_errors[name] = exc.message.removeprefix(f"{display}: ")

    networks = rest.get("networks") or {}
    if not isinstance(networks, dict):
        raise loader.fail("networks", "expected a mapping of network names")
    for network, value in networks.items():
        validate(RawTopLevel, value or {}, f"networks.{network}")
    top: dict[str, Any] = {"networks": set(networks)}
    for kind in ("volumes", "secrets", "configs"):
        top[kind] = _top_level(loader, rest, kind, warnings)
    _consistency(loader, specs, set(map(str, written)), top)

    meta, service_meta, meta_warnings = parse_ushadow(
        rest.get("x-ushadow"), set(map(str, written)), "x-ushadow"
    )
    warnings += meta_warnings
    name = loader.lookup("COMPOSE_PROJECT_NAME") or rest.get("name") or os.path.basename(base_dir.rstrip("/"))
    variables = list(loader.project_track.variables)
    required = [*loader.project_track.unset, *(m.name for m in loader.project_track.missing)]
    for spec in specs.values():
        variables += spec.variables
        required += spec.required_variables
    for name_ in service_errors:
        variables += tracks.get(name_, _Track()).variables
    return ComposeProject(
        path=display,
        name=syntax.normalise_project_name(str(name)) or "default",
        services=specs,
        volumes=top["volumes"],
        secrets=top["secrets"],
        configs=top["configs"],
        meta=meta,
        service_meta=service_meta,
        warnings=list(dict.fromkeys(warnings)),
        variables=list(dict.fromkeys(variables)),
        required_variables=list(dict.fromkeys(required)),
        disabled_services=disabled,
        service_errors=service_errors,
        secret_uses=secret_uses(loader.project_track.uses, top_level=True),
    )


def load_project(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    profiles: Sequence[str] | None = None,
    strict: bool = True,
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """Read the compose file at ``path`` (see the module docstring for the keywords)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no such compose file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc}") from exc
    base_dir = os.path.dirname(os.path.abspath(file))
    return _load(
        text,
        display=str(path),
        base_dir=base_dir,
        env=env,
        environ=environ,
        profiles=profiles,
        strict=strict,
        read_files=True,
    )


def load_text(
    text: str,
    *,
    path: str = "compose.yaml",
    env: Mapping[str, str] | None = None,
    profiles: Sequence[str] | None = None,
    strict: bool = True,
    environ: Mapping[str, str] | None = None,
    read_files: bool = False,
) -> ComposeProject:
    """Read compose text (an upload). Relative paths resolve against ``path``'s folder."""
    base_dir = os.path.dirname(os.path.abspath(path))
    return _load(
        text,
        display=path,
        base_dir=base_dir,
        env=env,
        environ=environ,
        profiles=profiles,
        strict=strict,
        read_files=read_files,
    )
