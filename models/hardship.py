"""Hardship requests: a debtor in difficulty asks for a moratorium or a restructuring.

Officers file them on LINE for a debtor of their area, debtors for themselves; staff decide
(`fundbot hardship list`). A request only asks: nothing about the loan changes until staff
add the moratorium or restructuring themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models.area import Area, within
from models.audit import Actor, audit
from models.base import Base, UTCDateTime, utcnow
from models.borrower import Borrower
from models.contract import Contract
from models.errors import DomainError

OPEN = "open"
MORATORIUM = "moratorium"
RESTRUCTURE = "restructure"
REASON_LIMIT = 1000

# Words that say which measure is asked for; otherwise staff choose.
_ASKS = {
    MORATORIUM: ("พักชำระ", "พักหนี้", "moratorium"),
    RESTRUCTURE: ("ปรับโครงสร้าง", "ขยายเวลา", "ยืดเวลา", "restructur"),
}


class HardshipRequest(Base):
    """One request for relief, waiting for staff to decide."""

    __tablename__ = "hardship_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrower.id"), index=True)
    # The contract, when the debtor has only one; staff pick otherwise.
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    # moratorium, restructure, or None (not said).
    measure: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=OPEN, index=True)
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    borrower: Mapped[Borrower] = relationship()
    contract: Mapped[Contract | None] = relationship()


def measure_asked(reason: str) -> str | None:
    """The measure the reason names, if it names one."""
    folded = reason.casefold()
    for measure, words in _ASKS.items():
        if any(word in folded for word in words):
            return measure
    return None


def request_hardship(
    session: Session, actor: Actor, borrower: Borrower, reason: str, *, now: datetime
) -> HardshipRequest:
    """File a request (audited). Raises DomainError hardship_reason_missing or _too_long."""
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("hardship_reason_missing")
    if len(reason) > REASON_LIMIT:
        raise DomainError("hardship_reason_too_long", limit=REASON_LIMIT)
    contracts = session.scalars(
        select(Contract.id).where(Contract.borrower_id == borrower.id)
    ).all()
    request = HardshipRequest(
        borrower_id=borrower.id,
        contract_id=contracts[0] if len(contracts) == 1 else None,
        measure=measure_asked(reason),
        reason=reason,
        status=OPEN,
        requested_by=actor.name,
        created_at=now,
    )
    session.add(request)
    session.flush()
    audit(
        session,
        actor,
        "hardship.request",
        "hardship_request",
        request.id,
        None,
        {
            "borrower_id": borrower.id,
            "contract_id": request.contract_id,
            "measure": request.measure,
            "reason": reason,
            "status": OPEN,
        },
    )
    return request


def hardship_requests(
    session: Session, *, scope: list[str] | None = None, status: str | None = OPEN
) -> list[HardshipRequest]:
    """Requests of debtors inside `scope` (None: everywhere), oldest first."""
    query = (
        select(HardshipRequest)
        .join(Borrower, Borrower.id == HardshipRequest.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .options(
            joinedload(HardshipRequest.borrower).joinedload(Borrower.area),
            joinedload(HardshipRequest.contract),
        )
        .order_by(HardshipRequest.created_at, HardshipRequest.id)
    )
    if scope is not None:
        query = query.where(within(Area.path, scope))
    if status is not None:
        query = query.where(HardshipRequest.status == status)
    return list(session.scalars(query))
