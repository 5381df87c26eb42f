"""The outbox: every push and multicast waits here until LINE has accepted it exactly once."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Planned reminders only: beyond this month's quota (held), or no longer applying (dropped).
    HELD = "held"
    DROPPED = "dropped"


class OutboxKind(StrEnum):
    PUSH = "push"
    MULTICAST = "multicast"
    # The answer to a webhook event: sent with its reply token while that works, else pushed
    # (with the row's retry key) to the chat in `recipients`.
    REPLY = "reply"


def new_retry_key() -> str:
    """A fresh X-Line-Retry-Key (a UUID in hexadecimal form, as LINE asks)."""
    return str(uuid.uuid4())


class OutboxMessage(Base):
    """One logical message to one chat (push) or to many users (multicast)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per logical message, e.g. "balance:<event id>", "reminder:<borrower>:<date>".
    dedupe_key: Mapped[str] = mapped_column(String(200))
    # Generated once at insert and never changed: LINE drops a repeat within 24 hours.
    retry_key: Mapped[str] = mapped_column(String(36), default=new_retry_key)
    kind: Mapped[str] = mapped_column(String(12), default=OutboxKind.PUSH)
    # A reply's token while it may still be used; cleared once spent, expired or refused.
    reply_token: Mapped[str | None] = mapped_column(String(64))
    # Until then LINE surely still honours the token: refusing it means our earlier request,
    # cut off by a crash, got through (so the reply is not pushed again).
    reply_token_fresh_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    messages: Mapped[list[dict]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A lease: a sender that dies mid-send leaves a row another sender may take after this.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    # Messages counted against the monthly quota: one per recipient, a group's member count.
    cost: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set on planned reminders (models/reminders.py): the dispatcher asks send_check first.
    purpose: Mapped[str | None] = mapped_column(String(20))
    # Who is contacted ("borrower:12", "group:C..."), for the one-contact-a-day rule.
    contact_key: Mapped[str | None] = mapped_column(String(80), index=True)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status} {self.dedupe_key}>"


class QuotaBlock(Base):
    """LINE answered "monthly limit": pushes wait until the month turns or the quota grows."""

    __tablename__ = "outbox_quota_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The month (Asia/Bangkok, "2026-03") whose quota ran out.
    month: Mapped[str] = mapped_column(String(7), index=True)
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message: Mapped[str] = mapped_column(Text)
    # When the dispatcher last asked LINE whether the quota has room again.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def enqueue(
    session: Session,
    kind: str,
    recipients: list[str],
    messages: list[dict],
    dedupe_key: str,
    priority: int = 5,
) -> OutboxMessage | None:
    """Queue a message in the caller's transaction, once per dedupe_key.

    A key already queued (now or by a concurrent transaction) returns the existing row
    untouched. Nothing to send, or nobody to send it to, returns None.
    """
    if not messages or not recipients:
        return None
    existing = _by_key(session, dedupe_key)
    if existing is not None:
        return existing
    values = {
        "dedupe_key": dedupe_key,
        "retry_key": new_retry_key(),
        "kind": str(kind),
        "recipients": list(recipients),
        "messages": list(messages),
        "priority": priority,
        "status": str(OutboxStatus.QUEUED),
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "cost": len(recipients) if kind == OutboxKind.MULTICAST else 1,
        "created_at": utcnow(),
    }
    # ON CONFLICT DO NOTHING: a concurrent insert of the same key is no error, so the
    # caller's transaction (and its own changes) carries on.
    insert = _INSERTS[session.get_bind().dialect.name]
    session.execute(insert(OutboxMessage).values(values).on_conflict_do_nothing())
    return _by_key(session, dedupe_key)


def enqueue_reply(
    session: Session,
    reply_token: str | None,
    fallback_to: str | None,
    messages: list[dict],
    dedupe_key: str,
    *,
    fresh_until: datetime,
    lease_until: datetime,
    priority: int = 2,
) -> tuple[int, str] | None:
    """Write the answer to an event in the caller's transaction; (row id, retry key).

    With a token the row is born claimed (status sending until `lease_until`): the caller
    sends it as soon as its transaction commits. Without one it waits, queued, for the
    dispatcher to push it. None when the key was already written (or nothing is to be sent).
    """
    values = reply_values(
        reply_token,
        fallback_to,
        messages,
        dedupe_key,
        fresh_until=fresh_until,
        lease_until=lease_until,
        priority=priority,
    )
    if values is None:
        return None
    row_id = enqueue_replies(session, [values]).get(dedupe_key)
    return (row_id, values["retry_key"]) if row_id is not None else None


def reply_values(
    reply_token: str | None,
    fallback_to: str | None,
    messages: list[dict],
    dedupe_key: str,
    *,
    fresh_until: datetime,
    lease_until: datetime,
    priority: int = 2,
) -> dict | None:
    """The row `enqueue_reply` writes, for `enqueue_replies`; None when nothing is to be sent."""
    if not messages or (not reply_token and not fallback_to):
        return None
    now = utcnow()
    return {
        "dedupe_key": dedupe_key,
        "retry_key": new_retry_key(),
        "kind": str(OutboxKind.REPLY),
        "reply_token": reply_token,
        "reply_token_fresh_until": fresh_until if reply_token else None,
        "recipients": [fallback_to] if fallback_to else [],
        "messages": list(messages),
        "priority": priority,
        "status": str(OutboxStatus.SENDING if reply_token else OutboxStatus.QUEUED),
        "claimed_until": lease_until if reply_token else None,
        "attempts": 0,
        "next_attempt_at": now,
        "cost": 0,
        "created_at": now,
    }


def enqueue_replies(session: Session, rows: list[dict]) -> dict[str, int]:
    """Write several answers (`reply_values`) in one statement; dedupe key -> new row id.

    A key already written is left as it is and missing from the result.
    """
    if not rows:
        return {}
    connection = session.connection()
    statement = _reply_insert(connection.dialect.name)
    found = connection.execute(statement, rows[0] if len(rows) == 1 else rows).all()
    return {key: row_id for row_id, key in found}


@cache
def _reply_insert(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once: every answer runs it (for
    several rows, one statement of several VALUES: SQLAlchemy's "insertmanyvalues")."""
    table = OutboxMessage.__table__
    return (
        _INSERTS[dialect](table).on_conflict_do_nothing().returning(table.c.id, table.c.dedupe_key)
    )


def _by_key(session: Session, dedupe_key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
