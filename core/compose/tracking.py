"""What interpolation used: the variables a file refers to, and where secret values went. Pure.

The reader (:mod:`core.compose.reading`) collects a :class:`Track` per service, and one for the
rest of the file, while it interpolates. :func:`secret_uses` then picks out the expanded references
that put a secret value into the service (``command``, ``environment.KEY``, ...) or into a
top-level section (``configs.NAME.content``), so the compiler can keep those values out of the
manifests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.compose.interpolation import MissingVariable
from core.compose.model import SecretUse
from core.secrets.sensitivity import is_sensitive


@dataclass(frozen=True)
class Use:
    """One expanded reference: where (a path such as ``services.x.command[1]``), the string it
    was in as written, the variable, and the text it expanded to."""

    where: str
    template: str
    variable: str
    value: str


@dataclass
class Track:
    """The variables met while interpolating: referred to, unset, required but missing, and
    each expanded reference."""

    variables: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)
    missing: list[MissingVariable] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)

    def merge(self, other: Track) -> None:
        self.variables += [v for v in other.variables if v not in self.variables]
        self.unset += [v for v in other.unset if v not in self.unset]
        self.missing += [m for m in other.missing if m not in self.missing]
        self.uses += other.uses


def _use_field(use: Use) -> tuple[str, str | None]:
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


def _top_level_field(use: Use) -> tuple[str, str | None]:
    """``configs.NAME.content`` -> ``("configs", "NAME")``: the section and the entry a use is in."""
    section, _, rest = use.where.partition(".")
    return section, rest.partition(".")[0] or None


def secret_uses(uses: list[Use], *, top_level: bool = False) -> list[SecretUse]:
    """The expanded references that put a secret value somewhere: a variable with a sensitive
    name, or a value that is a credential (``core.secrets.sensitivity``). Empty values hide nothing, except
    in an environment variable: ``URL=postgres://app:${DB_PASSWORD}@db/app`` is a secret's place
    even while ``DB_PASSWORD`` is unset (a bundle's secrets file is where it gets filled in)."""
    found: list[SecretUse] = []
    for use in uses:
        if not is_sensitive(use.variable, use.value):
            continue
        field_name, key = _top_level_field(use) if top_level else _use_field(use)
        if not use.value and not (field_name == "environment" and key):
            continue
        item = SecretUse(field=field_name, variable=use.variable, value=use.value, key=key)
        if item not in found:
            found.append(item)
    return found
