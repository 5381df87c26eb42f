"""field_report and collection_case: what field officers report from the village

Revision ID: 0010
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrower.id"], name=op.f("fk_collection_case_borrower_id_borrower")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_case")),
    )
    op.create_index(
        "ix_collection_case_borrower_status", "collection_case", ["borrower_id", "status"]
    )
    op.create_table(
        "field_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("promise_amount", sa.BigInteger(), nullable=True),
        sa.Column("promise_status", sa.String(length=12), nullable=True),
        sa.Column("promise_paid", sa.BigInteger(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("location", sa.JSON(), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=True),
        sa.Column("origin", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrower.id"], name=op.f("fk_field_report_borrower_id_borrower")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_field_report_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["staff.id"], name=op.f("fk_field_report_officer_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name=op.f("fk_field_report_case_id_collection_case")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_field_report_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_report")),
        sa.UniqueConstraint("origin", name=op.f("uq_field_report_origin")),
    )
    op.create_index("ix_field_report_case_id", "field_report", ["case_id"])
    op.create_index("ix_field_report_promise_status", "field_report", ["promise_status"])
    op.create_index(
        "ix_field_report_borrower_created", "field_report", ["borrower_id", "created_at"]
    )
    op.create_index(
        "ix_field_report_officer_created", "field_report", ["officer_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("field_report")
    op.drop_table("collection_case")
