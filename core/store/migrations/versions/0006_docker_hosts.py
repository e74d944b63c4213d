"""Docker hosts, the second kind of target beside clusters; their scans share the scans table.

A scan's, a pruned scan's and a deployment's ``cluster_id`` now hold a cluster's or a host's id,
so their foreign keys to ``clusters`` are dropped (each target's removal deletes its rows itself).
On SQLite that rebuilds ``scans``; its matches' foreign key (ON DELETE CASCADE) is taken off for the rebuild and put back, since
dropping the old ``scans`` table would otherwise delete every match with it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MATCHES_FK = "fk_scan_matches_scan_id_scans"
SCANS_FK = "fk_scans_cluster_id_clusters"
DEPLOYMENTS_FK = "fk_deployments_cluster_id_clusters"
PRUNED_FK = "fk_pruned_scans_cluster_id_clusters"


def upgrade() -> None:
    op.create_table(
        "docker_hosts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("credential", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("containers_running", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("last_checked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_docker_hosts"),
        sa.UniqueConstraint("name", name="uq_docker_hosts_name"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.batch_alter_table("scan_matches") as batch:
            batch.drop_constraint(MATCHES_FK, type_="foreignkey")
    with op.batch_alter_table("scans") as batch:
        batch.drop_constraint(SCANS_FK, type_="foreignkey")
    if sqlite:
        with op.batch_alter_table("scan_matches") as batch:
            batch.create_foreign_key(MATCHES_FK, "scans", ["scan_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_constraint(DEPLOYMENTS_FK, type_="foreignkey")
    with op.batch_alter_table("pruned_scans") as batch:
        batch.drop_constraint(PRUNED_FK, type_="foreignkey")


def downgrade() -> None:
    op.execute("DELETE FROM pruned_scans WHERE cluster_id NOT IN (SELECT id FROM clusters)")
    with op.batch_alter_table("pruned_scans") as batch:
        batch.create_foreign_key(PRUNED_FK, "clusters", ["cluster_id"], ["id"], ondelete="CASCADE")
    op.execute("DELETE FROM deployments WHERE cluster_id NOT IN (SELECT id FROM clusters)")
    with op.batch_alter_table("deployments") as batch:
        batch.create_foreign_key(DEPLOYMENTS_FK, "clusters", ["cluster_id"], ["id"], ondelete="CASCADE")
    op.execute("DELETE FROM scans WHERE cluster_id NOT IN (SELECT id FROM clusters)")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # as on the way up: the rebuild of scans would delete every match with the old table
        with op.batch_alter_table("scan_matches") as batch:
            batch.drop_constraint(MATCHES_FK, type_="foreignkey")
    with op.batch_alter_table("scans") as batch:
        batch.create_foreign_key(SCANS_FK, "clusters", ["cluster_id"], ["id"], ondelete="CASCADE")
    if sqlite:
        with op.batch_alter_table("scan_matches") as batch:
            batch.create_foreign_key(MATCHES_FK, "scans", ["scan_id"], ["id"], ondelete="CASCADE")
    op.drop_table("docker_hosts")
