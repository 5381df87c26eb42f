"""outbox_message.reply_token: the answer to an event is an outbox row of kind reply

Revision ID: 0004
Revises: 0009
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("reply_token", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reply_token_fresh_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("inbound_event") as batch:
        batch.create_index("ix_inbound_event_state_timestamp", ["state", "timestamp", "id"])


def downgrade() -> None:
    with op.batch_alter_table("inbound_event") as batch:
        batch.drop_index("ix_inbound_event_state_timestamp")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("reply_token_fresh_until")
        batch.drop_column("reply_token")
