"""The infrastructure scan: recognising one Service (``recognition``), connection endpoints for every
Service type (``endpoints``), one match per release (``matching``), reading a namespace or many
(``scanning``), scan jobs over stored clusters (``jobs``), diffs against the previous scan (``diffs``)
and stored reports (``reports``). The catalog of types is base data (``core.catalog``).

May import: ``core.clusters``, ``core.views``, ``core.store``, ``core.secrets`` and the base modules.
Never the compiler, deploy or operate.
"""
