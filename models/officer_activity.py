"""What field officers did in a period: visits, notes, payments taken, promises and how they
ended, counted from their field reports (models/field_reports.py) about debtors in an area.

Only reports still standing count (an undone report has `reversed_at`), and a payment counts
while it stands confirmed (a reversed one took no money in the end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from models.area import Area, within
from models.base import from_satang
from models.borrower import Borrower
from models.contract import Contract
from models.dashboard_queries import inside
from models.field_reports import (
    BROKEN,
    KEPT,
    NOTE,
    OPEN,
    PARTIAL,
    PAYMENT,
    PROMISE,
    VISIT,
    FieldReport,
)
from models.payment import Payment
from models.staff import Staff, staff_area
from models.types import PaymentState, Role

ZERO = Decimal("0.00")
PROMISE_OUTCOMES = (KEPT, PARTIAL, BROKEN, OPEN)
REPORT_KINDS = (VISIT, PAYMENT, PROMISE, NOTE)


@dataclass
class OfficerActivity:
    """One officer's counts for the period."""

    officer_id: int
    name: str
    visits: int = 0
    notes: int = 0
    payments: int = 0
    paid: Decimal = ZERO
    promises: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROMISE_OUTCOMES, 0))


def _reports_in(scope: list[str], start: date, end: date):
    """Standing reports dated in [start, end] about borrowers inside `scope`."""
    return (
        select(FieldReport)
        .join(Borrower, Borrower.id == FieldReport.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(
            within(Area.path, scope),
            FieldReport.reported_on.between(start, end),
            FieldReport.reversed_at.is_(None),
        )
    )


def officer_activity(
    session: Session, scope: list[str], start: date, end: date
) -> list[OfficerActivity]:
    """Every field officer of `scope` (and anyone else who reported there), by name."""
    reports = _reports_in(scope, start, end).subquery()
    confirmed = Payment.state == PaymentState.CONFIRMED
    counted = session.execute(
        select(
            reports.c.officer_id,
            reports.c.kind,
            reports.c.promise_status,
            func.count(),
            # Whole satang, summed as integers (exact on SQLite too).
            func.sum(case((confirmed, type_coerce(Payment.amount, BigInteger)), else_=0)),
            func.count(Payment.id).filter(confirmed),
        )
        .outerjoin(Payment, Payment.id == reports.c.payment_id)
        .group_by(reports.c.officer_id, reports.c.kind, reports.c.promise_status)
    ).all()
    area = aliased(Area)
    assigned = select(staff_area.c.staff_id).join(area, area.id == staff_area.c.area_id)
    officer_ids = {row[0] for row in counted}
    officers = session.scalars(
        select(Staff)
        .where(
            (Staff.id.in_(officer_ids))
            | (
                (Staff.role == Role.FIELD_OFFICER)
                & Staff.active.is_(True)
                & Staff.id.in_(assigned.where(within(area.path, scope)))
            )
        )
        .order_by(Staff.name, Staff.id)
    ).all()
    by_id = {s.id: OfficerActivity(officer_id=s.id, name=s.name) for s in officers}
    for officer_id, kind, outcome, count, amount, payments in counted:
        activity = by_id[officer_id]
        if kind == VISIT:
            activity.visits += count
        elif kind == NOTE:
            activity.notes += count
        elif kind == PAYMENT:
            activity.payments += payments
            activity.paid += from_satang(amount)
        elif kind == PROMISE:
            activity.promises += count
            if outcome in activity.outcomes:
                activity.outcomes[outcome] += count
    return list(by_id.values())


@dataclass(frozen=True)
class ReportLine:
    """One report in an officer's list."""

    report: FieldReport
    borrower_name: str
    area: str
    contract_no: str | None
    payment: Payment | None


def officer_reports(
    session: Session, scope: list[str], officer_id: int, start: date, end: date
) -> tuple[Staff, list[ReportLine]] | None:
    """The officer and their reports of the period about borrowers in `scope`, newest first;
    None when the officer neither works in `scope` nor reported there (as if absent)."""
    officer = session.get(Staff, officer_id)
    if officer is None:
        return None
    query = (
        _reports_in(scope, start, end)
        .add_columns(Borrower, Area.path, Contract.contract_no, Payment)
        .outerjoin(Contract, Contract.id == FieldReport.contract_id)
        .outerjoin(Payment, Payment.id == FieldReport.payment_id)
        .where(FieldReport.officer_id == officer_id)
        .order_by(FieldReport.reported_on.desc(), FieldReport.id.desc())
        .limit(500)
    )
    lines = [
        ReportLine(report, borrower.display_name, path, contract_no, payment)
        for report, borrower, path, contract_no, payment in session.execute(query)
    ]
    if not lines and not any(inside(a.path, scope) for a in officer.areas):
        return None
    return officer, lines
