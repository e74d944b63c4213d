"""Deployment records, the audit trail, and a (cluster, time) index for "latest scan" look-ups.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("cluster_id", sa.String(32), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("service_id", sa.String(512), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("manifests", sa.Text(), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name="fk_deployments_cluster_id_clusters", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_deployments_cluster_id", "deployments", ["cluster_id"])
    op.create_index("ix_deployments_created_at", "deployments", ["created_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    # Named explicitly and created only here: upgrading a database that already has the
    # single-column index must not collide with it (the old system crashed on exactly that).
    op.create_index("ix_scans_cluster_id_scanned_at", "scans", ["cluster_id", "scanned_at"])


def downgrade() -> None:
    op.drop_index("ix_scans_cluster_id_scanned_at", table_name="scans")
    op.drop_table("audit_events")
    op.drop_table("deployments")
