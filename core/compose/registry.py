"""The compose registry: every service of every compose file in the registry folders. Reads files.

A registry folder is one of ``Settings.compose_dirs`` (``USHADOW_COMPOSE_DIR``). Each ``*.yml`` /
``*.yaml`` file directly inside it is loaded leniently (see :mod:`core.compose.loading`), with no
profile filter: the registry lists every service a file defines, and each entry keeps its
``profiles`` so a person sees which ones a developer would start with ``--profile``.

Each service is one :class:`RegistryEntry` with the id ``<file-stem>:<service>``; services of
the same name in different files are different entries. When two folders hold files with the same
stem, those files' ids are qualified with their folder's name (``<folder>/<file-stem>:<service>``)
so that none overwrites another. A file that cannot be read at all is one entry with the id
``<file-stem>:*`` and its error; a service that cannot be read is an entry with its error. Neither
hides the rest.

An entry is ``infra`` when the file's ``x-ushadow`` says so (``infra: true``, or an ``infra`` tag,
for the file or the service), when the file is an infra file (its name has the word ``infra``, as
``docker-compose.infra.yml``), or when the infrastructure catalog recognises the service.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.catalog import recognise_compose_service
from core.compose.loading import load_project
from core.compose.model import ComposeProject, ServiceSpec, UshadowMeta
from core.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class RegistryEntry:
    service_id: str
    file: str
    service: str  # "*" for a file that could not be read
    spec: ServiceSpec | None
    meta: UshadowMeta = field(default_factory=UshadowMeta)
    infra: bool = False
    infra_type: str | None = None  # the catalog's type, when it recognises the service
    error: str | None = None

    @property
    def profiles(self) -> list[str]:
        return list(self.spec.profiles) if self.spec else []

    @property
    def warnings(self) -> list[str]:
        return list(self.spec.warnings) if self.spec else []

    @property
    def required_variables(self) -> list[str]:
        return list(self.spec.required_variables) if self.spec else []


@dataclass(frozen=True)
class Registry:
    entries: list[RegistryEntry]
    projects: dict[str, ComposeProject] = field(default_factory=dict)  # by file path
    warnings: list[str] = field(default_factory=list)  # e.g. a registry folder that does not exist

    def get(self, service_id: str) -> RegistryEntry:
        """The entry with this id, or :class:`NotFound` naming the closest ids."""
        for entry in self.entries:
            if entry.service_id == service_id:
                return entry
        ids = [e.service_id for e in self.entries]
        close = difflib.get_close_matches(service_id, ids, n=3, cutoff=0.5)
        close += [i for i in ids if i.split(":", 1)[-1] == service_id.split(":", 1)[-1] and i not in close]
        hint = (
            f"did you mean {', '.join(close[:5])}?" if close else "`ushadow-ops services list` shows every id"
        )
        raise NotFound(f"no compose service {service_id!r} in the registry", hint=hint)

    def project(self, file: str | Path) -> ComposeProject:
        """The loaded project of a registry file, by path or by file stem."""
        wanted = str(file)
        for path, project in self.projects.items():
            if wanted in (path, Path(path).name, Path(path).stem):
                return project
        raise NotFound(
            f"no compose file {wanted!r} in the registry",
            hint=f"registry files: {', '.join(Path(p).name for p in self.projects) or 'none'}",
        )

    def infra_entries(self) -> list[RegistryEntry]:
        return [e for e in self.entries if e.infra]


def _merged_meta(project: ComposeProject, service: str) -> UshadowMeta:
    own = project.service_meta.get(service)
    if own is None:
        return project.meta
    return UshadowMeta.of({**project.meta.values(), **own.written()})


def _says_infra(meta: UshadowMeta) -> bool:
    return meta.other_keys.get("infra") is True or any(
        tag.lower() in ("infra", "infrastructure") for tag in meta.tags
    )


def _is_infra_file(path: Path) -> bool:
    return "infra" in re.split(r"[._-]", path.stem.lower())


def _entries(path: Path, stem: str, project: ComposeProject) -> list[RegistryEntry]:
    entries = []
    file_infra = _is_infra_file(path) or _says_infra(project.meta)
    for name, spec in project.services.items():
        meta = _merged_meta(project, name)
        ports = [p.target for p in spec.ports]
        infra_type = recognise_compose_service(name, spec.image, ports)
        infra = file_infra or _says_infra(meta) or infra_type is not None
        entries.append(RegistryEntry(f"{stem}:{name}", str(path), name, spec, meta, infra, infra_type))
    for name, error in project.service_errors.items():
        entries.append(
            RegistryEntry(f"{stem}:{name}", str(path), name, None, _merged_meta(project, name), error=error)
        )
    order = list(project.services) + list(project.service_errors)
    return sorted(entries, key=lambda e: order.index(e.service))


def compose_files(dirs: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The compose files directly inside ``dirs``, and a warning for each folder that is missing."""
    files: list[Path] = []
    warnings: list[str] = []
    for folder in dirs:
        if not folder.is_dir():
            warnings.append(f"registry folder {folder} does not exist")
            continue
        files += sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    return files, warnings


def load_registry(
    dirs: Sequence[Path] | Path,
    *,
    env: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    service_id: str | None = None,
) -> Registry:
    """Every service of the compose files in ``dirs``; ``env`` are the settings for interpolation.

    With ``service_id``, only the file that id names is read when it holds that service (``render``
    of one service need not parse the whole registry); otherwise every file, so that a mistyped id
    is answered with the closest ones as before.
    """
    folders = [dirs] if isinstance(dirs, str | Path) else dirs
    files, warnings = compose_files([Path(d) for d in folders])
    ids = _file_ids(files)
    if service_id is not None and ":" in service_id:
        prefix = service_id.rsplit(":", 1)[0]
        named = [(path, stem) for path, stem in zip(files, ids, strict=True) if stem == prefix]
        if named:
            one = _load(named, warnings, env, environ)
            if any(e.service_id == service_id for e in one.entries):
                return one
    return _load(list(zip(files, ids, strict=True)), warnings, env, environ)


def _load(
    files: list[tuple[Path, str]],
    warnings: list[str],
    env: Mapping[str, str] | None,
    environ: Mapping[str, str] | None,
) -> Registry:
    entries: list[RegistryEntry] = []
    projects: dict[str, ComposeProject] = {}
    for path, stem in files:
        try:
            project = load_project(path, env=env, environ=environ, strict=False)
        except InvalidInput as exc:
            entries.append(RegistryEntry(f"{stem}:*", str(path), "*", None, error=exc.message))
            continue
        projects[str(path)] = project
        if not project.services and not project.service_errors:
            reason = "; ".join(["defines no services", *project.warnings])
            entries.append(RegistryEntry(f"{stem}:*", str(path), "*", None, project.meta, error=reason))
        entries += _entries(path, stem, project)
    return Registry(entries, projects, warnings)


def _file_ids(files: list[Path]) -> list[str]:
    """The id prefix of each file: its stem, qualified only where stems collide."""
    stems = Counter(p.stem for p in files)
    qualified = [f"{p.parent.name}/{p.stem}" if stems[p.stem] > 1 else p.stem for p in files]
    again = Counter(qualified)
    return [f"{p.parent.name}/{p.name}" if again[q] > 1 else q for p, q in zip(files, qualified, strict=True)]
