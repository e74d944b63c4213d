"""Compose files: loading per the compose specification (interpolation, merging, include, profiles),
the registry of compose files, the normalised model the compiler reads, and ``KEY=VALUE`` as a
person gives it (``keyvalues``: the CLI's ``--env`` and the dashboard's boxes, one rule).

May import: ``core.secrets`` and the base modules (``core.catalog`` to recognise infrastructure
services). Never a cluster, the store, the compiler or the UI.
"""
