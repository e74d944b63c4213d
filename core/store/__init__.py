"""The database: the one ``Store`` object that owns it (``store``), its records (``records``), tables
(``models``), engines and migrations (``databases``, ``migrations/``), credential encryption
(``crypto``), the health probe (``health``) and the stored shape of a scan (``scans``).

May import: the base modules only. Everything that persists goes through ``core.store.store.Store``.
"""
