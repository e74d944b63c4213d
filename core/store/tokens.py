"""HTTP API tokens: created (the secret is shown once), listed, revoked and checked. Calls out.

Only the SHA-256 of a token's secret is stored: the secret is 32 random bytes, so a plain hash is
enough to make the stored value useless to whoever reads the database. A token has a ``role``
(``viewer`` reads, ``operator`` also changes) and may expire; a revoked token stays listed (so the
audit trail's ``token:NAME`` keeps meaning something) but never works again. Reach it through
``Store.tokens``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from core.naming import is_dns_label
from core.store.models import ApiTokenRow, utcnow

ROLES = ("viewer", "operator")
PREFIX = "ush_"
MAX_DAYS = 3650

Sessions = Callable[[], Any]  # a context manager yielding a committed-on-exit Session
Audit = Callable[[Session, str | None, str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class ApiToken:
    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def actor(self) -> str:
        """Who the audit trail names for a change made with this token."""
        return f"token:{self.name}"

    @property
    def may_change(self) -> bool:
        return self.role == "operator"

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "name": self.name,
            "role": self.role,
            "prefix": self.prefix,
            "state": self.state(),
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


def _record(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        row.name,
        row.role,
        row.prefix,
        row.created_at,
        row.created_by,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def validate(name: str, role: str, expires_in_days: float | None) -> None:
    if not is_dns_label(name):
        raise InvalidInput(
            f"{name!r} is not a token name",
            hint="lowercase letters, digits and '-', at most 63 characters (e.g. ci or chat-bot)",
        )
    if role not in ROLES:
        raise InvalidInput(f"role must be viewer or operator, not {role!r}")
    if expires_in_days is not None and not 0 < expires_in_days <= MAX_DAYS:
        raise InvalidInput(f"--expires-in must be between 0 and {MAX_DAYS} days, not {expires_in_days}")


class TokenBook:
    """The API tokens in the store (``store.tokens``)."""

    def __init__(self, sessions: Sessions, audit: Audit) -> None:
        self._session = sessions
        self._audit = audit

    def create(
        self,
        name: str,
        *,
        role: str = "viewer",
        expires_in_days: float | None = None,
        actor: str | None = None,
    ) -> tuple[ApiToken, str]:
        """A new token and its secret (the only time the secret exists outside the caller)."""
        validate(name, role, expires_in_days)
        secret = PREFIX + secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
        row = ApiTokenRow(
            name=name,
            role=role,
            token_hash=digest(secret),
            prefix=secret[:10],
            created_at=utcnow(),
            created_by=actor,
            expires_at=expires,
        )
        try:
            with self._session() as session:
                session.add(row)
                self._audit(session, actor, "token.create", name, {"role": role})
        except IntegrityError as exc:
            raise Conflict(
                f"a token named {name!r} already exists",
                hint=f"pick another name, or `ushadow-ops tokens revoke {name}` and use a new name",
            ) from exc
        return _record(row), secret

    def list(self) -> list[ApiToken]:
        with self._session() as session:
            rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name)).all()
            return [_record(r) for r in rows]

    def revoke(self, name: str, *, actor: str | None = None) -> ApiToken:
        with self._session() as session:
            row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.name == name))
            if row is None:
                raise NotFound(f"no API token named {name!r}", hint="`ushadow-ops tokens list` shows them")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                self._audit(session, actor, "token.revoke", name, {})
            session.flush()
            return _record(row)

    def check(self, secret: str) -> ApiToken:
        """The token whose secret this is; :class:`NotAuthenticated` when none is active."""
        hint = "send `Authorization: Bearer <token>` with a token from `ushadow-ops tokens create`"
        if not secret.startswith(PREFIX) or len(secret) > 200:
            raise NotAuthenticated("the API token is not valid", hint=hint)
        with self._session() as session:
            row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest(secret)))
            if row is None:
                raise NotAuthenticated("the API token is not valid", hint=hint)
            token = _record(row)
            state = token.state()
            if state != "active":
                raise NotAuthenticated(f"the API token {token.name!r} is {state}", hint=hint)
            row.last_used_at = utcnow()
        return token
