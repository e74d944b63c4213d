"""Deploy plans: a registry service wired to the scanned infrastructure, checked and compiled, with
real Secret values, ready to apply (pure: reads compose files, never a cluster).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.clusters.registering import validate_namespace
from core.compose.loading import load_project
from core.compose.registry import RegistryEntry, load_registry
from core.deploy.envwiring import (
    EnvRow,
    environment_for,
    overrides,
    requested_variables,
    require_complete,
    wire,
)
from core.errors import InvalidInput, UshadowError
from core.manifests.compilations import CompiledService, CompileOptions
from core.manifests.compiler import compile_service
from core.manifests.yamldocs import to_yaml
from core.secrets.masking import distinctive, redact, scrub_messages
from core.store.scans import ScanResult


@dataclass(frozen=True)
class DeployPlan:
    """A service ready to apply: its wired environment and compiled objects (real Secret values)."""

    entry: RegistryEntry
    namespace: str
    rows: list[EnvRow]
    compiled: CompiledService
    scan_id: str | None
    unseen_hosts: list[str] = field(default_factory=list)
    scanned: frozenset[str] = frozenset()
    """Services and types the wiring scan found (a ``depends_on`` on one of them is met)."""

    @property
    def service_id(self) -> str:
        return self.entry.service_id

    @property
    def name(self) -> str:
        return self.compiled.name

    @property
    def kind(self) -> str:
        return self.compiled.kind

    def redacted_yaml(self) -> str:
        return to_yaml(redact(self.compiled.objects))

    def hidden(self) -> set[str]:
        """Every secret value of this plan (compiled, typed or wired) worth hunting in a message."""
        rows = {r.value for r in self.rows if r.sensitive and r.value and distinctive(r.value)}
        return self.compiled.hidden() | rows

    @property
    def warnings(self) -> list[str]:
        """The compiler's warnings, then values that name a host no scan has seen; secret values
        masked (a warning may quote a path or a user name)."""
        kept = [w for w in self.compiled.warnings if self._met_dependency(w) is None]
        return scrub_messages([*kept, *self.unseen_hosts], self.hidden())

    @property
    def notes(self) -> list[str]:
        met = [d for d in map(self._met_dependency, self.compiled.warnings) if d is not None]
        found = [
            f"depends on {d}: not in this compose file, but the scan found it (wired above)" for d in met
        ]
        return scrub_messages([*self.compiled.notes, *found], self.hidden())

    def _met_dependency(self, warning: str) -> str | None:
        """The service a "depends on undefined service X" warning names, when the scan found X."""
        match = _UNDEFINED_DEPENDENCY.search(warning)
        return match.group(1) if match and match.group(1) in self.scanned else None


def load_entry(dirs: Sequence[Path], service_id: str) -> RegistryEntry:
    """A deployable registry entry (the process environment is not read: see ``plan_deploy``)."""
    entry = load_registry(dirs, environ={}, service_id=service_id).get(service_id)
    if entry.spec is None or entry.error:
        raise InvalidInput(
            f"{service_id} cannot be deployed: {entry.error or 'it could not be read'}",
            hint="fix the compose file (`ushadow-ops services list` shows the error)",
        )
    return entry


def load_entry_list(dirs: Sequence[Path]) -> list[RegistryEntry]:
    """Every registry entry, in registry order (broken ones included, with their error)."""
    return list(load_registry(dirs, environ={}).entries)


def form_rows(
    entry: RegistryEntry, *, namespace: str, scan: ScanResult | None, typed: Mapping[str, str] | None = None
) -> list[EnvRow]:
    """The deploy form's environment rows for a registry entry."""
    assert entry.spec is not None
    return wire(requested_variables(entry.spec), scan=scan, namespace=namespace, typed=typed)


