"""The chat simulator's transcript: what users said and what the bot "sent" without LINE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SimulatorMessage(Base):
    """One turn in a simulated chat: the bot's reply/push, or a user's message."""

    __tablename__ = "simulator_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The chat the turn appears in: a user id for 1:1 chats, a group id for groups.
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # "bot" or "user"
    kind: Mapped[str] = mapped_column(String(16))  # reply, push, multicast or message
    # Who spoke, for a user's turn in a group chat.
    user_id: Mapped[str | None] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(100), index=True)
    messages: Mapped[list[dict]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
