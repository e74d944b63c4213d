"""Which stored scans retention keeps (pure): ``USHADOW_SCAN_RETENTION`` parsed, and the scans of
each target (cluster + namespaces) sorted into what is kept and what is pruned.

The setting is a comma-separated list of tiers, youngest first: ``KEEP[:AGE]``. ``KEEP`` is ``all``
(every scan), ``hourly``, ``daily`` or ``weekly`` (the newest scan of each UTC hour, day or ISO
week, per target); ``AGE`` (``36h``, ``30d``, ``8w``) is how old a scan may be and still fall in
that tier. The last tier may have no age (it lasts forever); scans older than a last tier's age
are pruned. The default, ``all:30d,daily``, keeps every scan for 30 days and then one a day.
``all`` alone keeps everything. The newest scan of each target is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import InvalidInput

DEFAULT_RETENTION = "all:30d,daily"
KEEPS = ("all", "hourly", "daily", "weekly")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
TOMBSTONE_DAYS = 365
"""Days a pruned scan's link still says "pruned by retention" (then it is simply not found)."""

_TIER = re.compile(r"^(?P<keep>[a-z]+)(?::(?P<n>\d{1,5})(?P<unit>[hdw]))?$")


@dataclass(frozen=True)
class Tier:
    keep: str
    age: timedelta | None  # None: forever


@dataclass(frozen=True)
class Retention:
    tiers: tuple[Tier, ...]
    text: str

    def tier_for(self, age: timedelta) -> Tier | None:
        """The tier a scan this old falls in; None: older than every tier (pruned)."""
        for tier in self.tiers:
            if tier.age is None or age < tier.age:
                return tier
        return None


def parse_retention(text: str | None) -> Retention:
    """``USHADOW_SCAN_RETENTION`` (see the module docstring); bad syntax raises ``InvalidInput``."""
    raw = (text or DEFAULT_RETENTION).strip().lower()
    hint = f"e.g. {DEFAULT_RETENTION} (every scan for 30 days, then one a day), or all:7d,daily:90d,weekly"
    tiers: list[Tier] = []
    for part in (p.strip() for p in raw.split(",")):
        found = _TIER.match(part)
        if found is None or found["keep"] not in KEEPS:
            raise InvalidInput(
                f"USHADOW_SCAN_RETENTION: {part!r} is not KEEP[:AGE] with KEEP one of {', '.join(KEEPS)} "
                "and AGE like 36h, 30d or 8w",
                hint=hint,
            )
        age = None if found["n"] is None else int(found["n"]) * UNITS[found["unit"]]
        if tiers and (tiers[-1].age is None or (age is not None and age <= tiers[-1].age)):
            raise InvalidInput(
                f"USHADOW_SCAN_RETENTION: {part!r} must come after a tier with a shorter age "
                "(only the last tier may have no age)",
                hint=hint,
            )
        tiers.append(Tier(found["keep"], age))
    return Retention(tuple(tiers), raw)


@dataclass(frozen=True)
class StoredScan:
    """What pruning needs to know of a stored scan."""

    scan_id: str
    target: Hashable  # cluster + namespaces: scans of one target are thinned together
    scanned_at: datetime


@dataclass(frozen=True)
class Verdict:
    scan_id: str
    kept_id: str | None  # the scan kept for its hour/day/week, when one is


def _bucket(keep: str, at: datetime) -> tuple[int, ...]:
    if keep == "hourly":
        return (at.year, at.month, at.day, at.hour)
    if keep == "daily":
        return (at.year, at.month, at.day)
    iso = at.isocalendar()
    return (iso.year, iso.week)


def plan_prune(scans: Sequence[StoredScan], retention: Retention, now: datetime) -> list[Verdict]:
    """The scans retention prunes, oldest first, each with the scan kept in its place (if any)."""
    by_target: dict[Hashable, list[StoredScan]] = {}
    for scan in scans:
        by_target.setdefault(scan.target, []).append(scan)
    pruned: list[tuple[datetime, Verdict]] = []
    for group in by_target.values():
        group.sort(key=lambda s: s.scanned_at, reverse=True)  # newest first: it is always kept
        kept_in: dict[tuple[str, tuple[int, ...]], str] = {}
        for position, scan in enumerate(group):
            tier = retention.tier_for(now - scan.scanned_at)
            if position == 0 or (tier is not None and tier.keep == "all"):
                if tier is not None and tier.keep != "all":
                    kept_in.setdefault((tier.keep, _bucket(tier.keep, scan.scanned_at)), scan.scan_id)
                continue
            if tier is None:
                pruned.append((scan.scanned_at, Verdict(scan.scan_id, None)))
                continue
            key = (tier.keep, _bucket(tier.keep, scan.scanned_at))
            if key in kept_in:
                pruned.append((scan.scanned_at, Verdict(scan.scan_id, kept_in[key])))
            else:
                kept_in[key] = scan.scan_id
    return [v for _, v in sorted(pruned, key=lambda p: p[0])]
