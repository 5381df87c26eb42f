"""What field officers report from the village: visits, notes, promises to pay, cash taken.

Each report belongs to the debtor's open collection case (one per debtor in arrears, opened
by the first report, closed once the arrears are cleared: models.ledger settles the case
after every confirmed payment, whoever records it), so visits, notes, promises and
payments read as one timeline. A report is never deleted: undo marks it reversed (audited),
and a cash payment is undone by models.ledger.reverse_payment.

A report carries the LINE event that created it (`origin`, unique), so a command answered
twice (a pick tapped twice, a confirmation sent again) stores it once.

A promise ends by itself, from the payments: kept (paid in full by its date), partial, or
broken; a broken promise becomes a visit task for the day after (`settle_promises`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.arrears import contract_arrears
from models.audit import Actor, audit
from models.base import Base, Money, UTCDateTime, utcnow
from models.borrower import Borrower
from models.contract import Contract
from models.errors import DomainError
from models.ledger import reverse_payment
from models.payment import Payment
from models.staff import Staff
from models.types import ContractStatus, PaymentState

VISIT, NOTE, PROMISE, PAYMENT = "visit", "note", "promise", "payment"
OPEN, KEPT, PARTIAL, BROKEN = "open", "kept", "partial", "broken"
CASE_OPEN, CASE_CLOSED = "open", "closed"
UNDO_WINDOW = timedelta(hours=24)
# Photos and a location sent this soon after a visit report belong to it.
ATTACH_WINDOW = timedelta(minutes=10)


class CollectionCase(Base):
    """One debtor's arrears being worked on, from the first report until they are cleared."""

    __tablename__ = "collection_case"
    __table_args__ = (Index("ix_collection_case_borrower_status", "borrower_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrower.id"))
    status: Mapped[str] = mapped_column(String(12), default=CASE_OPEN)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FieldReport(Base):
    """One thing an officer reported about a debtor."""

    __tablename__ = "field_report"
    __table_args__ = (
        UniqueConstraint("origin"),
        Index("ix_field_report_borrower_created", "borrower_id", "created_at"),
        Index("ix_field_report_officer_created", "officer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrower.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("collection_case.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    text: Mapped[str | None] = mapped_column(Text)
    promise_date: Mapped[date | None] = mapped_column(Date)
    promise_amount: Mapped[Decimal | None] = mapped_column(Money)
    promise_status: Mapped[str | None] = mapped_column(String(12), index=True)
    promise_paid: Mapped[Decimal | None] = mapped_column(Money)
    reported_on: Mapped[date] = mapped_column(Date)
    # {"latitude": .., "longitude": .., "address": ..} of a location message.
    location: Mapped[dict | None] = mapped_column(JSON)
    # [{"path": "field_photos/2026/03/<id>.jpg", "sha256": "..."}]
    photos: Mapped[list | None] = mapped_column(JSON)
    origin: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by: Mapped[str | None] = mapped_column(String(120))

    borrower: Mapped[Borrower] = relationship()
    contract: Mapped[Contract | None] = relationship()
    payment: Mapped[Payment | None] = relationship()


# --------------------------------------------------------------------------- writing


def by_origin(session: Session, origin: str) -> FieldReport | None:
    """The report a LINE event already created, if it did."""
    return session.scalar(select(FieldReport).where(FieldReport.origin == origin))


def add_report(
    session: Session,
    actor: Actor,
    officer: Staff,
    borrower: Borrower,
    kind: str,
    today: date,
    *,
    text: str | None = None,
    contract: Contract | None = None,
    payment: Payment | None = None,
    promise_date: date | None = None,
    promise_amount: Decimal | None = None,
    origin: str | None = None,
    case: CollectionCase | None = None,
) -> FieldReport:
    """Store a report in `case`, by default the debtor's open case (opened if needed),
    audited."""
    case = case or open_case(session, actor, borrower, today)
    report = FieldReport(
        kind=kind,
        borrower_id=borrower.id,
        contract_id=contract.id if contract else None,
        officer_id=officer.id,
        case_id=case.id,
        payment_id=payment.id if payment else None,
        text=text,
        promise_date=promise_date,
        promise_amount=promise_amount,
        promise_status=OPEN if kind == PROMISE else None,
        reported_on=today,
        origin=origin,
        created_by=actor.name,
    )
    session.add(report)
    session.flush()
    audit(session, actor, f"field_report.{kind}", "field_report", report.id, None, describe(report))
    return report


def describe(report: FieldReport) -> dict:
    """The report as the audit log keeps it."""
    return {
        "kind": report.kind,
        "borrower_id": report.borrower_id,
        "contract_id": report.contract_id,
        "officer_id": report.officer_id,
        "case_id": report.case_id,
        "payment_id": report.payment_id,
        "text": report.text,
        "promise_date": report.promise_date,
        "promise_amount": report.promise_amount,
        "reported_on": report.reported_on,
    }


def attach_to_visit(
    session: Session,
    actor: Actor,
    officer: Staff,
    now: datetime,
    *,
    location: dict | None = None,
    photo: dict | None = None,
) -> FieldReport | None:
    """Add a location or photo to the officer's visit reported in the last 10 minutes."""
    visit = session.scalar(
        select(FieldReport)
        .where(
            FieldReport.officer_id == officer.id,
            FieldReport.kind == VISIT,
            FieldReport.reversed_at.is_(None),
            FieldReport.created_at >= now - ATTACH_WINDOW,
        )
        .order_by(FieldReport.created_at.desc(), FieldReport.id.desc())
        .limit(1)
    )
    if visit is None:
        return None
    if location is not None:
        visit.location = location
    if photo is not None:
        visit.photos = [*(visit.photos or []), photo]
    session.flush()
    audit(
        session,
        actor,
        "field_report.attach",
        "field_report",
        visit.id,
        None,
        {"location": location} if location is not None else {"photo": photo},
    )
    return visit


# --------------------------------------------------------------------------- undo


def last_entry(session: Session, officer: Staff, now: datetime) -> FieldReport | None:
    """The officer's own last report not yet reversed, if made within 24 hours."""
    return session.scalar(
        select(FieldReport)
        .where(
            FieldReport.officer_id == officer.id,
            FieldReport.reversed_at.is_(None),
            FieldReport.created_at >= now - UNDO_WINDOW,
        )
        .order_by(FieldReport.created_at.desc(), FieldReport.id.desc())
        .limit(1)
    )


def reverse_report(
    session: Session, actor: Actor, report: FieldReport, now: datetime, reason: str
) -> FieldReport:
    """Mark a report reversed (a cash payment gets its reversing payment), audited."""
    if report.reversed_at is not None:
        raise DomainError("report_already_reversed", id=report.id)
    if report.payment is not None:
        reverse_payment(session, actor, report.payment, reason)
    report.reversed_at = now
    report.reversed_by = actor.name
    if report.kind == PROMISE and report.promise_status == OPEN:
        report.promise_status = None
    session.flush()
    audit(
        session,
        actor,
        "field_report.reverse",
        "field_report",
        report.id,
        {"reversed": False},
        {"reversed": True, "reason": reason},
    )
    return report


# --------------------------------------------------------------------------- cases


def current_case(session: Session, borrower: Borrower) -> CollectionCase | None:
    """The debtor's open collection case, if there is one."""
    return session.scalar(
        select(CollectionCase)
        .where(CollectionCase.borrower_id == borrower.id, CollectionCase.status == CASE_OPEN)
        .order_by(CollectionCase.id.desc())
        .limit(1)
    )


def open_case(session: Session, actor: Actor, borrower: Borrower, today: date) -> CollectionCase:
    """The debtor's open case, opened now when there is none."""
    case = current_case(session, borrower)
    if case is not None:
        return case
    case = CollectionCase(
        borrower_id=borrower.id, status=CASE_OPEN, opened_on=today, opened_by=actor.name
    )
    session.add(case)
    session.flush()
    audit(
        session,
        actor,
        "collection_case.open",
        "collection_case",
        case.id,
        None,
        {"borrower_id": borrower.id, "opened_on": today},
    )
    return case


def overdue_of(session: Session, borrower: Borrower, today: date) -> Decimal:
    """What the debtor has overdue today, over all their contracts."""
    rows = contract_arrears(session, today, scope=None, borrower_id=borrower.id)
    return sum((r.overdue_amount for r in rows), Decimal("0.00"))


def close_case_if_cleared(
    session: Session, actor: Actor, borrower: Borrower, today: date
) -> CollectionCase | None:
    """Close the debtor's open case once nothing is overdue; the case closed, else None."""
    case = current_case(session, borrower)
    if case is None or overdue_of(session, borrower, today) > 0:
        return None
    case.status = CASE_CLOSED
    case.closed_on = today
    session.flush()
    audit(
        session,
        actor,
        "collection_case.close",
        "collection_case",
        case.id,
        {"status": CASE_OPEN},
        {"status": CASE_CLOSED, "closed_on": today},
    )
    return case


def settle_case(
    session: Session, actor: Actor, borrower_id: int, today: date
) -> CollectionCase | None:
    """After a payment is confirmed (models.ledger does this on every path): decide the
    debtor's open promises, and close their case once nothing is overdue. The case closed,
    else None."""
    settle_promises(session, actor, today, borrower_id=borrower_id)
    return close_case_if_cleared(session, actor, session.get(Borrower, borrower_id), today)


def timeline(session: Session, borrower: Borrower, limit: int = 5) -> list[FieldReport]:
    """The latest reports of the debtor's open case (or of the debtor), newest first."""
    case = current_case(session, borrower)
    query = select(FieldReport).where(FieldReport.borrower_id == borrower.id)
    if case is not None:
        query = query.where(FieldReport.case_id == case.id)
    return list(
        session.scalars(
            query.order_by(FieldReport.created_at.desc(), FieldReport.id.desc()).limit(limit)
        )
    )


# --------------------------------------------------------------------------- promises


def open_promise(session: Session, borrower_id: int, today: date) -> FieldReport | None:
    """The debtor's open promise whose date has not passed, if any (the latest)."""
    return session.scalar(
        select(FieldReport)
        .where(
            FieldReport.borrower_id == borrower_id,
            FieldReport.kind == PROMISE,
            FieldReport.promise_status == OPEN,
            FieldReport.reversed_at.is_(None),
            FieldReport.promise_date >= today,
        )
        .order_by(FieldReport.promise_date.desc(), FieldReport.id.desc())
        .limit(1)
    )


def paid_towards(session: Session, promise: FieldReport) -> Decimal:
    """Confirmed money the debtor paid from the day of the promise to its date (net of
    reversals)."""
    contracts = select(Contract.id).where(Contract.borrower_id == promise.borrower_id)
    total = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.contract_id.in_(contracts),
            Payment.state.in_([PaymentState.CONFIRMED, PaymentState.REVERSED]),
            Payment.paid_on >= promise.reported_on,
            Payment.paid_on <= promise.promise_date,
        )
    )
    return Decimal(total or 0)


