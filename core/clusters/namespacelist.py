"""The namespaces of a stored cluster, for a picker: one bounded request, names only."""

from __future__ import annotations

from core.clusters.sessions import connect
from core.settings import Settings
from core.store.store import Store

PICKER_TIMEOUT = 5.0  # seconds: a picker must not hold a page back for the full request timeout
PICKER_LIMIT = 500  # the first page of names is plenty for a list to choose from


def namespace_names(
    store: Store, settings: Settings, cluster_ref: str, *, timeout: float = PICKER_TIMEOUT
) -> list[str]:
    """The cluster's namespace names, sorted (at most :data:`PICKER_LIMIT`). Raises ``core.errors``
    when the cluster cannot be read (the caller decides whether free text is enough then)."""
    with connect(store, settings, cluster_ref) as (_cluster, kube):
        data = kube.request_json(
            "GET",
            "/api/v1/namespaces",
            query={"limit": str(PICKER_LIMIT)},
            what="listing namespaces",
            timeout=min(timeout, settings.request_timeout),
        )
    items = (data or {}).get("items") or []
    names = {str((i.get("metadata") or {}).get("name") or "") for i in items if isinstance(i, dict)}
    return sorted(n for n in names if n)
