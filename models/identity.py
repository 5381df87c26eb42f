"""Who is who on LINE: one-time link codes, failed attempts, and the groups the bot is in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.area import Area
from models.base import Base, UTCDateTime, utcnow
from models.types import FundKind, enum_type

PURPOSE_BORROWER = "borrower"
PURPOSE_STAFF = "staff"
GROUP_REMINDER = "reminder"
GROUP_TEAM = "team"


class LinkCode(Base):
    """A one-time code binding a LINE user to a borrower or a member of staff.

    Only an HMAC of the code is stored, so a copy of the database gives no usable codes.
    """

    __tablename__ = "link_code"
    __table_args__ = (UniqueConstraint("code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))
    borrower_id: Mapped[int | None] = mapped_column(ForeignKey("borrower.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    issued_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(64))
    # A newer code for the same person replaces this one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkAttempt(Base):
    """A code sent by a LINE user; failures are counted (in the database) to stop guessing."""

    __tablename__ = "link_attempt"
    __table_args__ = (Index("ix_link_attempt_user_at", "line_user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set on the failure that reached the limit: codes are refused until then.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkGuard(Base):
    """Wrong codes sent to the bot by all LINE users together, per hour.

    One row ("global"). Redeeming a code locks it first, so redemptions happen one at a
    time and the counters here and in link_attempt are never read stale.
    """

    __tablename__ = "link_guard"
    __table_args__ = (UniqueConstraint("scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    # The hour being counted starts at the first wrong code after the previous one ended.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # Past the limit, codes are checked at most once per interval until this time.
    slow_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the administrators were last told (once an hour while it lasts).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineGroup(Base):
    """A LINE group (or room) registered by an officer as a reminder or working-team group."""

    __tablename__ = "line_group"
    __table_args__ = (UniqueConstraint("group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    fund_kind: Mapped[FundKind | None] = mapped_column(enum_type(FundKind, "fund_kind"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship()

    def __repr__(self) -> str:
        return f"<LineGroup {self.group_id} {self.kind}>"


class LineGroupMember(Base):
    """A user seen in a group (LINE lists members only for verified accounts)."""

    __tablename__ = "line_group_member"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
