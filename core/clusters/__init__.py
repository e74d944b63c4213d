"""Clusters: reading kubeconfigs (pydantic, hostile input refused), exec credential plugins (allowlisted,
their output cached per process: ``execcache``), the one API client per credential with its request
helpers and deadlines (``kube``: raw JSON on a urllib3 pool that ``transport`` builds; answers
checked by ``apishapes``, failures named by ``apierrors``; the official typed client only through
``typedclient``, loaded on first use), checking that a
cluster connects (``connecting``), registering and removing clusters (``registering``), and opening a
stored cluster's client with errors that name it (``sessions``).

May import: ``core.store``, ``core.secrets`` and the base modules. Never the compiler, the scan, deploy or
the UI.
"""
