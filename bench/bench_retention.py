"""The database after a simulated month of 15-minute scans of a 2,000-Service namespace, with and
without reference storage and retention.

Synthetic scans are written through the real store (SQLite, at head) the way ``run_scan`` writes
them: the diff against the previous scan computed, then the scan saved. The namespace's 2,000
Services hold 80 that the scan recognises (one in 25, as in bench_scan), each with two endpoints;
now and then (about one scan in 20) something small changes: a replica becomes ready or not, a
cache is added, one goes away. Three stores are filled from the same sequence of scans:

- every scan stored whole, nothing pruned (as before migration 0005);
- unchanged scans stored as references, ``scans prune`` with the default ``all:30d,daily`` once a
  simulated day;
- the same with ``all:7d,daily``.

The size is the SQLite file after ``VACUUM`` (the data, without free pages). ``BENCH_RETENTION_DAYS``
(default 30) and ``BENCH_RETENTION_EVERY`` (minutes, default 15) scale the run.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import row
from core.catalog import load_catalog
from core.naming import new_id
from core.scan.reports import compute_changes
from core.settings import Settings
from core.store.retention import parse_retention
from core.store.scans import Match, ScanResult
from core.store.store import Store

DAYS = int(os.environ.get("BENCH_RETENTION_DAYS", "30"))
EVERY = int(os.environ.get("BENCH_RETENTION_EVERY", "15"))
SERVICES, INFRA_EVERY = 2000, 25
CHANGE_CHANCE = 0.05
START = datetime(2026, 11, 1, tzinfo=UTC)
TYPES = ("redis", "mongo", "postgres", "qdrant", "rabbitmq", "neo4j", "kafka", "minio")


def _match(index: int, ready: int) -> Match:
    kind = TYPES[index % len(TYPES)]
    name = f"{kind}-{index:04d}"
    endpoints = [
        f"{name}.shop.svc.cluster.local:{6379 + index % 7}",
        f"10.1.{index // 250}.{index % 250}:6379",
    ]
    return Match(
        infra_type=kind, service=name, namespace="shop", service_type="ClusterIP",
        reason=f"Service name {name!r} names {kind}; pod image {kind}:7", ready_endpoints=ready,
        endpoints=endpoints, connection_string=f"{kind}://{endpoints[0]}",
        extra={"ready": ready > 0, "pending": False},
    )  # fmt: skip


@dataclass
class Namespace:
    """What the 2,000-Service namespace holds: its recognised Services and their readiness."""

    ready: dict[int, int]
    next_index: int

    @classmethod
    def initial(cls) -> Namespace:
        infra = [i for i in range(SERVICES) if i % INFRA_EVERY == 0]
        return cls({i: 2 for i in infra}, SERVICES)

    def drift(self, rng: random.Random) -> None:
        """One small, realistic change."""
        roll = rng.random()
        if roll < 0.6:  # a replica goes unready, or comes back
            index = rng.choice(sorted(self.ready))
            self.ready[index] = 1 if self.ready[index] == 2 else 2
        elif roll < 0.8 or len(self.ready) < 40:
            self.ready[self.next_index] = 2
            self.next_index += 1
        else:
            del self.ready[rng.choice(sorted(self.ready))]

    def scan(self, cluster_id: str, at: datetime, catalog: dict[str, int]) -> ScanResult:
        return ScanResult(
            scan_id=new_id(), cluster_id=cluster_id, namespaces=["shop"], scanned_at=at, catalog=catalog,
            matches=[_match(i, r) for i, r in sorted(self.ready.items())], duration_ms=900,
            created_by="scanner",
        )  # fmt: skip


def _store(folder: Path) -> tuple[Store, str]:
    settings = Settings.load({"USHADOW_DATA_DIR": str(folder), "USHADOW_SECRET_KEY": "bench"})
    store = Store.open(settings)
    cluster = store.add_cluster(
        name="prod", context="c", server="https://k:6443", namespace="shop", labels={}, credential=b"x",
        status="connected", version=None, node_count=None, error=None,
    )  # fmt: skip
    return store, cluster.cluster_id


def _size(folder: Path) -> int:
    db = folder / "ushadow.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def run(label: str, *, references: bool, retention: str | None) -> str:
    rng = random.Random(15)
    namespace = Namespace.initial()
    catalog = load_catalog().default_ports()
    scans = DAYS * 24 * 60 // EVERY
    with tempfile.TemporaryDirectory(prefix="ushadow-bench-retention-") as tmp:
        folder = Path(tmp)
        store, cluster_id = _store(folder)
        policy = parse_retention(retention) if retention else None
        changes, pruned, prune_s = 0, 0, 0.0
        started = time.perf_counter()
        try:
            for n in range(scans):
                at = START + timedelta(minutes=EVERY * n)
                if n and rng.random() < CHANGE_CHANCE:
                    namespace.drift(rng)
                    changes += 1
                result = namespace.scan(cluster_id, at, catalog)
                store.save_scan(
                    result, changes=compute_changes(store, result).to_json(), references=references
                )
                if policy is not None and at.hour == 0 and at.minute < EVERY:  # the nightly job
                    began = time.perf_counter()
                    pruned += len(store.prune_scans(policy, now=at).pruned)
                    prune_s += time.perf_counter() - began
            took = time.perf_counter() - started
            kept = store.count_scans()
            references_kept = sum(1 for s in store.list_scan_summaries(limit=scans) if s.same_as)
        finally:
            store.close()
        size = _size(folder)
    return row(
        label, f"{scans:,} ({changes} with a change)", f"{kept:,} ({references_kept:,} references)",
        f"{pruned:,}", f"{size / 1e6:.1f} MB", f"{took:.0f} s" + (f" (prune {prune_s:.1f} s)" if policy else ""),
    )  # fmt: skip


def main() -> None:
    print(
        f"{DAYS} simulated days of scans every {EVERY} min of one 2,000-Service namespace "
        f"({SERVICES // INFRA_EVERY} recognised Services, 2 endpoints each), written through the real "
        "SQLite store; size after VACUUM.\n"
    )
    print(row("storage", "scans written", "scans stored", "pruned", "database", "write time"))
    print(row("---", "---", "---", "---", "---", "---"))
    print(run("every scan whole, no retention (before)", references=False, retention=None))
    print(run("references + `all:30d,daily` (default)", references=True, retention="all:30d,daily"))
    print(run("references + `all:7d,daily`", references=True, retention="all:7d,daily"))


if __name__ == "__main__":
    main()
