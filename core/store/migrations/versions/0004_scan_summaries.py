"""Scan summaries: each scan row carries what lists show (match and error counts, the types found)
and the diff against the previous scan, computed once when the scan is stored.

Lists of scans (the Scan page's history, the Clusters page, ``scans list``) read these columns and
never a scan's match rows. Existing scans get their counts and types here; their diff is computed
the first time one is opened, and kept.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("match_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("error_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("found_types", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))
    connection = op.get_bind()
    scans = sa.table(
        "scans",
        sa.column("id", sa.String),
        sa.column("catalog", sa.JSON),
        sa.column("errors", sa.JSON),
        sa.column("match_count", sa.Integer),
        sa.column("error_count", sa.Integer),
        sa.column("found_types", sa.JSON),
    )
    matches = sa.table("scan_matches", sa.column("scan_id", sa.String), sa.column("infra_type", sa.String))
    counts: dict[str, dict[str, int]] = {}
    for scan_id, infra_type in connection.execute(sa.select(matches.c.scan_id, matches.c.infra_type)):
        per_type = counts.setdefault(scan_id, {})
        per_type[infra_type] = per_type.get(infra_type, 0) + 1
    for scan_id, catalog, errors in connection.execute(
        sa.select(scans.c.id, scans.c.catalog, scans.c.errors)
    ):
        per_type = counts.get(scan_id, {})
        connection.execute(
            scans.update()
            .where(scans.c.id == scan_id)
            .values(
                match_count=sum(per_type.values()),
                error_count=len(errors or []),
                found_types=[t for t in (catalog or {}) if per_type.get(t)],
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("changes")
        batch.drop_column("found_types")
        batch.drop_column("error_count")
        batch.drop_column("match_count")
