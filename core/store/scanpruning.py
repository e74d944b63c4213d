"""Pruning stored scans by retention (``USHADOW_SCAN_RETENTION``, see ``core.store.retention``),
and the fingerprint that lets an unchanged scan be stored as a reference to the previous one.

:class:`ScanPruning` is a part of :class:`core.store.scanstore.ScanStore` (and so of the store).
A pruned scan leaves a row in ``pruned_scans`` (its id, cluster, time, the scan kept in its place)
for :data:`core.store.retention.TOMBSTONE_DAYS`, so that its link says it was pruned. When a pruned
scan holds the match rows that kept reference scans point to, they move to the oldest kept one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.store.models import PrunedScanRow, ScanMatchRow, ScanRow
from core.store.retention import TOMBSTONE_DAYS, Retention, StoredScan, Verdict, plan_prune

if TYPE_CHECKING:
    from core.store.scans import ScanResult

CHUNK = 500  # ids per IN (...) list


def content_hash(result: ScanResult) -> str:
    """What a scan found (catalog, matches, errors), as a SHA-256: equal for equal findings."""
    document = {
        "catalog": result.catalog,
        "matches": [m.model_dump() for m in result.matches],
        "errors": [e.model_dump() for e in result.errors],
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class PruneReport:
    retention: str
    scans_before: int
    pruned: list[Verdict] = field(default_factory=list)
    promoted: int = 0  # pruned scans whose match rows moved to a kept reference scan
    tombstones_dropped: int = 0
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "retention": self.retention,
            "dry_run": self.dry_run,
            "scans_before": self.scans_before,
            "pruned": len(self.pruned),
            "kept": self.scans_before - len(self.pruned),
            "promoted": self.promoted,
            "tombstones_dropped": self.tombstones_dropped,
            "pruned_scans": [{"scan_id": v.scan_id, "kept_id": v.kept_id} for v in self.pruned],
        }


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


class ScanPruning:
    """Retention over the stored scans (a part of :class:`core.store.scanstore.ScanStore`)."""

    if TYPE_CHECKING:

        def _session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _audit(
            session: Session, actor: str | None, action: str, target: str, detail: dict[str, Any]
        ) -> None: ...

    def prune_scans(
        self, retention: Retention, *, now: datetime, dry_run: bool = False, actor: str | None = None
    ) -> PruneReport:
        """Prune what ``retention`` does not keep (``dry_run``: only say what that would be)."""
        with self._session() as session:
            rows = session.execute(
                select(
                    ScanRow.id,
                    ScanRow.cluster_id,
                    ScanRow.namespaces,
                    ScanRow.all_namespaces,
                    ScanRow.scanned_at,
                    ScanRow.same_as,
                )
            ).all()
            scans = [
                StoredScan(r.id, (r.cluster_id, tuple(sorted(r.namespaces)), r.all_namespaces), r.scanned_at)
                for r in rows
            ]
            verdicts = plan_prune(scans, retention, now)
            horizon = now - timedelta(days=TOMBSTONE_DAYS)
            if dry_run:
                old = session.scalars(select(PrunedScanRow.id).where(PrunedScanRow.pruned_at < horizon)).all()
                return PruneReport(retention.text, len(rows), verdicts, 0, len(old), dry_run=True)
            doomed = {v.scan_id for v in verdicts}
            promoted = self._promote(session, rows, doomed)
            at = {r.id: r for r in rows}
            session.add_all(
                PrunedScanRow(id=v.scan_id, cluster_id=at[v.scan_id].cluster_id,
                              scanned_at=at[v.scan_id].scanned_at, pruned_at=now, kept_id=v.kept_id)
                for v in verdicts
            )  # fmt: skip
            for chunk in _chunks(sorted(doomed)):
                session.execute(delete(ScanMatchRow).where(ScanMatchRow.scan_id.in_(chunk)))
                session.execute(delete(ScanRow).where(ScanRow.id.in_(chunk)))
            dropped = session.execute(delete(PrunedScanRow).where(PrunedScanRow.pruned_at < horizon))
            report = PruneReport(
                retention.text, len(rows), verdicts, promoted, int(getattr(dropped, "rowcount", 0) or 0)
            )
            self._audit(session, actor, "scans-prune", "scans", {
                k: v for k, v in report.to_json().items() if k != "pruned_scans"
            })  # fmt: skip
            return report

    @staticmethod
    def _promote(session: Session, rows: Sequence[Any], doomed: set[str]) -> int:
        """Move the match rows of each doomed scan that kept references point to onto the oldest
        of those references, and point the others at it."""
        referrers: dict[str, list[Any]] = {}
        for r in rows:
            if r.same_as is not None and r.same_as in doomed and r.id not in doomed:
                referrers.setdefault(r.same_as, []).append(r)
        for base, kept in referrers.items():
            heir = min(kept, key=lambda r: r.scanned_at).id
            session.execute(update(ScanMatchRow).where(ScanMatchRow.scan_id == base).values(scan_id=heir))
            session.execute(update(ScanRow).where(ScanRow.id == heir).values(same_as=None))
            session.execute(
                update(ScanRow).where(ScanRow.same_as == base, ScanRow.id != heir).values(same_as=heir)
            )
        return len(referrers)
