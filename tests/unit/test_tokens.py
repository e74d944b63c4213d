"""API tokens in the store, on SQLite and PostgreSQL: only a hash is kept; roles, expiry, revocation;
and the ``tokens`` commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.cli import main
from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from core.store.models import ApiTokenRow, utcnow
from core.store.store import Store
from core.store.tokens import digest


@pytest.fixture(autouse=True)
def _both_backends(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHADOW_TEST_DATABASE_URL", database_url)


def test_a_token_is_stored_only_as_its_hash(store: Store) -> None:
    _token, secret = store.tokens.create("ci", role="operator", actor="cli:ops")
    assert secret.startswith("ush_") and len(secret) > 40
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM api_tokens").all()]
    assert secret not in repr(rows)
    assert digest(secret) in repr(rows)
    checked = store.tokens.check(secret)
    assert (checked.name, checked.role, checked.actor, checked.may_change) == (
        "ci",
        "operator",
        "token:ci",
        True,
    )
    assert store.tokens.list()[0].last_used_at is not None
    assert [(e.actor, e.action, e.target) for e in store.list_audit()] == [("cli:ops", "token.create", "ci")]


@pytest.mark.parametrize("secret", ["", "ush_", "ush_wrong", "not-even-ours", "ush_" + "x" * 300])
def test_a_wrong_token_is_refused(store: Store, secret: str) -> None:
    store.tokens.create("ci")
    with pytest.raises(NotAuthenticated, match="not valid"):
        store.tokens.check(secret)


def test_revoked_and_expired_tokens_stop_working(store: Store) -> None:
    _, revoked = store.tokens.create("old")
    _, expiring = store.tokens.create("short", expires_in_days=1)
    assert store.tokens.revoke("old", actor="cli:ops").state() == "revoked"
    with pytest.raises(NotAuthenticated, match="'old' is revoked"):
        store.tokens.check(revoked)
    assert store.tokens.check(expiring).name == "short"
    with store.engine.begin() as conn:  # a day later
        conn.execute(update(ApiTokenRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(NotAuthenticated, match="'short' is expired"):
        store.tokens.check(expiring)
    assert {t.name: t.state() for t in store.tokens.list()} == {"old": "revoked", "short": "expired"}


def test_names_roles_and_expiry_are_checked(store: Store) -> None:
    store.tokens.create("ci")
    with pytest.raises(Conflict, match="already exists"):
        store.tokens.create("ci")
    with pytest.raises(InvalidInput, match="not a token name"):
        store.tokens.create("CI Bot")
    with pytest.raises(InvalidInput, match="viewer or operator"):
        store.tokens.create("x", role="admin")
    with pytest.raises(InvalidInput, match="between 0 and"):
        store.tokens.create("x", expires_in_days=-1)
    with pytest.raises(NotFound, match="no API token named 'nope'"):
        store.tokens.revoke("nope")
    assert store.tokens.list()[0].role == "viewer"


def test_the_tokens_commands(settings: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "create", "ci", "--role", "operator", "--expires-in", "30", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert set(created) == {"name", "role", "token", "expires_at"}
    assert (created["name"], created["role"]) == ("ci", "operator") and created["expires_at"]
    assert main(["tokens", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["state"] == "active" and "token" not in listed
    assert created["token"] not in json.dumps(listed)
    assert main(["tokens", "revoke", "ci"]) == 0
    assert "revoked token ci" in capsys.readouterr().out
    assert main(["tokens", "revoke", "ci", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "revoked"
    assert main(["tokens", "create", "ci"]) == 4
    assert "already exists" in capsys.readouterr().err
