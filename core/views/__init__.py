"""What the pages and the CLI show: tables, filters and links built from core's data (pure, no I/O):
scan tables (``scans``), registry tables (``services``), every page's URL state and shareable
links (``urlstate``).

May import: ``core.compose``, ``core.store`` records and shapes, ``core.secrets`` and the base modules.
"""
