"""reminders: reminder_item, visit_task, outbox purpose and contact key, staff phone

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("contact_key", sa.String(length=80), nullable=True))
        batch.create_index(batch.f("ix_outbox_message_contact_key"), ["contact_key"], unique=False)
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
    op.create_table(
        "reminder_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("contact_day", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("outbox_key", sa.String(length=200), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrower.id"], name=op.f("fk_reminder_item_borrower_id_borrower")),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_reminder_item_contract_id_contract")),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox_message.id"], name=op.f("fk_reminder_item_outbox_id_outbox_message")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_item")),
        sa.UniqueConstraint("kind", "ref_id", "stage", name=op.f("uq_reminder_item_kind_ref_id_stage")),
    )
    with op.batch_alter_table("reminder_item") as batch:
        batch.create_index("ix_reminder_item_borrower_day", ["borrower_id", "contact_day"], unique=False)
        batch.create_index(batch.f("ix_reminder_item_outbox_id"), ["outbox_id"], unique=False)
    op.create_table(
        "visit_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_key", sa.String(length=80), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_visit_task_area_id_area")),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrower.id"], name=op.f("fk_visit_task_borrower_id_borrower")),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_visit_task_contract_id_contract")),
        sa.ForeignKeyConstraint(["officer_id"], ["staff.id"], name=op.f("fk_visit_task_officer_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_task")),
        sa.UniqueConstraint("task_key", name=op.f("uq_visit_task_task_key")),
    )
    with op.batch_alter_table("visit_task") as batch:
        batch.create_index(batch.f("ix_visit_task_area_id"), ["area_id"], unique=False)
        batch.create_index(batch.f("ix_visit_task_borrower_id"), ["borrower_id"], unique=False)
        batch.create_index(batch.f("ix_visit_task_officer_id"), ["officer_id"], unique=False)


def downgrade() -> None:
    op.drop_table("visit_task")
    op.drop_table("reminder_item")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index(batch.f("ix_outbox_message_contact_key"))
        batch.drop_column("contact_key")
        batch.drop_column("purpose")
