"""arrears_snapshot and arrears_area_version: arrears totals per home area and date, kept

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "arrears_snapshot",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("outstanding", sa.BigInteger(), nullable=False),
        sa.Column("overdue", sa.BigInteger(), nullable=False),
        sa.Column("overdue_contracts", sa.Integer(), nullable=False),
        sa.Column("debtor_classes", sa.JSON(), nullable=False),
        sa.Column("aging_buckets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_arrears_snapshot_area_id_area")
        ),
        sa.PrimaryKeyConstraint("area_id", "as_of", name=op.f("pk_arrears_snapshot")),
    )
    op.create_table(
        "arrears_area_version",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_arrears_area_version_area_id_area")
        ),
        sa.PrimaryKeyConstraint("area_id", name=op.f("pk_arrears_area_version")),
    )


def downgrade() -> None:
    op.drop_table("arrears_area_version")
    op.drop_table("arrears_snapshot")
