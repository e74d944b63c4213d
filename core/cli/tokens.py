"""``ushadow-ops tokens create|list|revoke``: API tokens for the HTTP API (``/api/v1``, ``/api/kubernetes``).

``create`` prints the token once; only its SHA-256 is stored, so a lost token is revoked and replaced.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.base import Context, Result, add_command, print_table

COLUMNS = ("name", "role", "state", "prefix", "created_at", "expires_at", "last_used_at")

# ``core.store.tokens.ROLES``, spelled out so parsing does not load the database layer
# (tests/unit/test_cli_imports.py keeps the two equal)
ROLE_CHOICES = ("viewer", "operator")


def _create(args: argparse.Namespace, ctx: Context) -> Result:
    token, secret = ctx.store.tokens.create(
        args.name, role=args.role, expires_in_days=args.expires_in, actor=ctx.actor
    )
    data = {
        "name": token.name,
        "role": token.role,
        "token": secret,
        "expires_at": token.to_json()["expires_at"],
    }

    def human(d: dict[str, Any]) -> None:
        print(d["token"])
        ctx.progress(
            f"created {d['role']} token {d['name']}"
            + (f", expires {d['expires_at']}" if d["expires_at"] else ", never expires")
            + "; it is shown only now: keep it in a secret store"
        )

    return Result(data, human)


def _list(args: argparse.Namespace, ctx: Context) -> Result:
    return Result([t.to_json() for t in ctx.store.tokens.list()], lambda rows: print_table(rows, COLUMNS))


def _revoke(args: argparse.Namespace, ctx: Context) -> Result:
    token = ctx.store.tokens.revoke(args.name, actor=ctx.actor)
    return Result(token.to_json(), lambda d: print(f"revoked token {d['name']} (at {d['revoked_at']})"))


def _days(value: str) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from exc


def register(sub: Any) -> None:
    parser = sub.add_parser("tokens", help="create, list and revoke HTTP API tokens")
    inner = parser.add_subparsers(dest="tokens_command", metavar="ACTION")
    inner.required = True
    create = add_command(inner, "create", _create, "create an API token and print it (once)")
    create.add_argument("name", metavar="NAME", help="a unique name (the audit trail shows token:NAME)")
    create.add_argument(
        "--role", choices=ROLE_CHOICES, default="viewer", help="viewer reads; operator also changes (viewer)"
    )
    create.add_argument(
        "--expires-in", type=_days, metavar="DAYS", help="the token stops working after DAYS days (never)"
    )
    add_command(inner, "list", _list, "list API tokens (never their secrets)")
    revoke = add_command(inner, "revoke", _revoke, "revoke an API token: it stops working at once")
    revoke.add_argument("name", metavar="NAME", help="the token's name")
