"""inbound_event (user_id, timestamp, id) where pending: a user's earlier pending event

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

A handler on PostgreSQL takes an event only when no earlier event of the same user is still
pending; this partial index answers that from the pending rows alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("inbound_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_event_pending_user",
            ["user_id", "timestamp", "id"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_event", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_event_pending_user")
