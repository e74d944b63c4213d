"""What a scan found: the data shared by the scanner, the store, the CLI and the Scan page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Match(BaseModel):
    """One Kubernetes Service recognised as an infrastructure type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    infra_type: str
    service: str
    namespace: str
    service_type: str
    reason: str = ""
    ready_endpoints: int = 0
    endpoints: list[str] = Field(default_factory=list)
    connection_string: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "service": self.service,
            "namespace": self.namespace,
            "service_type": self.service_type,
            "reason": self.reason,
            "ready_endpoints": self.ready_endpoints,
            "endpoints": list(self.endpoints),
            "connection_string": self.connection_string,
        }
        data.update(self.extra)
        return data


class NamespaceError(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str
    reason: str


class ScanResult(BaseModel):
    """A whole scan: every catalog type (``catalog``: type -> default port) and what matched it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scan_id: str
    cluster_id: str
    namespaces: list[str]
    all_namespaces: bool = False
    scanned_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    catalog: dict[str, int]
    matches: list[Match] = Field(default_factory=list)
    errors: list[NamespaceError] = Field(default_factory=list)
    duration_ms: int | None = None
    created_by: str | None = None

    def matches_of(self, infra_type: str) -> list[Match]:
        return [m for m in self.matches if m.infra_type == infra_type]

    def found_types(self) -> list[str]:
        return [t for t in self.catalog if self.matches_of(t)]

    def to_json(self, link: str) -> dict[str, Any]:
        """The CLI contract's JSON shape (a superset of the original API's response)."""
        infra: dict[str, Any] = {}
        for infra_type, port in self.catalog.items():
            matches = self.matches_of(infra_type)
            endpoints: list[str] = []
            for m in matches:
                endpoints.extend(e for e in m.endpoints if e not in endpoints)
            infra[infra_type] = {
                "found": bool(matches),
                "type": infra_type,
                "default_port": port,
                "endpoints": endpoints,
                "matches": [m.to_json() for m in matches],
            }
        scanned = self.scanned_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "scan_id": self.scan_id,
            "cluster_id": self.cluster_id,
            "namespace": self.namespaces[0] if len(self.namespaces) == 1 else None,
            "namespaces": list(self.namespaces),
            "all_namespaces": self.all_namespaces,
            "scanned_at": scanned,
            "link": link,
            "infra_services": infra,
            "errors": [e.model_dump() for e in self.errors],
            "duration_ms": self.duration_ms,
        }
