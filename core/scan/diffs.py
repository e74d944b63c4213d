"""What changed between two scans of the same cluster and namespaces (pure; the CLI and the Scan page
both show it).

Matches are compared by (type, namespace, Service): a match is added, removed, or changed (its
endpoints, Service type, connection string or readiness differ). Types that are newly found or no
longer found, and namespaces that started or stopped failing, are listed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from core.store.scans import Match, ScanResult

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Change:
    kind: Literal["added", "removed", "changed"]
    infra_type: str
    namespace: str
    service: str
    details: tuple[str, ...] = ()
    readiness_changed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.kind,
            "type": self.infra_type,
            "namespace": self.namespace,
            "service": self.service,
            "details": list(self.details),
            "readiness_changed": self.readiness_changed,
        }

    def line(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        text = f"{sign} {self.infra_type}: {self.namespace}/{self.service} {self.kind}"
        return text + (f" ({'; '.join(self.details)})" if self.details else "")


@dataclass(frozen=True)
class ScanDiff:
    previous_scan_id: str | None
    previous_scanned_at: str | None = None
    changes: tuple[Change, ...] = ()
    types_found: tuple[str, ...] = ()
    types_lost: tuple[str, ...] = ()
    errors_added: tuple[str, ...] = ()
    errors_cleared: tuple[str, ...] = ()
    # set when the previous scan read other namespaces too: the namespaces both read, compared
    compared_namespaces: tuple[str, ...] = ()

    @property
    def first_scan(self) -> bool:
        return self.previous_scan_id is None

    @property
    def unchanged(self) -> bool:
        return not (
            self.changes or self.types_found or self.types_lost or self.errors_added or self.errors_cleared
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "previous_scan_id": self.previous_scan_id,
            "previous_scanned_at": self.previous_scanned_at,
            "unchanged": self.unchanged,
            "changes": [c.to_json() for c in self.changes],
            "types_found": list(self.types_found),
            "types_lost": list(self.types_lost),
            "errors_added": list(self.errors_added),
            "errors_cleared": list(self.errors_cleared),
            "compared_namespaces": list(self.compared_namespaces),
            "summary": self.lines(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanDiff:
        """Back from :meth:`to_json` (a diff kept with its scan in the store)."""
        return cls(
            previous_scan_id=data["previous_scan_id"],
            previous_scanned_at=data.get("previous_scanned_at"),
            changes=tuple(
                Change(
                    kind=c["change"],
                    infra_type=c["type"],
                    namespace=c["namespace"],
                    service=c["service"],
                    details=tuple(c.get("details") or ()),
                    readiness_changed=bool(c.get("readiness_changed")),
                )
                for c in data.get("changes") or []
            ),
            types_found=tuple(data.get("types_found") or ()),
            types_lost=tuple(data.get("types_lost") or ()),
            errors_added=tuple(data.get("errors_added") or ()),
            errors_cleared=tuple(data.get("errors_cleared") or ()),
            compared_namespaces=tuple(data.get("compared_namespaces") or ()),
        )

    def lines(self) -> list[str]:
        """Human-readable lines, one per change."""
        if self.first_scan:
            return ["first scan of these namespaces: nothing to compare with"]
        if self.unchanged:
            return [f"nothing changed since scan {self.previous_scan_id} ({self.previous_scanned_at})"]
        out = [f"now found: {t}" for t in self.types_found]
        out += [f"no longer found: {t}" for t in self.types_lost]
        out += [c.line() for c in self.changes]
        out += [f"namespace {ns} can no longer be read" for ns in self.errors_added]
        out += [f"namespace {ns} can be read again" for ns in self.errors_cleared]
        return out


def _key(m: Match) -> Key:
    return (m.infra_type, m.namespace, m.service)


def _ready(m: Match) -> bool | None:
    """Ready (some ready endpoint), not ready, or unknown (``extra.ready`` is None: no slices to read)."""
    if "ready" in m.extra and m.extra["ready"] is None:
        return None
    return m.ready_endpoints > 0


def _compare(old: Match, new: Match) -> Change | None:
    details: list[str] = []
    readiness = False
    if old.service_type != new.service_type:
        details.append(f"type {old.service_type} -> {new.service_type}")
    if old.ready_endpoints != new.ready_endpoints or _ready(old) != _ready(new):
        readiness = _ready(old) != _ready(new)
        state = {True: "ready", False: "not ready", None: "readiness unknown"}[_ready(new)]
        details.append(f"ready endpoints {old.ready_endpoints} -> {new.ready_endpoints} ({state})")
    added = [e for e in new.endpoints if e not in old.endpoints]
    removed = [e for e in old.endpoints if e not in new.endpoints]
    if added:
        details.append("new endpoints " + ", ".join(added))
    if removed:
        details.append("endpoints gone " + ", ".join(removed))
    if not added and not removed and old.endpoints != new.endpoints:
        details.append("endpoint order changed, now first " + new.endpoints[0])
    if old.connection_string != new.connection_string:
        details.append(f"connection string {old.connection_string} -> {new.connection_string}")
    if old.extra.get("pending") != new.extra.get("pending"):
        details.append(
            "load balancer pending" if new.extra.get("pending") else "load balancer got an address"
        )
    if not details:
        return None
    return Change("changed", *_key(new), details=tuple(details), readiness_changed=readiness)


def diff_scans(previous: ScanResult | None, current: ScanResult) -> ScanDiff:
    """What changed from ``previous`` (None: the first scan) to ``current``."""
    if previous is None:
        return ScanDiff(previous_scan_id=None)
    old = {_key(m): m for m in previous.matches}
    new = {_key(m): m for m in current.matches}
    changes: list[Change] = []
    for key, m in new.items():
        if key not in old:
            changes.append(Change("added", *key, details=tuple(m.endpoints[:1])))
        else:
            change = _compare(old[key], m)
            if change is not None:
                changes.append(change)
    changes += [Change("removed", *key) for key in old if key not in new]
    order = {t: i for i, t in enumerate(current.catalog)}
    changes.sort(key=lambda c: (order.get(c.infra_type, len(order)), c.namespace, c.service, c.kind))
    was, now = set(previous.found_types()), set(current.found_types())
    old_errors = {e.namespace for e in previous.errors}
    new_errors = {e.namespace for e in current.errors}
    return ScanDiff(
        previous_scan_id=previous.scan_id,
        previous_scanned_at=previous.scanned_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        changes=tuple(changes),
        types_found=tuple(t for t in current.catalog if t in now - was),
        types_lost=tuple(t for t in previous.catalog if t in was - now),
        errors_added=tuple(sorted(new_errors - old_errors)),
        errors_cleared=tuple(sorted(old_errors - new_errors)),
    )
