"""No passwords in stored server URLs: ``https://admin:pass@host:6443`` becomes ``https://host:6443``.

A user name or password in a kubeconfig's server URL is refused for new clusters
(``core.clusters.urls.check_server``), but clusters stored before kept it in clear: in
``clusters.server``, in the audit trail (``cluster.add`` records the server), and in error texts
that name the server (a cluster's last error, a scan's errors, a deployment's message). This strips
the user information from every http(s) URL in those columns, and from the server URL inside each
encrypted credential when the store's key is at hand (``Store.open`` passes its cipher), so the
stored credential loads again. The URL's password was never used to authenticate.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

USERINFO = re.compile(r"(?i)\b(https?://)[^/\s@\"'<>]*@")


def strip(value: Any) -> Any:
    """``value`` with the user information taken out of every http(s) URL in it (JSON walked)."""
    if isinstance(value, str):
        return USERINFO.sub(r"\1", value)
    if isinstance(value, list):
        return [strip(v) for v in value]
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items()}
    return value


COLUMNS: dict[str, tuple[str, list[tuple[str, Any]]]] = {
    "clusters": ("id", [("server", sa.String), ("error", sa.Text)]),
    "scans": ("id", [("errors", sa.JSON)]),
    "deployments": ("id", [("message", sa.Text)]),
    "audit_events": ("id", [("target", sa.String), ("detail", sa.JSON)]),
}


def _strip_columns(connection: sa.Connection) -> None:
    for name, (key, columns) in COLUMNS.items():
        table = sa.table(name, sa.column(key), *(sa.column(c, t) for c, t in columns))
        for row in connection.execute(sa.select(table)).mappings():
            changed = {c: strip(row[c]) for c, _t in columns if strip(row[c]) != row[c]}
            if changed:
                connection.execute(table.update().where(table.c[key] == row[key]).values(**changed))


def _strip_credentials(connection: sa.Connection, cipher: Any) -> None:
    table = sa.table("clusters", sa.column("id"), sa.column("credential", sa.LargeBinary))
    for cluster_id, blob in connection.execute(sa.select(table.c.id, table.c.credential)).all():
        try:
            text = cipher.decrypt(blob).decode()
        except Exception:  # another key, or not ours: left as it is (it stays encrypted)
            continue
        clean = USERINFO.sub(r"\1", text)
        if clean != text:
            connection.execute(
                table.update()
                .where(table.c.id == cluster_id)
                .values(credential=cipher.encrypt(clean.encode()))
            )


def upgrade() -> None:
    connection = op.get_bind()
    _strip_columns(connection)
    cipher = context.config.attributes.get("cipher")
    if cipher is not None:
        _strip_credentials(connection, cipher)


def downgrade() -> None:
    pass  # the passwords are gone for good, as intended
