"""The conformance suite: the compose loader, registry, catalog and compiler against an external corpus.

Not part of ``make test`` (whose ``pytest`` collects ``tests/`` only): run it with
``make conformance CORPUS=../shared/corpus``. See ``conformance/corpus.py`` for the setting.
"""
