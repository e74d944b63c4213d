"""The lists the command line prints most (``clusters list``, ``scans list``), read straight from a
SQLite store with the standard library's ``sqlite3``: one narrow query each, no SQLAlchemy, no
cipher, no pydantic. Calls out (reads the database file); never writes.

A ``clusters list`` in a shell loop would otherwise pay about half a second of imports to print a
few hundred rows. This is the store's read side for that one case: :func:`open_lists` gives a
:class:`Lists` only for a SQLite file whose schema has what they read already (migration
:data:`NEEDED_REVISION` or a later one); for anything else (a server database, a new file, an
older schema) it gives None and the caller opens :class:`core.store.store.Store`, which migrates.
(A later migration that leaves these columns alone needs nothing here.) The records are the Store's
own (:class:`~core.store.records.Cluster`, :class:`~core.store.summaries.ScanSummary`), the same
values as its ``list_clusters`` and ``list_scan_summaries`` (a test compares them).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from core.errors import Conflict, NotFound
from core.store.records import Cluster
from core.store.summaries import ScanSummary

# the newest migration whose columns these lists read: 0004 gave scans their summary columns, 0005
# ``same_as``, 0006 Docker hosts (scans belong to a cluster or a host). Revisions are four digits, in order.
NEEDED_REVISION = "0006"

CLUSTER_COLUMNS = (
    "id, name, context, server, namespace, labels, status, version, node_count, error, last_checked, "
    "created_at, created_by"
)
SUMMARY_COLUMNS = (
    "id, cluster_id, namespaces, all_namespaces, scanned_at, found_types, match_count, error_count, "
    "duration_ms, created_by, same_as"
)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (None for any other database or form)."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or "?" in database_url:
        return None
    path = unquote(database_url[len(prefix) :])
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser()


def _when(value: str | None) -> datetime | None:
    """A stored UTC time (SQLite keeps it naive, as ``YYYY-MM-DD HH:MM:SS.ffffff``), made aware."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


class Lists:
    """Read-only lists over one SQLite connection (see the module's docstring)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def close(self) -> None:
        self._db.close()

    def clusters(self) -> list[Cluster]:
        rows = self._db.execute(f"SELECT {CLUSTER_COLUMNS} FROM clusters ORDER BY name").fetchall()
        return [
            Cluster(
                cluster_id=r[0],
                name=r[1],
                context=r[2],
                server=r[3],
                namespace=r[4],
                labels=dict(_json(r[5]) or {}),
                status=r[6],
                version=r[7],
                node_count=r[8],
                error=r[9],
                last_checked=_when(r[10]),
                created_at=_when(r[11]) or datetime.min.replace(tzinfo=UTC),
                created_by=r[12],
            )
            for r in rows
        ]

    def target_names(self) -> dict[str, str]:
        """Every target's name by id: clusters and Docker hosts (as ``Store.target_names``)."""
        rows = self._db.execute("SELECT id, name FROM clusters UNION ALL SELECT id, name FROM docker_hosts")
        return {str(i): str(n) for i, n in rows.fetchall()}

    def target_id(self, ref: str) -> str:
        """The id of the Docker host or, failing that, the cluster ``ref`` names (as the Store does)."""
        host = self._db.execute(
            "SELECT id FROM docker_hosts WHERE id = ? UNION ALL SELECT id FROM docker_hosts WHERE name = ?",
            (ref, ref),
        ).fetchone()
        return str(host[0]) if host is not None else self.cluster_id(ref)

    def cluster_id(self, ref: str) -> str:
        """The id of the cluster ``ref`` names (its id or its name), as the Store resolves it."""
        by_id = self._db.execute("SELECT id, name FROM clusters WHERE id = ?", (ref,)).fetchone()
        named = self._db.execute("SELECT id, name FROM clusters WHERE name = ?", (ref,)).fetchone()
        if by_id is not None and named is not None and named[0] != by_id[0]:
            raise Conflict(
                f"{ref!r} is both the id of cluster {by_id[1]!r} and the name of another cluster",
                hint=f"name it by its id instead: {by_id[0]} ({by_id[1]}) or {named[0]} ({named[1]})",
            )
        found = by_id or named
        if found is None:
            raise NotFound(
                f"no cluster with id or name {ref!r}", hint="`ushadow-ops clusters list` shows them"
            )
        return str(found[0])

    def scan_summaries(self, cluster_ref: str | None = None, *, limit: int = 100) -> list[ScanSummary]:
        """The newest scans (of one cluster or Docker host, or all), newest first, as summaries."""
        where, params = "", [int(limit)]
        if cluster_ref is not None:
            where = "WHERE cluster_id = ? "
            params = [self.target_id(cluster_ref), int(limit)]  # type: ignore[list-item]
        rows = self._db.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM scans {where}ORDER BY scanned_at DESC LIMIT ?", params
        ).fetchall()
        return [
            ScanSummary(
                scan_id=r[0],
                cluster_id=r[1],
                namespaces=list(_json(r[2]) or []),
                all_namespaces=bool(r[3]),
                scanned_at=_when(r[4]) or datetime.min.replace(tzinfo=UTC),
                found=list(_json(r[5]) or []),
                match_count=r[6],
                error_count=r[7],
                duration_ms=r[8],
                created_by=r[9],
                same_as=r[10],
            )
            for r in rows
        ]


def open_lists(database_url: str) -> Lists | None:
    """:class:`Lists` over the SQLite file of ``database_url`` when its schema is at head, else None."""
    path = sqlite_file(database_url)
    if path is None or not path.is_file():
        return None
    try:
        # mode=rw: never creates the file (a read-only WAL connection would need the -shm file to exist)
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA busy_timeout=10000")
        found = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # no schema yet, or not a database the Store made: let the Store say what is wrong
        connection.close()
        return None
    revisions = [str(r[0]) for r in found]
    if len(revisions) != 1 or not (revisions[0].isdigit() and revisions[0] >= NEEDED_REVISION):
        connection.close()
        return None
    return Lists(connection)