def plan_deploy(
    entry: RegistryEntry,
    *,
    namespace: str,
    typed: Mapping[str, str] | None = None,
    scan: ScanResult | None = None,
    options: CompileOptions | None = None,
) -> DeployPlan:
    """Wire, check and compile one service. Reads its compose file again with the wired values.

    Only the typed and scanned values and the ``.env`` beside the compose file are settings here,
    never the process environment: every value in the form says where it came from, and a variable
    of the dashboard's (or an operator's shell) must not slip into a deployment unseen.
    """
    namespace = validate_namespace(namespace)
    rows = form_rows(entry, namespace=namespace, scan=scan, typed=typed)
    require_complete(rows)
    project = load_project(entry.file, env=overrides(rows), environ={}, strict=False)
    spec = project.services.get(entry.service)
    if spec is None:
        reason = project.service_errors.get(entry.service, "it is no longer in the file")
        raise InvalidInput(f"{entry.service_id} cannot be deployed: {reason}")
    spec = replace(spec, environment=environment_for(spec, rows))
    compiled = compile_service(
        spec, project=project, namespace=namespace, options=options, service_id=entry.service_id
    )
    return DeployPlan(
        entry,
        namespace,
        _as_deployed(rows, spec.environment, compiled),
        compiled,
        scan.scan_id if scan else None,
        unseen_host_warnings(rows, scan, namespace),
        frozenset(n for m in (scan.matches if scan else []) for n in (m.service, m.infra_type)),
    )


def image_of(entry: RegistryEntry, rows: Sequence[EnvRow]) -> str | None:
    """The image the service would run with the form's values (``image: x:${TAG:-1.2}`` with TAG
    typed follows it); the registry's image when the file no longer reads."""
    try:
        project = load_project(entry.file, env=overrides(rows), environ={}, strict=False)
    except UshadowError:
        return entry.spec.image if entry.spec else None
    spec = project.services.get(entry.service) or entry.spec
    return spec.image if spec else None


def _as_deployed(
    rows: Sequence[EnvRow], environment: Mapping[str, str | None], compiled: CompiledService
) -> list[EnvRow]:
    """The rows as deployed: a compose value built from other variables shows what they made of it
    (``--password=${DB_PASSWORD}`` with the typed password), and a value that went into the Secret
    is marked sensitive, so it is masked wherever rows are shown."""
    secret_keys = {
        key
        for obj in compiled.objects
        if obj.get("kind") == "Secret"
        for key in (*(obj.get("data") or {}), *(obj.get("stringData") or {}))
    }
    out = []
    for row in rows:
        value = environment.get(row.name) if row.source == "default" and row.in_environment else row.value
        out.append(replace(row, value=value, sensitive=row.sensitive or row.name in secret_keys))
    return out


_UNDEFINED_DEPENDENCY = re.compile(r"depends on undefined service (\S+)$")
_HOST = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?(\[[^\]]+\]|[^:/?#\s]+)(?::\d+)?(?:[/?#].*)?$", re.I
)


def host_in(value: str, *, bare: bool = False) -> str | None:
    """The host a URL or ``host:port`` value names (a bare word only when ``bare``: the value of a
    ``*_HOST`` variable); None for values that name none."""
    match = _HOST.match(value.strip())
    if match is None:
        return None
    host = match.group(1).strip("[]").lower()
    return host if host and (bare or "://" in value or ":" in value or "." in host) else None


def unseen_host_warnings(rows: Sequence[EnvRow], scan: ScanResult | None, namespace: str) -> list[str]:
    """A warning for each typed or default value of a host-like variable (``*_URL``, ``*_HOST``, ...)
    that names a host no scan has seen: from ``namespace`` it may not resolve."""
    seen = set()
    for m in scan.matches if scan else []:
        seen.update(
            {
                m.service,
                f"{m.service}.{m.namespace}",
                f"{m.service}.{m.namespace}.svc",
                f"{m.service}.{m.namespace}.svc.cluster.local",
            }
        )
        external = m.extra.get("external_name")
        if isinstance(external, str):
            seen.add(external.lower())
    out = []
    for row in rows:
        if row.source not in ("typed", "default") or not row.value or row.sensitive:
            continue
        if not row.name.upper().endswith(HOST_SUFFIXES):
            continue
        host = host_in(row.value, bare=row.name.upper().endswith(BARE_HOST_SUFFIXES))
        if host is None or host in seen or host in LOCAL_HOSTS:
            continue
        if "." in host and not host.endswith(".svc") and ".svc." not in host:
            continue  # an outside address (db.example.com): not ours to judge
        where = f"namespace {namespace}"
        out.append(
            f"{row.name} names host {host!r}, which no scan of this cluster has seen: from {where} it may "
            "not resolve (scan the namespace where it runs, or give the full address)"
        )
    return out


HOST_SUFFIXES = ("URL", "URI", "DSN", "HOST", "HOSTNAME", "SERVER", "ADDR", "ADDRESS", "ENDPOINT")
BARE_HOST_SUFFIXES = ("HOST", "HOSTNAME", "SERVER")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
