"""Hardship requests: a debtor in difficulty asks for a moratorium or a restructuring.

Officers file them on LINE for a debtor of their area, debtors for themselves. Fund staff,
district heads and admins decide them (`decide_hardship`: `fundbot hardship approve|reject`,
or `ผ่อนผัน` on LINE), each within their areas; field officers may not. A decision is
recorded and audited; an approval does not yet change the loan: the dates of a moratorium
or the terms of a restructuring are for staff to set with `fundbot relief`, as for any other.
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
from models.types import Role

OPEN = "open"
APPROVED = "approved"
REJECTED = "rejected"
DECISIONS = (APPROVED, REJECTED)
# Who may decide: not field officers, who file the requests.
DECIDING_ROLES = frozenset({Role.FUND_STAFF, Role.DISTRICT_HEAD, Role.ADMIN})
NOTE_LIMIT = 300
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


def may_decide(role: Role) -> bool:
    """True when staff of `role` may approve or reject hardship requests."""
    return role in DECIDING_ROLES


def clean_note(note: str) -> str:
    """A decision's note as kept: spaces folded; hardship_note_too_long past NOTE_LIMIT."""
    note = " ".join(note.split())
    if len(note) > NOTE_LIMIT:
        raise DomainError("hardship_note_too_long", limit=NOTE_LIMIT)
    return note


def open_request(
    session: Session, request_id: int, *, scope: list[str] | None, for_update: bool = False
) -> HardshipRequest:
    """The open request `request_id` of a debtor inside `scope` (None: everywhere).

    Raises DomainError hardship_not_found (missing, or outside the scope) or
    hardship_decided (already approved or rejected).
    """
    query = (
        select(HardshipRequest)
        .join(Borrower, Borrower.id == HardshipRequest.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(HardshipRequest.id == request_id)
    )
    if for_update:
        query = query.with_for_update(of=HardshipRequest)
    if scope is not None:
        query = query.where(within(Area.path, scope))
    request = session.scalar(query)
    if request is None:
        raise DomainError("hardship_not_found", id=request_id)
    if request.status != OPEN:
        raise DomainError("hardship_decided", id=request_id, status=request.status)
    return request


def decide_hardship(
    session: Session,
    actor: Actor,
    request_id: int,
    decision: str,
    *,
    scope: list[str] | None,
    note: str = "",
) -> HardshipRequest:
    """Approve or reject an open request of a debtor inside `scope` (None: everywhere), audited.

    Raises DomainError hardship_not_found (missing, or outside the scope) or
    hardship_decided (already approved or rejected: the first decision stands).
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    note = clean_note(note)
    request = open_request(session, request_id, scope=scope, for_update=True)
    request.status = decision
    session.flush()
    audit(
        session,
        actor,
        f"hardship.{'approve' if decision == APPROVED else 'reject'}",
        "hardship_request",
        request.id,
        {"status": OPEN},
        {"status": decision, "measure": request.measure, "note": note or None},
    )
    return request
