"""Roles for the dashboard: who gets in, who may only look."""

from __future__ import annotations

import pytest

from core.access import OPERATOR, VIEWER, Policy, verified_email
from core.errors import PermissionDenied

POLICY = Policy.from_settings(
    auth_enabled=True, allow="@example.com, boss@other.org", readonly="intern@example.com"
)


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("ops@example.com", OPERATOR),
        ("OPS@Example.com", OPERATOR),
        ("boss@other.org", OPERATOR),
        ("intern@example.com", VIEWER),
        ("someone@other.org", None),
        ("mallory@example.com.evil.org", None),
        (None, None),
    ],
)
def test_roles(email: str | None, role: str | None) -> None:
    assert POLICY.role_for(email) == role


def test_viewer_may_look_but_not_change() -> None:
    assert POLICY.require("intern@example.com", "view") == "intern@example.com"
    with pytest.raises(PermissionDenied, match="read-only"):
        POLICY.require("intern@example.com", "deploy")
    with pytest.raises(PermissionDenied, match="may not use"):
        POLICY.require("someone@other.org", "view")


def test_without_auth_everyone_is_the_local_operator() -> None:
    open_policy = Policy.from_settings(auth_enabled=False, allow="", readonly="")
    assert open_policy.require(None, "cluster.remove") == "local"


def test_empty_allowlist_admits_any_signed_in_user() -> None:
    policy = Policy.from_settings(auth_enabled=True, allow="", readonly="")
    assert policy.role_for("anyone@anywhere.net") == OPERATOR


@pytest.mark.parametrize(
    ("claims", "email"),
    [
        ({"email": "ops@example.com"}, "ops@example.com"),
        ({"email": "ops@example.com", "email_verified": True}, "ops@example.com"),
        ({"email": "ops@example.com", "email_verified": False}, None),
        ({"email": "ops@example.com", "email_verified": "false"}, None),
        ({"name": "ops@example.com"}, None),
        ({"sub": "ops@example.com"}, None),
        ({"email": ["ops@example.com"]}, None),
        ({"email": "not-an-email"}, None),
    ],
)
def test_only_a_verified_email_identifies_a_user(claims: dict[str, object], email: str | None) -> None:
    assert verified_email(claims) == email
