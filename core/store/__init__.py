"""The database: the one ``Store`` object that owns it (``store``, with its scan half in
``scanstore``), its records (``records``), tables (``models``), engines and migrations
(``databases``, ``migrations/``), credential encryption (``crypto``), the health probe
(``health``), the stored shape of a scan (``scans``), the line a list shows of one
(``summaries``), and the command line's two lists read from a SQLite file with ``sqlite3`` alone
(``listing``, read-only).

May import: the base modules only. Everything that persists goes through ``core.store.store.Store``.
Lists read summaries, never match rows; the command line's ``clusters list`` and ``scans list``
import nothing heavy at all on SQLite (``listing``), and SQLAlchemy alone on a server database.
"""
