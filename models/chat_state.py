"""Per-user chat memory: a pending multi-step exchange, and the language of unlinked users.

A member's memory inside one group has a row of its own, keyed by `group_key`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime

DEFAULT_TTL = timedelta(minutes=30)


class ChatState(Base):
    """What the bot is waiting for from one LINE user (e.g. a slip photo), until it expires."""

    __tablename__ = "chat_state"
    __table_args__ = (UniqueConstraint("line_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    # Language chosen before linking; linked users keep theirs on Borrower/Staff.
    locale: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def group_key(group_id: str, user_id: str) -> str:
    """The key of one member's memory inside one group (an officer's pick there), apart from
    their 1:1 memory: a digest of both ids, which no LINE user id (U...) can equal."""
    return "g" + hashlib.sha256(f"{group_id}/{user_id}".encode()).hexdigest()[:40]


def _row(session: Session, user_id: str) -> ChatState | None:
    return session.scalar(select(ChatState).where(ChatState.line_user_id == user_id))


def _row_for_update(session: Session, user_id: str) -> ChatState:
    row = _row(session, user_id)
    if row is None:
        row = ChatState(line_user_id=user_id)
        session.add(row)
    return row


def pending(session: Session, user_id: str, now: datetime) -> tuple[str, dict] | None:
    """The (state, data) the user is in, or None when nothing is pending or it expired."""
    return pending_in(_row(session, user_id), now)


def pending_in(row: ChatState | None, now: datetime) -> tuple[str, dict] | None:
    """`pending` for a row already loaded (ChatContext.build loads it with the sender)."""
    if row is None or row.state is None or row.expires_at is None or row.expires_at <= now:
        return None
    return row.state, dict(row.data or {})


def set_pending(
    session: Session,
    user_id: str,
    state: str,
    data: dict,
    *,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> None:
    """Remember that the bot waits for `state` from this user, with `data`, for `ttl`."""
    row = _row_for_update(session, user_id)
    row.state, row.data, row.expires_at = state, data, now + ttl


def clear_pending(session: Session, user_id: str) -> None:
    """Forget whatever the bot was waiting for from this user."""
    row = _row(session, user_id)
    if row is not None:
        row.state, row.data, row.expires_at = None, None, None


def preferred_locale(session: Session, user_id: str) -> str | None:
    """The language an unlinked user chose (or LINE told us), if any."""
    row = _row(session, user_id)
    return row.locale if row is not None else None


def set_preferred_locale(session: Session, user_id: str, locale: str) -> None:
    """Remember an unlinked user's language."""
    _row_for_update(session, user_id).locale = locale
