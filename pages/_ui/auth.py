"""Sign-in (``st.login`` with ``[auth]`` in secrets), roles, and the gate in front of every page."""

from __future__ import annotations

import streamlit as st

from core.access import OPERATOR, VIEWER, Policy, verified_email
from pages._ui.resources import get_settings, secrets
from pages._ui.text import md


def auth_configured() -> bool:
    """Whether ``[auth]`` (OIDC for ``st.login``) is set up in secrets."""
    section = secrets().get("auth")
    return isinstance(section, dict) and bool(section)


def logged_in_user() -> str | None:
    """Who is using the dashboard (their verified email), when they logged in with ``st.login``."""
    if not auth_configured() or not st.user.get("is_logged_in", False):
        return None
    return verified_email(st.user)


def policy() -> Policy:
    settings = get_settings()
    return Policy.from_settings(
        auth_enabled=auth_configured(), allow=settings.auth_allow, readonly=settings.auth_readonly
    )


def current_role() -> str | None:
    return policy().role_for(logged_in_user())


def actor_for(action: str) -> str:
    """Who does ``action`` (for the audit trail); raises PermissionDenied for a read-only user."""
    return policy().require(logged_in_user(), action)


def can_change() -> bool:
    return current_role() == OPERATOR


def auth_gate() -> None:
    """With ``[auth]`` configured, every page needs a signed-in, allowed user (``st.login``)."""
    if not auth_configured():
        return
    if not st.user.get("is_logged_in", False):
        st.title("ushadow ops")
        st.info("Sign in to use this dashboard.", icon=":material/lock:")
        if st.button("Sign in", type="primary", key="auth_login"):
            st.login()
        st.stop()
    if logged_in_user() is None:
        st.title("ushadow ops")
        st.error(
            "Your sign-in did not give a verified email address, so this dashboard cannot tell who you are."
        )
        st.caption(
            "Access is granted by verified email only: ask the identity provider's admin to release the "
            "`email` and `email_verified` claims, or sign in with another account."
        )
        if st.button("Sign out", key="auth_logout_unverified"):
            st.logout()
        st.stop()
    if current_role() is None:
        st.error(f"{md(str(logged_in_user() or 'This account'))} may not use this dashboard.")
        st.caption("Ask an admin to add you to USHADOW_AUTH_ALLOW.")
        if st.button("Sign out", key="auth_logout_denied"):
            st.logout()
        st.stop()
    with st.sidebar:
        role = "read-only" if current_role() == VIEWER else "operator"
        st.caption(f"Signed in as {md(str(logged_in_user()))} ({role})")
        if st.button("Sign out", key="auth_logout"):
            st.logout()


def server_address() -> str:
    """Where the dashboard listens ('127.0.0.1' unless configured otherwise)."""
    address = st.get_option("server.address")
    return str(address) if address else "every interface"
