"""The small tree of errors that ``core`` raises.

Library exceptions (kubernetes, urllib3, SQLAlchemy, yaml) never leave ``core``: they are caught
at the edge and re-raised as one of these, with the original attached as ``__cause__``. Each error
carries a one-line ``message`` (what went wrong) and an optional ``hint`` (what to try), which the
dashboard and the command line show as they are.
"""

from __future__ import annotations


class UshadowError(Exception):
    """Base of every error that ``core`` raises on purpose."""

    exit_code = 1
    title = "Error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InvalidInput(UshadowError):
    """The input (a kubeconfig, compose file, form field, id) is malformed."""

    exit_code = 2
    title = "Invalid input"


class NotFound(UshadowError):
    """A named thing (cluster, scan, service) does not exist."""

    exit_code = 3
    title = "Not found"


class Pruned(NotFound):
    """A stored thing (a scan) was removed by the retention setting; its link says so."""

    title = "Pruned by retention"


class Conflict(UshadowError):
    """The change clashes with what exists (a duplicate name, a field owned by another manager)."""

    exit_code = 4
    title = "Conflict"


class ClusterError(UshadowError):
    """Base of errors talking to a Kubernetes API server."""

    exit_code = 5
    title = "Cluster error"


class Unreachable(ClusterError):
    """The API server did not answer (connection refused, DNS, timeout, TLS)."""

    title = "Cluster unreachable"


class Unauthorized(ClusterError):
    """The API server rejected the credential (HTTP 401)."""

    title = "Unauthorized"


class Forbidden(ClusterError):
    """The credential is valid but may not do this (HTTP 403, RBAC)."""

    title = "Forbidden"


class NotConvertible(UshadowError):
    """A compose service cannot be turned into Kubernetes manifests."""

    exit_code = 6
    title = "Not convertible"


class RolloutFailed(UshadowError):
    """A rollout did not become ready (it failed, or did not finish in time)."""

    exit_code = 9
    title = "Rollout failed"


class LocalClusterError(UshadowError):
    """The local control plane could not be built, started or stopped."""

    exit_code = 7
    title = "Local control plane"


class PermissionDenied(UshadowError):
    """The dashboard user's role does not allow this change."""

    exit_code = 8
    title = "Not allowed"


class NotAuthenticated(UshadowError):
    """An HTTP API call without a valid token: none, unknown, expired or revoked (HTTP 401)."""

    exit_code = 8
    title = "Not authenticated"


class RateLimited(UshadowError):
    """Too many failed attempts from one client; it must wait (HTTP 429)."""

    exit_code = 8
    title = "Too many requests"

    def __init__(self, message: str, *, hint: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class Unprocessable(InvalidInput):
    """Well-formed input with wrong content: an unknown or missing field, a wrong type (HTTP 422)."""


class TooLarge(InvalidInput):
    """The input is larger than allowed (HTTP 413)."""

    title = "Too large"
