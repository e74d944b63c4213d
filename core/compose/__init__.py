"""Compose files: loading per the compose specification (interpolation, merging, include, profiles),
the registry of compose files, and the normalised model the compiler reads.

May import: ``core.secrets`` and the base modules (``core.catalog`` to recognise infrastructure
services). Never a cluster, the store, the compiler or the UI.
"""
