"""Scan references and retention: a scan that found exactly what the previous scan of its target
found keeps no match rows of its own (``same_as`` names the scan that holds them, ``content_hash``
is what the next scan compares with), and a scan pruned by retention leaves a small row in
``pruned_scans`` so that its link says so.

Existing scans keep their match rows and get no hash (the next scan of their target is stored
whole, and the one after that may be a reference).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
TYPES = {"position": sa.Integer, "ready_endpoints": sa.Integer, "endpoints": sa.JSON, "extra": sa.JSON}


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("same_as", sa.String(32), nullable=True))
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
    op.create_index("ix_scans_same_as", "scans", ["same_as"])
    op.create_table(
        "pruned_scans",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kept_id", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pruned_scans"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name="fk_pruned_scans_cluster_id_clusters", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_pruned_scans_cluster_id", "pruned_scans", ["cluster_id"])
    op.create_index("ix_pruned_scans_pruned_at", "pruned_scans", ["pruned_at"])


def downgrade() -> None:
    """Back to 0004: reference scans get their match rows copied back from the scan they name."""
    connection = op.get_bind()
    scans = sa.table("scans", sa.column("id", sa.String), sa.column("same_as", sa.String))
    columns = (
        "position", "infra_type", "service", "namespace", "service_type", "reason", "ready_endpoints",
        "endpoints", "connection_string", "extra",
    )  # fmt: skip
    matches = sa.table(
        "scan_matches",
        sa.column("scan_id", sa.String),
        *[sa.column(c, TYPES.get(c, sa.String)) for c in columns],
    )
    for scan_id, base in connection.execute(
        sa.select(scans.c.id, scans.c.same_as).where(scans.c.same_as.is_not(None))
    ):
        rows = connection.execute(
            sa.select(*[matches.c[c] for c in columns]).where(matches.c.scan_id == base)
        )
        copied = [{"scan_id": scan_id, **dict(r._mapping)} for r in rows]
        if copied:
            connection.execute(matches.insert(), copied)
    op.drop_index("ix_pruned_scans_pruned_at", table_name="pruned_scans")
    op.drop_index("ix_pruned_scans_cluster_id", table_name="pruned_scans")
    op.drop_table("pruned_scans")
    op.drop_index("ix_scans_same_as", table_name="scans")
    # never by copying the table: on SQLite, dropping the old copy would cascade to the match rows
    op.drop_column("scans", "content_hash")
    op.drop_column("scans", "same_as")
