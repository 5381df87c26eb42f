"""Webhook events as received from LINE, stored once each (deduplicated by webhookEventId)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

PENDING = "pending"
DONE = "done"
FAILED = "failed"
IGNORED = "ignored"
IS_PENDING = f"state = '{PENDING}'"
# Not LINE's webhook shape (or a value no database can store): kept, with the reason, unhandled.
REJECTED = "rejected"


class InboundEvent(Base):
    """One webhook event; the unique key makes every redelivery a no-op across workers."""

    __tablename__ = "inbound_event"
    # The queue's indexes hold the pending rows only: an event enters them when stored and
    # leaves when handled, so they stay as small as the backlog however long the history
    # grows, and marking an event handled writes no entry to them. A query uses them by
    # naming the state as a literal (`is_pending`): a bound value proves nothing to SQLite's
    # planner, nor to a generic plan of PostgreSQL's.
    __table_args__ = (
        UniqueConstraint("webhook_event_id"),
        # The handler pool takes pending events oldest first.
        Index(
            "ix_inbound_event_pending",
            "timestamp",
            "id",
            sqlite_where=text(IS_PENDING),
            postgresql_where=text(IS_PENDING),
        ),
        # The scheduler looks for events stored long ago and still pending.
        Index(
            "ix_inbound_event_pending_received",
            "received_at",
            sqlite_where=text(IS_PENDING),
            postgresql_where=text(IS_PENDING),
        ),
        # Whether a user has an earlier event still pending (a handler takes a user's events
        # in order).
        Index(
            "ix_inbound_event_pending_user",
            "user_id",
            "timestamp",
            "id",
            sqlite_where=text(IS_PENDING),
            postgresql_where=text(IS_PENDING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    # LINE's event time in milliseconds since the epoch; events are handled in this order.
    timestamp: Mapped[int] = mapped_column(BigInteger)
    is_redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<InboundEvent {self.id} {self.event_type} {self.state}>"


def is_pending(table=None):
    """`state = 'pending'` with the value written in the SQL, so the partial indexes serve it."""
    state = (table if table is not None else InboundEvent.__table__).c.state
    return state == literal_column(f"'{PENDING}'")


def event_key(event: dict) -> str:
    """The event's webhookEventId, or a stable hash of its JSON when LINE sent none."""
    key = event.get("webhookEventId")
    if isinstance(key, str) and key:
        return key[:80]
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # surrogatepass: a lone surrogate (a rejected event) still hashes, and valid text is unchanged.
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
