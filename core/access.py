"""Who may use the dashboard and what they may change (pure; the pages supply the signed-in user).

When ``[auth]`` is configured in ``.streamlit/secrets.toml`` every page requires ``st.login``.
``USHADOW_AUTH_ALLOW`` then limits who gets in (emails, or ``@domain`` for a whole domain; empty
means anyone the identity provider signs in), and ``USHADOW_AUTH_READONLY`` names people who may
look but not change anything. Both match only a verified email (``verified_email``): an identity
without an ``email`` claim, or with ``email_verified`` false, gets no role at all (never a match on
a display name or subject). Without auth there is one local operator, and the dashboard says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import PermissionDenied

OPERATOR, VIEWER = "operator", "viewer"
CHANGES = frozenset(
    {
        "cluster.add",
        "cluster.remove",
        "cluster.check",
        "scan",
        "deploy",
        "envmap",
        "scale",
        "restart",
        "undeploy",
    }
)


def verified_email(claims: Any) -> str | None:
    """The identity's email when it is one the provider vouches for (``email_verified`` not false).

    ``claims`` is the signed-in user's claims (``st.user``, or any mapping with ``get``).
    """
    email = claims.get("email")
    verified = claims.get("email_verified", True)
    if isinstance(verified, str):
        verified = verified.strip().lower() not in ("false", "0", "no")
    if not isinstance(email, str) or "@" not in email or verified is False:
        return None
    email = email.strip()
    return email if email and len(email) <= 254 and all(ch.isprintable() for ch in email) else None


def _entries(raw: str | None) -> frozenset[str]:
    return frozenset(e.strip().lower() for e in (raw or "").replace(";", ",").split(",") if e.strip())


def _matches(email: str, entries: frozenset[str]) -> bool:
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[-1] if "@" in email else None
    return email in entries or (domain is not None and domain in entries)


@dataclass(frozen=True)
class Policy:
    auth_enabled: bool
    allow: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, *, auth_enabled: bool, allow: str | None, readonly: str | None) -> Policy:
        return cls(auth_enabled, _entries(allow), _entries(readonly))

    def role_for(self, email: str | None) -> str | None:
        """The role of a signed-in user, or None when they may not use the dashboard at all."""
        if not self.auth_enabled:
            return OPERATOR
        if not email:
            return None
        if _matches(email, self.readonly):
            return VIEWER
        if self.allow and not _matches(email, self.allow):
            return None
        return OPERATOR

    def require(self, email: str | None, action: str) -> str:
        """The actor name to record for ``action``; raises when the user may not do it."""
        role = self.role_for(email)
        if role is None:
            raise PermissionDenied(
                f"{email or 'this user'} may not use this dashboard", hint="ask an admin to allow you"
            )
        if role == VIEWER and action in CHANGES:
            raise PermissionDenied(
                f"{email} has read-only access and may not {action.replace('.', ' ')}",
                hint="ask an admin for operator access",
            )
        return email or "local"
