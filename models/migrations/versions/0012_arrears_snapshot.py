"""arrears_snapshot and arrears_area_version: arrears totals per home area and date, kept;
ix_installment_open: the installments with something left to pay, for today's arrears

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


OPEN = "principal_paid <> principal_due OR interest_paid <> interest_due"


def upgrade() -> None:
    op.create_index(
        "ix_installment_open",
        "installment",
        ["contract_id"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_table(
        "arrears_snapshot",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("outstanding", sa.BigInteger(), nullable=False),
        sa.Column("overdue", sa.BigInteger(), nullable=False),
        sa.Column("overdue_contracts", sa.Integer(), nullable=False),
        sa.Column("collected", sa.BigInteger(), nullable=False),
        sa.Column("class_normal", sa.Integer(), nullable=False),
        sa.Column("class_late", sa.Integer(), nullable=False),
        sa.Column("class_moratorium", sa.Integer(), nullable=False),
        sa.Column("class_restructured", sa.Integer(), nullable=False),
        sa.Column("class_restructured_late", sa.Integer(), nullable=False),
        sa.Column("class_defaulted", sa.Integer(), nullable=False),
        sa.Column("class_paid_off", sa.Integer(), nullable=False),
        sa.Column("age_current", sa.Integer(), nullable=False),
        sa.Column("age_1_30", sa.Integer(), nullable=False),
        sa.Column("age_31_60", sa.Integer(), nullable=False),
        sa.Column("age_61_90", sa.Integer(), nullable=False),
        sa.Column("age_91_180", sa.Integer(), nullable=False),
        sa.Column("age_181_365", sa.Integer(), nullable=False),
        sa.Column("age_365_plus", sa.Integer(), nullable=False),
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
    op.drop_index("ix_installment_open", table_name="installment")
