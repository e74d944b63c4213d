"""Read what a compose file refers to, and interpolate it: the :class:`Loader` of one file.

The loader owns everything that touches the disk while a project is assembled: ``.env`` beside
the file, each service's ``env_file`` and the files ``extends: file:`` names (never for an upload
unless ``read_files``). It interpolates every value, recording in a :class:`Track` which
variables were used; resolves ``extends`` chains; and hands each merged service, with what it
found, to :func:`core.compose.services.build_service`. Errors name the file and the key.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.compose import syntax
from core.compose.documents import Override, parse_yaml, strip_tags
from core.compose.dotenv import parse_dotenv
from core.compose.interpolation import interpolate, mapping_lookup
from core.compose.keys import sort_keys
from core.compose.merging import merge_service, rebase_paths
from core.compose.model import ServiceSpec
from core.compose.raw import RawExtends, RawService, validate
from core.compose.services import ServiceInputs, build_service
from core.compose.tracking import Track, Use, secret_uses
from core.errors import InvalidInput
from core.secrets.masking import distinctive, scrub_error

_MAX_NODES = 1_000_000
_VARIABLE_HINT = "set it in the deploy settings, in the environment, or in .env beside the compose file"


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


@dataclass
class Scope:
    """One compose file: its services as written, for ``extends``, and those it includes.

    ``imported`` services come from the files of its ``include`` section, already interpolated
    and with absolute paths; a service written here with the same name is merged over one.
    """

    display: str
    base_dir: str
    services: dict[str, Any]
    imported: dict[str, dict[str, Any]] = field(default_factory=dict)

    def defines(self, name: str) -> bool:
        return name in self.services or name in self.imported


class Loader:
    """One compose file being read: its variables, the files it refers to, and what was found."""

    def __init__(
        self,
        *,
        display: str,
        base_dir: str,
        env: Mapping[str, str],
        environ: Mapping[str, str],
        strict: bool,
        read_files: bool,
        lookup: Any = None,
    ) -> None:
        """``lookup`` replaces the variables of ``env``, ``environ`` and ``.env`` (an included file's)."""
        self.display, self.base_dir, self.strict, self.read_files = display, base_dir, strict, read_files
        self.environ = environ
        self.home = environ.get("HOME") or os.path.expanduser("~")
        self.warnings: list[str] = []
        self.project_track = Track()
        self.nodes = 0
        self.path: set[int] = set()  # containers being interpolated, to catch self-referring aliases
        self.scopes: dict[str, Scope] = {}
        if lookup is not None:
            self.lookup = lookup
            return
        dotenv: dict[str, str] = {}
        dotenv_path = Path(base_dir) / ".env"
        if read_files and dotenv_path.is_file():
            dotenv = self.read_env(dotenv_path, mapping_lookup(env, environ), self.project_track)
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

    # --- the file's top level --------------------------------------------------------------

    def read_document(self, text: str) -> dict[Any, Any]:
        """The file's top-level mapping; what it has that is not read goes on the warnings."""
        display = self.display
        data, several = parse_yaml(text, display)
        if data is None:
            raise InvalidInput(
                f"{display}: empty compose file", hint="a compose file needs a services: section"
            )
        if not isinstance(data, dict):
            raise InvalidInput(f"{display}: the top level must be a mapping with a services: key")
        warnings = self.warnings
        if several:
            warnings.append("only the first YAML document of the file is read")
        if "apiVersion" in data and "kind" in data and "services" not in data:
            raise InvalidInput(
                f"{display}: this is a Kubernetes manifest (kind {data['kind']}), not a compose file",
                hint="keep Kubernetes manifests out of the compose registry folder",
            )
        unknown = [k for k in data if not (isinstance(k, str) and (k in _TOP_LEVEL or k.startswith("x-")))]
        if unknown and "services" not in data and any(isinstance(data[k], dict) for k in unknown):
            raise InvalidInput(
                f"{display}: this is the version 1 compose format (services at the top level: "
                f"{', '.join(map(str, unknown[:5]))}), which compose no longer reads",
                hint="move the services under a top-level services: key",
            )
        for key in unknown:
            self.problem("", f"unknown top-level key {key!r}", warnings)
        if "version" in data:
            warnings.append("the top-level version key is obsolete and ignored")
        for key in ("models", "jobs"):
            if data.get(key):
                warnings.append(f"top-level {key} are not supported and ignored")
        return data

    # --- interpolation ---------------------------------------------------------------------

    def interpolate(self, node: Any, where: str, track: Track, display: str | None = None) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise self.fail(where, "too many values (a YAML alias bomb?)", display=display)
        if isinstance(node, str):
            try:
                result = interpolate(node, self.lookup)
            except InvalidInput as exc:
                raise self.fail(where, exc.message, exc.hint, display) from exc
            uses = [Use(where, node, name, value) for name, value in result.values]
            track.merge(Track(list(result.variables), list(result.unset), list(result.missing), uses))
            if result.missing and self.strict:
                missing = result.missing[0]
                raise self.fail(where, missing.describe(), f"{missing.name}: {_VARIABLE_HINT}", display)
            return result.value
        if isinstance(node, Override):
            return Override(self.interpolate(node.value, where, track, display))
        if isinstance(node, dict | list):
            if id(node) in self.path:
                raise self.fail(where, "a YAML alias refers to itself", display=display)
            self.path.add(id(node))
            try:
                return self._interpolate_container(node, where, track, display)
            finally:
                self.path.discard(id(node))
        return node

    def _interpolate_container(self, node: Any, where: str, track: Track, display: str | None) -> Any:
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

    def read_env(self, path: Path, lookup: Any, track: Track, raw: bool = False) -> dict[str, str]:
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

    def scope_for(self, file: str, base_dir: str) -> Scope:
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
            self.scopes[path] = Scope(path, os.path.dirname(path), services)
        return self.scopes[path]

    # --- extends ---------------------------------------------------------------------------

    def resolve(
        self, name: str, scope: Scope, track: Track, chain: tuple[tuple[str, str], ...] = ()
    ) -> dict[str, Any]:
        key = (scope.display, name)
        if key in chain:
            cycle = " -> ".join(n for _, n in (*chain, key))
            raise self.fail(f"services.{name}.extends", f"extends cycle: {cycle}", display=scope.display)
        written = scope.services.get(name)
        imported = scope.imported.get(name)
        if written is None and imported is not None:
            return copy.deepcopy(imported)
        if written is None:
            written = {}
        if not isinstance(written, dict):
            raise self.fail(f"services.{name}", "a service must be a mapping", display=scope.display)
        prefix = f"services.{name}"
        local = Track()
        service: dict[str, Any] = self.interpolate(written, prefix, local, scope.display)
        # uses are kept relative to the service (``command[1]``), whichever file defined them
        local.uses = [replace(u, where=u.where[len(prefix) + 1 :]) for u in local.uses]
        track.merge(local)
        if imported is not None:  # written over the included service of that name, as compose does
            service = merge_service(copy.deepcopy(imported), service)
        extends = service.get("extends")
        if extends is None:
            return strip_tags(service)  # type: ignore[no-any-return]
        where = f"services.{name}.extends"
        target = validate(RawExtends, {"service": extends} if isinstance(extends, str) else extends, where)
        base_scope = self.scope_for(target.file, scope.base_dir) if target.file else scope
        if not base_scope.defines(target.service):
            raise self.fail(
                where, f"service {target.service!r} not found in {base_scope.display}", display=scope.display
            )
        base = self.resolve(target.service, base_scope, track, (*chain, key))
        if base_scope is not scope:
            base = rebase_paths(base, base_scope.base_dir, self.home)
        return merge_service(base, service)

    # --- one service -----------------------------------------------------------------------

    def build(self, name: str, service: dict[str, Any], track: Track) -> ServiceSpec:
        """One service, read; its error may quote a value, but never a secret one (``user: ${DB_PASSWORD}``)."""
        try:
            return self._build(name, service, track)
        except InvalidInput as exc:
            scrub_error(exc, {u.value for u in secret_uses(track.uses) if distinctive(u.value)})
            raise

    def _build(self, name: str, service: dict[str, Any], track: Track) -> ServiceSpec:
        warnings: list[str] = []
        keys = sort_keys(service)
        if keys.unknown:
            self.problem(f"services.{name}", f"unknown key(s) {', '.join(keys.unknown)}", warnings)
        if keys.ignored:
            warnings.append(f"ignored (no meaning for Kubernetes here): {', '.join(keys.ignored)}")
        raw = validate(RawService, {k: v for k, v in keys.read.items() if k != "extends"}, f"services.{name}")
        env_file_vars: dict[str, str] = {}
        explicit = {k: v for k, v in raw.environment.items() if v is not None}
        lookup = chain_lookup(self.lookup, explicit)
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
                env_file_vars.update(self.read_env(Path(path), lookup, track, raw=env_file.format == "raw"))
        if track.unset:
            warnings.append(f"variables not set, empty strings used: {', '.join(track.unset)}")
        inputs = ServiceInputs(
            base_dir=self.base_dir,
            home=self.home,
            lookup=self.lookup,
            env_file_vars=env_file_vars,
            variables=list(track.variables),
            unset=list(dict.fromkeys([*track.unset, *(m.name for m in track.missing)])),
            unmet=list(dict.fromkeys(m.describe() for m in track.missing)),
            secret_uses=secret_uses(track.uses),
            expanded=_expanded_outside_environment(track),
            warnings=warnings,
        )
        try:
            spec = build_service(name, raw, inputs)
        except InvalidInput as exc:
            raise InvalidInput(f"services.{name}.{exc.message}", hint=exc.hint) from exc
        return with_bind_files(spec) if self.read_files else spec


BIND_FILE_MAX = 1024 * 1024  # a ConfigMap holds at most 1 MiB


def with_bind_files(spec: ServiceSpec) -> ServiceSpec:
    """``spec`` with the content of each bind-mounted regular file (UTF-8 text, at most 1 MiB),
    so that the compiler can mount it from a ConfigMap or Secret; other sources are left alone."""
    volumes = []
    for volume in spec.volumes:
        source = volume.source or ""
        if volume.type == "bind" and os.path.isfile(source) and os.path.getsize(source) <= BIND_FILE_MAX:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                volume = replace(volume, content=Path(source).read_text(encoding="utf-8"))
        volumes.append(volume)
    return replace(spec, volumes=volumes)


def chain_lookup(lookup: Any, extra: Mapping[str, str]) -> Any:
    """``lookup``, then ``extra`` for the names it does not have."""

    def find(name: str) -> str | None:
        found = lookup(name)
        return found if found is not None else extra.get(name)

    return find


def _expanded_outside_environment(track: Track) -> dict[str, str]:
    """What each variable used outside the environment (an image tag, a port) expanded to, first."""
    values: dict[str, str] = {}
    for use in track.uses:
        if not use.where.startswith("environment") and use.value:
            values.setdefault(use.variable, use.value)
    return values
