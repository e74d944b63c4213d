"""The database: the one ``Store`` object that owns it (``store``, with its scan half in
``scanstore``), its records (``records``), tables (``models``), engines and migrations
(``databases``, ``migrations/``), credential encryption (``crypto``), the health probe
(``health``), the stored shape of a scan (``scans``) and the line a list shows of one
(``summaries``).

May import: the base modules only. Everything that persists goes through ``core.store.store.Store``.
Lists read summaries, never match rows; SQLAlchemy is the only heavy import a list pays for.
"""
