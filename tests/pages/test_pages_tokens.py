"""The API tokens page under ``AppTest``: an operator creates a token (shown once, stored only as a
hash), sees it listed and revokes it; a read-only user sees none of it."""

from __future__ import annotations

import pytest

from core.settings import Settings
from core.store.store import Store
from core.store.tokens import digest
from tests.support.pagekit import AUTH, open_page, texts


def test_an_operator_creates_and_revokes_a_token(settings: Settings, store: Store) -> None:
    at = open_page("tokens")
    assert not at.exception
    assert any("No API tokens yet" in t for t in texts(at))
    at.text_input(key="tokens_name").input("ci-bot")
    at.selectbox(key="tokens_role").select("operator")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    secret = next(c.value for c in at.code if c.value.startswith("ush_"))
    assert any("Copy it now" in t for t in texts(at))
    [token] = store.tokens.list()
    assert (token.name, token.role, token.state()) == ("ci-bot", "operator", "active")
    assert store.tokens.check(secret).name == "ci-bot"
    with store.engine.connect() as conn:  # only the hash is kept
        stored = conn.exec_driver_sql("SELECT token_hash FROM api_tokens").scalar()
    assert stored == digest(secret) and secret not in str(stored)

    at = open_page("tokens")
    assert at.dataframe[0].value["name"].tolist() == ["ci-bot"]
    assert not any(c.value == secret for c in at.code), "a token is shown only when it is created"
    at.button(key="tokens_revoke").click().run()
    assert not at.exception, at.exception
    assert store.tokens.list()[0].state() == "revoked"
    assert [e.action for e in store.list_audit(limit=2)] == ["token.revoke", "token.create"]


@pytest.mark.parametrize("email", ["viewer@example.com"])
def test_a_read_only_user_cannot_manage_tokens(settings: Settings, store: Store, email: str) -> None:
    secrets = {"auth": AUTH, "USHADOW_AUTH_READONLY": email}
    at = open_page("tokens", secrets=secrets, user={"is_logged_in": True, "email": email})
    assert not at.exception
    assert any("for operators" in t for t in texts(at))
    assert not at.text_input and not at.dataframe
