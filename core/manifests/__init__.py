"""The compiler: compose services to Kubernetes manifests, pure functions returning plain dicts
(``compiler`` is the entry point; ``compilations``, ``containers``, ``environments``, ``podspecs``,
``serviceports``, ``volumes``, ``workloads`` its parts), YAML output (``yamldocs``), kustomize bundles
(``bundles``, ``tweaks``) and guarded file writes (``filewriting``).

May import: ``core.compose``, ``core.secrets`` and the base modules. Never a cluster, the store or the scan.
"""
