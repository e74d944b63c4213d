"""Clusters: reading kubeconfigs (pydantic, hostile input refused), exec credential plugins (allowlisted),
the one API client per credential with its request helpers and timeouts (``kube``), checking that a
cluster connects (``connecting``), registering and removing clusters (``registering``), and opening a
stored cluster's client with errors that name it (``sessions``).

May import: ``core.store``, ``core.secrets`` and the base modules. Never the compiler, the scan, deploy or
the UI.
"""
