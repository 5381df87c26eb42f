"""inbound_event: the queue's indexes hold pending rows only; no claim state

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

A handler claims an event by locking it in its handling transaction and marks it handled at
the end; the state `processing` is no longer written (any row left in it by an earlier
version is pending again). The indexes the queue reads (oldest pending first, pending since
long ago) become partial, over the pending rows; the index on user_id served nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.execute("UPDATE inbound_event SET state = 'pending' WHERE state = 'processing'")
    with op.batch_alter_table("inbound_event", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_event_state_received")
        batch_op.drop_index("ix_inbound_event_state_timestamp")
        batch_op.drop_index("ix_inbound_event_user_id")
        batch_op.create_index(
            "ix_inbound_event_pending",
            ["timestamp", "id"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.create_index(
            "ix_inbound_event_pending_received",
            ["received_at"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_event", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_event_pending_received")
        batch_op.drop_index("ix_inbound_event_pending")
        batch_op.create_index("ix_inbound_event_user_id", ["user_id"], unique=False)
        batch_op.create_index(
            "ix_inbound_event_state_timestamp", ["state", "timestamp", "id"], unique=False
        )
        batch_op.create_index(
            "ix_inbound_event_state_received", ["state", "received_at"], unique=False
        )
