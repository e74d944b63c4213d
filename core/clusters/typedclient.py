"""The official client's typed API (``kubernetes.client``) on a :class:`~core.clusters.kube.Kube`'s
own connection pool: loaded only when a caller asks for ``Kube.api`` (the raw-JSON paths, scans and
checks among them, never import ``kubernetes``).

The typed client gets the same pool (TLS options, proxy, per-request deadlines), the same
authorization and impersonation headers, and a timeout on every request; its ``ApiException`` is
turned into ``core.errors`` by :func:`api_error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import urllib3

from core.clusters.apierrors import http_error, transport_error
from core.clusters.transport import Deadlines
from core.errors import ClusterError
from core.untrusted import cut

if TYPE_CHECKING:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException


def typed_client(
    server: str, pool: urllib3.PoolManager, headers: dict[str, str], deadlines: Deadlines, timeout: float
) -> client.ApiClient:
    """An ``ApiClient`` whose every request goes through ``pool`` within ``timeout`` (one deadline)."""
    from kubernetes import client

    cfg = client.Configuration()
    cfg.host = server
    cfg.retries = False
    cfg.proxy = None  # the pool has the proxy already (set after host: no environment lookup)
    api = client.ApiClient(configuration=cfg)
    api.rest_client.pool_manager = pool
    for name, value in headers.items():
        api.set_default_header(name, value)
    rest = api.rest_client
    original = rest.request

    def request(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("_request_timeout") is None:
            kwargs["_request_timeout"] = timeout
        if deadlines.active():
            return original(*args, **kwargs)
        with deadlines.within(timeout):
            return original(*args, **kwargs)

    rest.request = request  # type: ignore[method-assign]
    return api


def is_api_exception(exc: BaseException) -> bool:
    from kubernetes.client.exceptions import ApiException

    return isinstance(exc, ApiException)


def api_error(exc: ApiException, *, server: str, what: str, timeout: float) -> Exception:
    """The ``core`` error for the client library's ApiException (status 0 wraps TLS failures)."""
    if not exc.status:
        reason = str(exc.reason or "")
        if "SSL" in reason or "CERTIFICATE" in reason:
            return transport_error(urllib3.exceptions.SSLError(reason), server=server, timeout=timeout)
        return ClusterError(f"request to {server} failed while {what}: {cut(reason, 200)}")
    return http_error(exc.status, exc.body, server=server, what=what)
