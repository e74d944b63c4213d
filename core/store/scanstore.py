"""The store's scans: saving a scan with its summary, reading one whole, and lists that read only
the summary columns (never the match rows), plus the diff kept with each scan.

A scan that found exactly what the previous scan of its target (cluster + namespaces) found is
stored as a reference: its own row (when it ran, who ran it, its summary and diff) without match
rows, ``same_as`` naming the scan that holds them. Reading it gives the whole result all the same.
Pruning by retention is :class:`core.store.scanpruning.ScanPruning`.

:class:`ScanStore` is a part of :class:`core.store.store.Store` (its base class); it uses the
store's sessions and cluster look-up. Import the store from ``core.store.store``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, load_only

from core.errors import NotFound, Pruned
from core.store.models import ClusterRow, PrunedScanRow, ScanMatchRow, ScanRow
from core.store.records import scan_from_row, summary_from_row
from core.store.scanpruning import ScanPruning, content_hash

if TYPE_CHECKING:
    from core.store.scans import ScanResult
    from core.store.summaries import ScanSummary

# what a summary reads of a scan row (not its catalog, errors, diff or matches)
SUMMARY_FIELDS = (
    ScanRow.id,
    ScanRow.cluster_id,
    ScanRow.namespaces,
    ScanRow.all_namespaces,
    ScanRow.scanned_at,
    ScanRow.found_types,
    ScanRow.match_count,
    ScanRow.error_count,
    ScanRow.duration_ms,
    ScanRow.created_by,
    ScanRow.same_as,
)


class ScanStore(ScanPruning):
    """Scans in the database (the scan half of :class:`core.store.store.Store`)."""

    if TYPE_CHECKING:

        def _session(self) -> AbstractContextManager[Session]: ...

        def _cluster_row(self, session: Session, ref: str) -> ClusterRow: ...

        def _target_id(self, session: Session, ref: str) -> str: ...

        @staticmethod
        def _audit(
            session: Session, actor: str | None, action: str, target: str, detail: dict[str, Any]
        ) -> None: ...

    def save_scan(
        self, result: ScanResult, *, changes: dict[str, Any] | None = None, references: bool = True
    ) -> ScanResult:
        """Store ``result`` with its summary (and ``changes``, its diff, when known already); as a
        reference to the previous scan of its target when that one found exactly the same
        (``references=False``: always whole, as before migration 0005; the retention benchmark's
        baseline)."""
        fingerprint = content_hash(result)
        with self._session() as session:
            self._target_id(session, result.cluster_id)
            same_as = self._same_as(session, result, fingerprint) if references else None
            row = ScanRow(
                id=result.scan_id,
                cluster_id=result.cluster_id,
                namespaces=list(result.namespaces),
                all_namespaces=result.all_namespaces,
                scanned_at=result.scanned_at,
                catalog=dict(result.catalog),
                errors=[e.model_dump() for e in result.errors],
                duration_ms=result.duration_ms,
                created_by=result.created_by,
                match_count=len(result.matches),
                error_count=len(result.errors),
                found_types=result.found_types(),
                changes=changes,
                same_as=same_as,
                content_hash=fingerprint,
            )
            if same_as is None:
                row.matches = [
                    ScanMatchRow(position=i, **m.model_dump()) for i, m in enumerate(result.matches)
                ]
            session.add(row)
            self._audit(
                session,
                result.created_by,
                "scan",
                result.cluster_id,
                {"scan_id": result.scan_id, "namespaces": list(result.namespaces)},
            )
        return result

    @staticmethod
    def _same_as(session: Session, result: ScanResult, fingerprint: str) -> str | None:
        """The scan holding the match rows of the previous scan of ``result``'s target, when that
        scan found exactly what ``result`` found; else None (``result`` is stored whole)."""
        earlier = session.execute(
            select(
                ScanRow.id, ScanRow.same_as, ScanRow.content_hash, ScanRow.namespaces, ScanRow.all_namespaces
            )
            .where(ScanRow.cluster_id == result.cluster_id, ScanRow.scanned_at < result.scanned_at)
            .order_by(ScanRow.scanned_at.desc())
            .limit(50)
        )
        target = (sorted(result.namespaces), result.all_namespaces)
        for scan_id, same_as, previous_hash, namespaces, all_namespaces in earlier:
            if (sorted(namespaces), all_namespaces) == target:
                return (same_as or scan_id) if previous_hash == fingerprint else None
        return None

    def get_scan(self, scan_id: str) -> ScanResult:
        with self._session() as session:
            row = session.get(ScanRow, scan_id)
            if row is None:
                pruned = session.get(PrunedScanRow, scan_id)
                if pruned is not None:
                    kept = f"; the scan kept in its place is {pruned.kept_id}" if pruned.kept_id else ""
                    raise Pruned(
                        f"scan {scan_id} (of {pruned.scanned_at:%Y-%m-%d %H:%M} UTC) was pruned by retention "
                        f"on {pruned.pruned_at:%Y-%m-%d}{kept}",
                        hint="USHADOW_SCAN_RETENTION decides which scans are kept; `ushadow-ops scans list` "
                        "shows the stored ones",
                    )
                raise NotFound(
                    f"no stored scan with id {scan_id!r}",
                    hint="the link may be mistyped, or its cluster was removed; `ushadow-ops scans list` "
                    "shows the stored scans",
                )
            from core.store.scans import Match

            columns = [getattr(ScanMatchRow, f) for f in Match.model_fields]
            matches = session.execute(
                select(*columns)
                .where(ScanMatchRow.scan_id == (row.same_as or scan_id))
                .order_by(ScanMatchRow.position)
            )
            return scan_from_row(row, matches=matches.mappings().all())

    def has_scan(self, scan_id: str) -> bool:
        """Whether a scan is stored (one index look-up: a cached copy may outlive a removed scan)."""
        with self._session() as session:
            return session.scalar(select(ScanRow.id).where(ScanRow.id == scan_id)) is not None

    def scan_changes(self, scan_id: str) -> dict[str, Any] | None:
        """The diff kept with a scan (``ScanDiff.to_json``), None when none was kept yet."""
        with self._session() as session:
            changes = session.scalar(select(ScanRow.changes).where(ScanRow.id == scan_id))
            return dict(changes) if changes else None

    def keep_scan_changes(self, scan_id: str, changes: dict[str, Any]) -> None:
        with self._session() as session:
            session.execute(update(ScanRow).where(ScanRow.id == scan_id).values(changes=changes))

    def _summaries(self, session: Session, query: Any) -> list[ScanSummary]:
        rows = session.scalars(query.options(load_only(*SUMMARY_FIELDS))).all()
        return [summary_from_row(r) for r in rows]

    def list_scan_summaries(self, cluster_ref: str | None = None, *, limit: int = 100) -> list[ScanSummary]:
        """The newest scans (of one cluster, or all), newest first, as summaries."""
        with self._session() as session:
            query = select(ScanRow).order_by(ScanRow.scanned_at.desc()).limit(limit)
            if cluster_ref is not None:
                query = query.where(ScanRow.cluster_id == self._target_id(session, cluster_ref))
            return self._summaries(session, query)

    def list_scans(self, cluster_ref: str | None = None, *, limit: int = 100) -> list[ScanResult]:
        """The newest scans, whole (with every match): for lists, use :meth:`list_scan_summaries`."""
        return [self.get_scan(s.scan_id) for s in self.list_scan_summaries(cluster_ref, limit=limit)]

    def summaries_before(self, scan: ScanResult | ScanSummary, *, limit: int = 50) -> list[ScanSummary]:
        """The scans of the same cluster before ``scan``, newest first, as summaries."""
        with self._session() as session:
            query = (
                select(ScanRow)
                .where(ScanRow.cluster_id == scan.cluster_id, ScanRow.scanned_at < scan.scanned_at)
                .order_by(ScanRow.scanned_at.desc())
                .limit(limit)
            )
            return self._summaries(session, query)

    def previous_scan(self, scan: ScanResult) -> ScanResult | None:
        """The scan of the same cluster and namespaces just before ``scan``."""
        for earlier in self.summaries_before(scan):
            if (
                sorted(earlier.namespaces) == sorted(scan.namespaces)
                and earlier.all_namespaces == scan.all_namespaces
            ):
                return self.get_scan(earlier.scan_id)
        return None

    def scans_before(self, scan: ScanResult, *, limit: int = 50) -> list[ScanResult]:
        """The scans of the same cluster before ``scan``, newest first, whole."""
        return [self.get_scan(s.scan_id) for s in self.summaries_before(scan, limit=limit)]

    def latest_scan_summaries(self) -> dict[str, ScanSummary]:
        """The newest scan of each cluster, by cluster id, as summaries."""
        with self._session() as session:
            return {s.cluster_id: s for s in self._summaries(session, self._newest_per_cluster())}

    def latest_scans(self) -> dict[str, ScanResult]:
        """The newest scan of each cluster, by cluster id, whole."""
        return {cid: self.get_scan(s.scan_id) for cid, s in self.latest_scan_summaries().items()}

    @staticmethod
    def _newest_per_cluster() -> Any:
        newest = (
            select(ScanRow.cluster_id, func.max(ScanRow.scanned_at).label("at"))
            .group_by(ScanRow.cluster_id)
            .subquery()
        )
        return select(ScanRow).join(
            newest, (ScanRow.cluster_id == newest.c.cluster_id) & (ScanRow.scanned_at == newest.c.at)
        )

    def latest_scan_for(self, cluster_ref: str, namespace: str) -> ScanResult | None:
        """The newest scan of ``cluster_ref`` that covered ``namespace``."""
        with self._session() as session:
            cluster_id = self._target_id(session, cluster_ref)
            query = (
                select(ScanRow)
                .where(ScanRow.cluster_id == cluster_id)
                .order_by(ScanRow.scanned_at.desc())
                .limit(50)
            )
            candidates = self._summaries(session, query)
        for summary in candidates:
            if summary.all_namespaces or namespace in summary.namespaces:
                return self.get_scan(summary.scan_id)
        return None

    def wiring_scan(self, cluster_ref: str, namespace: str) -> ScanResult | None:
        """The scan a deploy into ``namespace`` is wired to: the newest one of that namespace when it
        found something, else the newest scan of the cluster that found anything (any namespace:
        the wiring then uses full DNS names), else the namespace's empty one, or None."""
        own = self.latest_scan_for(cluster_ref, namespace)
        if own is not None and own.matches:
            return own
        with self._session() as session:
            cluster_id = self._target_id(session, cluster_ref)
            query = (
                select(ScanRow)
                .where(ScanRow.cluster_id == cluster_id)
                .order_by(ScanRow.scanned_at.desc())
                .limit(50)
            )
            candidates = self._summaries(session, query)
        for summary in candidates:
            if summary.match_count:
                return self.get_scan(summary.scan_id)
        return own

    def count_scans(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count()).select_from(ScanRow)) or 0)
