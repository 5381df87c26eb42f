"""An officer's month: money collected, arrears now against the fiscal year's start, visits.

The fiscal year starts on 1 October: the baseline is the arrears on the 1 October on or
before the date, so "overdue now vs 1 October" says whether the year's work is gaining.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.area import Area, within
from models.arrears import fund_totals
from models.base import from_satang
from models.borrower import Borrower
from models.contract import Contract
from models.payment import Payment
from models.types import PaymentState
from models.visit_tasks import visits_done


@dataclass(frozen=True)
class MonthSummary:
    """The figures of one month for the areas asked about."""

    month: date  # its first day
    as_of: date  # the day "now" means: today, or the month's last day for a past month
    baseline: date  # the 1 October the fiscal year started
    collected: Decimal
    payments: int
    overdue_now: Decimal
    overdue_contracts_now: int
    overdue_baseline: Decimal
    overdue_contracts_baseline: int
    visits: int


def fiscal_year_start(day: date) -> date:
    """The 1 October on or before `day`."""
    return date(day.year if day.month >= 10 else day.year - 1, 10, 1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_summary(
    session: Session, scope: list[str], month: date, today: date, zone: ZoneInfo
) -> MonthSummary:
    """The summary of `month` (any day of it) for debtors inside `scope`."""
    start = month.replace(day=1)
    end = next_month(start)
    as_of = min(today, date.fromordinal(end.toordinal() - 1))
    baseline = fiscal_year_start(as_of)
    collected, count = _collected(session, scope, start, end)
    now = _overdue(session, scope, as_of)
    before = _overdue(session, scope, baseline)
    visits = visits_done(
        session,
        scope,
        datetime.combine(start, time(0), zone),
        datetime.combine(end, time(0), zone),
    )
    return MonthSummary(start, as_of, baseline, collected, count, *now, *before, visits)


def _collected(session: Session, scope: list[str], start: date, end: date) -> tuple[Decimal, int]:
    # A reversed payment and its negative reversal share the date: together they count 0.
    query = (
        select(
            func.coalesce(func.sum(Payment.amount), 0),
            func.count(Payment.id).filter(
                Payment.amount > 0, Payment.state == PaymentState.CONFIRMED
            ),
        )
        .join(Contract, Contract.id == Payment.contract_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(
            Payment.state.in_([PaymentState.CONFIRMED, PaymentState.REVERSED]),
            Payment.paid_on >= start,
            Payment.paid_on < end,
            within(Area.path, scope),
        )
    )
    total, count = session.execute(query).one()
    return _baht(total), int(count or 0)


def _overdue(session: Session, scope: list[str], as_of: date) -> tuple[Decimal, int]:
    totals = fund_totals(session, as_of, scope=scope)
    return (
        sum((t.overdue_amount for t in totals), Decimal("0.00")),
        sum(t.overdue_contracts for t in totals),
    )


def _baht(total) -> Decimal:
    # Money columns sum as satang in SQL (models.base.Money); the type gives baht back.
    if isinstance(total, Decimal):
        return total.quantize(Decimal("0.01"))
    return from_satang(int(total))