def settle_promises(
    session: Session, actor: Actor, today: date, *, borrower_id: int | None = None
) -> list[FieldReport]:
    """Decide the open promises: kept as soon as paid in full; on the day after their date,
    partial or broken (a broken one becomes a visit task). The promises decided."""
    query = select(FieldReport).where(
        FieldReport.kind == PROMISE,
        FieldReport.promise_status == OPEN,
        FieldReport.reversed_at.is_(None),
    )
    if borrower_id is not None:
        query = query.where(FieldReport.borrower_id == borrower_id)
    decided = []
    for promise in session.scalars(query.order_by(FieldReport.id)).all():
        paid = paid_towards(session, promise)
        if paid >= promise.promise_amount:
            status = KEPT
        elif promise.promise_date >= today:
            continue
        else:
            status = PARTIAL if paid > 0 else BROKEN
        promise.promise_status = status
        promise.promise_paid = paid
        audit(
            session,
            actor,
            "field_report.promise",
            "field_report",
            promise.id,
            {"promise_status": OPEN},
            {"promise_status": status, "paid": paid},
        )
        if status == BROKEN:
            _visit_for_broken(session, promise)
        decided.append(promise)
    session.flush()
    return decided


def _visit_for_broken(session: Session, promise: FieldReport) -> None:
    # Imported here: the reminder planner reads promises, so it imports this module.
    from models.reminders import VisitTask

    key = f"{promise.borrower_id}:promise:{promise.id}"
    if session.scalar(select(VisitTask.id).where(VisitTask.task_key == key)):
        return
    contract_id = promise.contract_id or session.scalar(
        select(Contract.id)
        .where(
            Contract.borrower_id == promise.borrower_id,
            Contract.status == ContractStatus.ACTIVE,
        )
        .order_by(Contract.id)
        .limit(1)
    )
    if contract_id is None:
        return
    session.add(
        VisitTask(
            task_key=key,
            borrower_id=promise.borrower_id,
            contract_id=contract_id,
            officer_id=promise.officer_id,
            area_id=promise.borrower.area_id,
            reason="promise_broken",
            due_date=promise.promise_date,
            amount=promise.promise_amount,
            status="open",
            planned_on=promise.promise_date + timedelta(days=1),
        )
    )
