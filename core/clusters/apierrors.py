"""The API server's failures as ``core.errors``: HTTP error statuses and failures below HTTP (pure).

An error answer's body is never shown: only its status and, from a Kubernetes ``Status``, a clipped,
one-line message. Used by the raw-JSON client (``core.clusters.kube``), the typed one
(``core.clusters.typedclient``) and the websocket channels (``core.clusters.channels``).
"""

from __future__ import annotations

import re
import ssl
from typing import Any

import urllib3
from pydantic import ValidationError

from core.clusters.apishapes import Status
from core.errors import ClusterError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unreachable
from core.untrusted import cut

MAX_ERROR_BODY = 64 * 1024
TIMEOUT_HINT = (
    "check the address and your network path to the cluster; USHADOW_REQUEST_TIMEOUT sets the limit"
)


def _status_message(body: Any) -> str:
    """The message of a Kubernetes ``Status`` body, clipped to one line; nothing of any other body."""
    if isinstance(body, bytes):
        body = body[:MAX_ERROR_BODY].decode(errors="replace")
    if not isinstance(body, str):
        return ""
    try:
        status = Status.model_validate_json(body[:MAX_ERROR_BODY])
    except (ValidationError, ValueError):
        return ""
    if status.kind != "Status" or not status.message:
        return ""
    return cut(" ".join(status.message.split()), 200)


def http_error(status: int, body: Any, *, server: str, what: str) -> Exception:
    """The ``core`` error for an HTTP error status from the API server."""
    message = _status_message(body)
    if status == 401:
        return Unauthorized(
            f"{server} rejected the credential (401 Unauthorized) while {what}",
            hint="the token or certificate is wrong or expired; get a fresh kubeconfig",
        )
    if status == 403:
        return Forbidden(
            f"forbidden while {what}: {message or '403 Forbidden'}",
            hint="the credential's RBAC role does not allow this; ask a cluster admin for the permission named",
        )
    if status == 404:
        return NotFound(f"not found while {what}: {message or '404 Not Found'}")
    if status == 409:
        return Conflict(f"conflict while {what}: {message or '409 Conflict'}")
    if status in (400, 422):
        return InvalidInput(f"the API server refused it while {what}: {message or f'HTTP {status}'}")
    return ClusterError(
        f"{server} answered HTTP {status} while {what}" + (f": {message}" if message else ""),
        hint="is the server URL the cluster's API server (not a proxy or a web page)?",
    )


def transport_error(exc: BaseException, *, server: str, timeout: float) -> Exception:
    """The ``core`` error for a failure below HTTP (connection, TLS, timeout)."""
    reason: BaseException | None = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    text = str(reason)
    if isinstance(reason, (urllib3.exceptions.SSLError, ssl.SSLError)) or "CERTIFICATE_VERIFY_FAILED" in text:
        found = re.search(r"certificate verify failed: ([^'\"(]+)", text)
        detail = found.group(1).strip() if found else "the TLS handshake failed"
        return ClusterError(
            f"TLS verification with {server} failed: {cut(detail, 200)}",
            hint="the kubeconfig's certificate-authority-data does not match the server's certificate",
        )
    if isinstance(reason, urllib3.exceptions.NewConnectionError) and "timed out" not in text:
        # (checked before timeouts: urllib3 2 makes NewConnectionError a ConnectTimeoutError)
        return Unreachable(
            f"cannot connect to {server}: {cut(text.split(': ', 1)[-1], 200)}",
            hint="is the cluster running, and is the server URL right?",
        )
    if isinstance(reason, (urllib3.exceptions.TimeoutError, TimeoutError)) or "timed out" in text:
        return Unreachable(
            f"{server} did not answer within {timeout:g}s",
            hint=TIMEOUT_HINT,
        )
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return Unreachable(
            f"the host of {server} cannot be resolved", hint="check the server URL in the kubeconfig"
        )
    return Unreachable(
        f"cannot connect to {server}: {cut(text.split(': ', 1)[-1], 200)}",
        hint="is the cluster running, and is the server URL right?",
    )


def late(server: str, limit: float, doing: str) -> Unreachable:
    """The error for a request that its overall deadline ended."""
    return Unreachable(
        f"{server} did not answer within {limit:g}s (the whole request, connect and read) while {doing}",
        hint=TIMEOUT_HINT,
    )
