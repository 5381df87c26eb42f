"""payment_target and slip: Thai QR payment accounts per fund, and slips with their mini QR

Revision ID: 0013
Revises: 0004
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("id_type", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"], name=op.f("fk_payment_target_fund_id_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_target")),
        sa.UniqueConstraint("fund_id", name=op.f("uq_payment_target_fund_id")),
    )
    op.create_table(
        "slip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("qr_status", sa.String(length=12), nullable=False),
        sa.Column("bank_code", sa.String(length=3), nullable=True),
        sa.Column("bank_reference", sa.String(length=40), nullable=True),
        sa.Column("reference_key", sa.String(length=50), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("line_message_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrower.id"], name=op.f("fk_slip_borrower_id_borrower")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_slip_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["slip.id"], name=op.f("fk_slip_duplicate_of_id_slip")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slip")),
        sa.UniqueConstraint("reference_key", name=op.f("uq_slip_reference_key")),
    )
    op.create_index(op.f("ix_slip_borrower_id"), "slip", ["borrower_id"])
    op.create_index(op.f("ix_slip_payment_id"), "slip", ["payment_id"])
    op.create_index(op.f("ix_slip_sha256"), "slip", ["sha256"])


def downgrade() -> None:
    op.drop_table("slip")
    op.drop_table("payment_target")
