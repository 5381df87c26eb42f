"""hardship_request: debtors' requests for a moratorium or restructuring, for staff to decide

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hardship_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("measure", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrower.id"], name=op.f("fk_hardship_request_borrower_id_borrower")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_hardship_request_contract_id_contract")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hardship_request")),
    )
    op.create_index(
        op.f("ix_hardship_request_borrower_id"), "hardship_request", ["borrower_id"], unique=False
    )
    op.create_index(
        op.f("ix_hardship_request_status"), "hardship_request", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hardship_request_status"), table_name="hardship_request")
    op.drop_index(op.f("ix_hardship_request_borrower_id"), table_name="hardship_request")
    op.drop_table("hardship_request")
