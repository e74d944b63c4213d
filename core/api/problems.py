"""Errors as HTTP answers: the CLI's JSON error document (``{"error": {"type", "message", "hint"}}``)
with the status that fits the error tree. Pure.
"""

from __future__ import annotations

from typing import Any

from core.errors import (
    ClusterError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotConvertible,
    NotFound,
    PermissionDenied,
    RateLimited,
    RolloutFailed,
    TooLarge,
    Unprocessable,
    UshadowError,
)

# The first class in this list that an error is an instance of gives its status.
STATUSES: list[tuple[type[UshadowError], int]] = [
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (Forbidden, 403),  # the cluster's RBAC refused what the stored credential tried
    (NotFound, 404),
    (Conflict, 409),
    (RolloutFailed, 409),  # applied, but the rollout did not become ready
    (RateLimited, 429),
    (TooLarge, 413),
    (Unprocessable, 422),
    (InvalidInput, 400),
    (NotConvertible, 422),
    (ClusterError, 502),  # the cluster cannot be reached, or refused the stored credential
]


def status_for(exc: UshadowError) -> int:
    for kind, status in STATUSES:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(kind: str, message: str, hint: str | None = None) -> dict[str, str]:
    """The inside of an error document: ``hint`` only when there is one (never ``"hint": null``)."""
    return {"type": kind, "message": message, **({"hint": hint} if hint else {})}


def error_document(exc: UshadowError) -> dict[str, Any]:
    return {"error": error_body(exc.title, exc.message, exc.hint)}


def plain_error(status: int, kind: str, message: str, hint: str | None = None) -> dict[str, Any]:
    """An error document for something that is not a ``core`` error (a route that does not exist)."""
    return {"error": error_body(kind, message, hint)}
