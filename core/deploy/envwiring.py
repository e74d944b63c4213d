"""The deploy form's environment: what a compose service asks for, wired to what a scan found.

Pure functions, no I/O. Each variable a service asks for becomes one :class:`EnvRow` with its
value and where the value came from, strongest first:

- ``typed``: the person typed it (``--env KEY=VALUE`` or the form);
- ``scan``: the latest scan of the target namespace found infrastructure that satisfies it (the
  row keeps the :class:`~core.store.scans.Match` that supplied it);
- ``default``: the compose file's own value or ``${VAR:-default}``;
- ``missing``: required (``${VAR}`` / ``${VAR:?msg}`` / a bare ``- KEY`` with no value) and nothing
  is known: it must be filled before deploying (:func:`missing_required`);
- ``unset``: optional and nothing is known (left out).

A variable gets the part of an endpoint it asks for: ``*_URL``/``*_URI`` a URL with the type's
scheme, ``*_HOST`` the host, ``*_PORT`` only the port number, ``host_port`` hints ``host:port``.
The catalog's ``env`` hints decide first (``core/catalog.yaml``); other names are read by their
words (``MEM0_QDRANT_GRPC_PORT``: type ``qdrant``, port ``grpc``, part ``port``). Generated URLs
never carry a password: where the compose default has ``user:pass@``, that default is kept (the
scan's address is named in ``note``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.catalog import Catalog, load_catalog
from core.compose.model import ServiceSpec
from core.deploy.infravalues import Part, Source, Variable, from_scan, split_default
from core.errors import InvalidInput
from core.secrets.sensitivity import MASK, is_sensitive
from core.store.scans import Match, ScanResult


@dataclass(frozen=True)
class EnvRow:
    """One row of the deploy form."""

    name: str
    value: str | None
    source: Source
    required: bool
    default: str | None
    in_environment: bool = True
    sensitive: bool = False
    match: Match | None = None
    infra_type: str | None = None
    part: Part | None = None
    note: str | None = None

    @property
    def filled(self) -> bool:
        return self.value is not None and self.value != ""

    def shown_value(self) -> str | None:
        """The value as a person may see it (sensitive ones masked)."""
        return MASK if self.sensitive and self.filled else self.value

    def to_json(self, *, mask: bool = True) -> dict[str, Any]:
        default = self.default
        if mask and default and is_sensitive(self.name, default):
            default = MASK
        return {
            "name": self.name,
            "value": self.shown_value() if mask else self.value,
            "source": self.source,
            "required": self.required,
            "default": default,
            "in_environment": self.in_environment,
            "sensitive": self.sensitive,
            "infra_type": self.infra_type,
            "part": self.part,
            "match": None if self.match is None else f"{self.match.namespace}/{self.match.service}",
            "note": self.note,
        }


# -- what a service asks for --------------------------------------------------------------------


def requested_variables(spec: ServiceSpec) -> list[Variable]:
    """The container environment keys (in order), then variables used elsewhere in the service."""
    required = set(spec.required_variables)
    out: dict[str, Variable] = {}
    for name, value in spec.environment.items():
        needed = name in required
        default = None if value is None or (needed and value == "") else value
        out[name] = Variable(name, default, needed, True)
    for name in spec.variables:
        if name not in out:
            needed = name in required
            default = None if needed else spec.variable_values.get(name)
            out[name] = Variable(name, default, needed, False)
    return list(out.values())


# -- hints ----------------------------------------------------------------------------------------


# -- values from a match ----------------------------------------------------------------------


# -- choosing a match -------------------------------------------------------------------------


# -- the form ---------------------------------------------------------------------------------


def wire(
    variables: Sequence[Variable],
    *,
    scan: ScanResult | None,
    namespace: str | None,
    typed: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
) -> list[EnvRow]:
    """The form's rows: every requested variable, then typed ones the service did not ask for."""
    catalog = catalog or load_catalog()
    typed = dict(typed or {})
    rows = [_row(variable, scan, namespace, typed, catalog) for variable in variables]
    for name, value in typed.items():
        _check_name(name)
        rows.append(
            EnvRow(
                name=name,
                value=value,
                source="typed",
                required=False,
                default=None,
                sensitive=is_sensitive(name, value),
                note="not asked for by the compose file: added to the container environment",
            )
        )
    return rows


def _row(
    variable: Variable,
    scan: ScanResult | None,
    namespace: str | None,
    typed: dict[str, str],
    catalog: Catalog,
) -> EnvRow:
    """One requested variable's row: typed (taken out of ``typed``), else scanned, else the compose
    default, else missing or unset."""
    found = from_scan(variable, scan, namespace, catalog) if scan is not None else None
    common: dict[str, Any] = {
        "name": variable.name,
        "required": variable.required,
        "default": variable.default,
        "in_environment": variable.in_environment,
    }
    kept = None
    if found is not None and found.hint.part == "url" and split_default(variable.default)[2]:
        kept = f"kept the compose default (it carries a password); the scan found {found.value}"
        found = None
    value: str | None
    source: Source
    if variable.name in typed:
        value, source, note = typed.pop(variable.name), "typed", None
    elif found is not None:
        value, source, note = found.value, "scan", found.note
        if scan is not None and found.match.namespace != namespace:
            origin = f"found in namespace {found.match.namespace} by scan {scan.scan_id}"
            note = f"{origin}; {note}" if note else origin
        common.update(match=found.match, infra_type=found.hint.infra_type, part=found.hint.part)
    elif variable.default is not None:
        value, source, note = variable.default, "default", kept
    elif variable.required:
        value, source, note = None, "missing", "required: compose gives no value or default"
    else:
        value, source = None, "unset"
        note = (
            None
            if variable.in_environment
            else "used in the compose file: its value there (.env or default) applies"
        )
    return EnvRow(
        **common, value=value, source=source, note=note, sensitive=is_sensitive(variable.name, value)
    )


def _check_name(name: str) -> None:
    if not name or any(c in name for c in "= \t\n") or name[0].isdigit():
        raise InvalidInput(
            f"{name!r} is not an environment variable name", hint="use letters, digits and '_', e.g. API_KEY"
        )


def missing_required(rows: Iterable[EnvRow]) -> list[str]:
    """The required variables that still have no (non-empty) value."""
    return [r.name for r in rows if r.required and not r.filled]


def require_complete(rows: Sequence[EnvRow]) -> None:
    """Raise ``InvalidInput`` naming every required variable that is not filled."""
    missing = missing_required(rows)
    if missing:
        raise InvalidInput(
            f"required variables have no value: {', '.join(missing)}",
            hint="give them with --env KEY=VALUE (or fill them in the deploy form)",
        )


def overrides(rows: Iterable[EnvRow]) -> dict[str, str]:
    """The values that differ from what compose itself gives: typed ones and those from the scan."""
    return {r.name: r.value for r in rows if r.value is not None and r.source in ("typed", "scan")}


def environment_for(spec: ServiceSpec, rows: Iterable[EnvRow]) -> dict[str, str | None]:
    """The container environment after wiring: the service's, with typed and scanned values over it.

    ``spec`` should be the service loaded with :func:`overrides` as its settings, so that values
    built from other variables (``postgresql://app:${DB_PASS}@db/app``) are already interpolated.
    """
    env = dict(spec.environment)
    for name, value in overrides(r for r in rows if r.in_environment).items():
        env[name] = value
    return env
