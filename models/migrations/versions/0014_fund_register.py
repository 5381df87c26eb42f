"""fund_register_entry: the KKCJ village funds' own figures (capital, committee, status,
problem and damaged money) on each reporting date

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fund_register_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("capital", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "normal",
                "followup",
                "closed",
                name="fund_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("problem_money", sa.BigInteger(), nullable=False),
        sa.Column("damaged_money", sa.BigInteger(), nullable=False),
        sa.Column("chair_name", sa.String(length=200), nullable=True),
        sa.Column("chair_phone", sa.String(length=20), nullable=True),
        sa.Column("committee", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["fund.id"], name=op.f("fk_fund_register_entry_fund_id_fund")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_register_entry")),
        sa.UniqueConstraint("fund_id", "as_of", name=op.f("uq_fund_register_entry_fund_id_as_of")),
    )
    op.create_index(
        op.f("ix_fund_register_entry_fund_id"), "fund_register_entry", ["fund_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fund_register_entry_fund_id"), table_name="fund_register_entry")
    op.drop_table("fund_register_entry")
