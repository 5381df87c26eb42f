"""The KKCJ fund register: each village fund's own figures on a date.

A village fund (models.fund.Fund of kind KKCJ) keeps its own books: its capital, the
committee that runs it, whether the province has put it under accelerated repayment
follow-up, and how much of its capital is "problem money" (เงินทุนที่มีปัญหา: lent and not
coming back on time) or "damaged money" (เงินทุนที่เสียหาย: judged lost). The offices report
these figures monthly; each report is one entry per fund and date, so any month's figures
can be read again. An entry is never deleted; a corrected figure is an audited update.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.audit import Actor, audit
from models.base import Base, Money, UTCDateTime, utcnow
from models.fund import Fund
from models.types import enum_type


class FundStatus(StrEnum):
    """Where a village fund stands with the province."""

    NORMAL = "normal"
    # Under accelerated repayment follow-up (อยู่ระหว่างเร่งรัดติดตามการชำระเงินยืมตามสัญญา).
    FOLLOWUP = "followup"
    # Dissolved or closed: kept for its history.
    CLOSED = "closed"


class FundRegisterEntry(Base):
    """A village fund's figures as its register states them on `as_of`."""

    __tablename__ = "fund_register_entry"
    __table_args__ = (UniqueConstraint("fund_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    capital: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[FundStatus] = mapped_column(enum_type(FundStatus, "fund_status"))
    problem_money: Mapped[Decimal] = mapped_column(Money)
    damaged_money: Mapped[Decimal] = mapped_column(Money)
    chair_name: Mapped[str | None] = mapped_column(String(200))
    chair_phone: Mapped[str | None] = mapped_column(String(20))
    committee: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund: Mapped[Fund] = relationship()

    @property
    def at_risk(self) -> Decimal:
        """Problem and damaged money together."""
        return self.problem_money + self.damaged_money

    def figures(self) -> dict:
        """The entry's values as the audit log records them."""
        return {name: getattr(self, name) for name in REGISTER_FIELDS}


# The values a register row sets; comparing them decides whether a re-import changes anything.
REGISTER_FIELDS = (
    "capital",
    "status",
    "problem_money",
    "damaged_money",
    "chair_name",
    "chair_phone",
    "committee",
)


def record_entries(
    session: Session, actor: Actor, items: list[tuple[Fund, date, dict]]
) -> list[FundRegisterEntry]:
    """New register entries, each (fund, as_of, figures: the REGISTER_FIELDS), audited; one
    flush for all of them (the demo writes hundreds)."""
    entries = [
        FundRegisterEntry(fund_id=fund.id, as_of=as_of, **figures) for fund, as_of, figures in items
    ]
    session.add_all(entries)
    session.flush()
    for entry, (fund, as_of, figures) in zip(entries, items, strict=True):
        after = {"fund": fund.name, "as_of": as_of, **figures}
        audit(session, actor, "fund_register.create", "fund_register_entry", entry.id, after=after)
    return entries


def latest_entries(session: Session, fund_ids: list[int], on: date) -> dict[int, FundRegisterEntry]:
    """Each fund's newest entry dated `on` or before, by fund id (funds without one absent)."""
    if not fund_ids:
        return {}
    newest = (
        select(FundRegisterEntry.fund_id, func.max(FundRegisterEntry.as_of).label("as_of"))
        .where(FundRegisterEntry.fund_id.in_(fund_ids), FundRegisterEntry.as_of <= on)
        .group_by(FundRegisterEntry.fund_id)
        .subquery()
    )
    entries = session.scalars(
        select(FundRegisterEntry).join(
            newest,
            (newest.c.fund_id == FundRegisterEntry.fund_id)
            & (newest.c.as_of == FundRegisterEntry.as_of),
        )
    )
    return {entry.fund_id: entry for entry in entries}
