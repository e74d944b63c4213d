"""Opening a database and bringing its schema to head: the engine for ``USHADOW_DATABASE_URL``
(SQLite with its pragmas, or a pooled server database) and the Alembic migrations. Calls out.

Only :class:`core.store.store.Store` opens databases; it runs :func:`migrate` when it is opened.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from core.errors import InvalidInput, UshadowError

if TYPE_CHECKING:
    from alembic.config import Config

    from core.store.crypto import Cipher

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA secure_delete=ON")  # removed credentials do not linger in free pages
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(
            f"USHADOW_DATABASE_URL is not a database URL: {exc}",
            hint="e.g. sqlite:///path/ushadow.db or postgresql+psycopg://user@host/db",
        ) from exc
    try:
        parsed.get_dialect()
    except Exception as exc:  # NoSuchModuleError, or a driver that is not installed
        raise InvalidInput(
            f"USHADOW_DATABASE_URL names a database driver that is not available: {parsed.drivername}",
            hint="use sqlite:///path/ushadow.db, or postgresql+psycopg://user@host/db (pip install '.[postgres]')",
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            db_file = Path(parsed.database).expanduser()
            db_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not db_file.exists():
                db_file.touch(mode=0o600)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


# The newest migration's revision (a test keeps it equal to Alembic's head): a database already
# there is opened without loading Alembic at all, which every CLI command would pay for.
HEAD_REVISION = "0007"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def at_head(engine: Engine) -> bool:
    """Whether the schema is at :data:`HEAD_REVISION` already (False when it has none yet)."""
    with engine.connect() as connection:
        if "alembic_version" not in connection.dialect.get_table_names(connection):
            return False
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return found == [HEAD_REVISION]


MIGRATION_LOCK_WAIT = 120.0
"""Seconds a process waits for another one's migration of the same SQLite file."""


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock on ``<database>.migrate-lock`` beside a SQLite file while it is migrated.

    SQLite has no advisory lock, and Alembic's DDL is not serialised by its file locking (two
    processes both see no tables, then both create them): processes starting together on a new
    file take turns instead, and each finds the schema at head once it has the lock.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + MIGRATION_LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UshadowError(
                        f"another process has been migrating {database} for {MIGRATION_LOCK_WAIT:.0f} s",
                        hint=f"stop the other ushadow-ops processes, or remove {lock} if none is running",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def migrate(engine: Engine, revision: str = "head", *, cipher: Cipher | None = None) -> None:
    """Bring the schema to ``revision`` (head by default), in one transaction where possible.
    ``cipher`` lets data migrations rewrite encrypted credentials (0007 does)."""
    if revision == "head" and at_head(engine):
        return
    with _sqlite_migration_lock(engine):
        if revision == "head" and at_head(engine):  # another process did it while we waited
            return
        _upgrade(engine, revision, cipher)


def _upgrade(engine: Engine, revision: str, cipher: Cipher | None) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting at once must not race to create the same tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(74831)")
        cfg.attributes["connection"] = connection
        cfg.attributes["cipher"] = cipher
        command.upgrade(cfg, revision)
