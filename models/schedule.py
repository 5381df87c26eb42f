"""Installment schedules: equal principal, interest on the declining balance."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.base import SATANG
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.errors import DomainError
from models.fund import Fund
from models.staff import Staff
from models.types import ContractStatus, Frequency

MONTHS_PER_PERIOD = {Frequency.MONTHLY: 1, Frequency.YEARLY: 12}
PERIODS_PER_YEAR = {Frequency.MONTHLY: 12, Frequency.YEARLY: 1}
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class ScheduleLine:
    """One installment of a schedule, before it is stored."""

    seq: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        """Principal plus interest."""
        return self.principal + self.interest


def round_satang(amount: Decimal) -> Decimal:
    """Baht rounded half-up to the satang."""
    return Decimal(amount).quantize(SATANG, rounding=ROUND_HALF_UP)


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, keeping the day but clamping to the month's end."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    # calendar.monthrange would also work out the weekday: a bulk load calls this ~1M times.
    last_day = _DAYS_IN_MONTH[month] + (month == 1 and calendar.isleap(year))
    return date(year, month + 1, min(start.day, last_day))


def add_periods(start: date, periods: int, frequency: Frequency) -> date:
    """`start` moved by whole periods (months or years) of `frequency`."""
    # A plain "monthly" finds its Frequency too: StrEnum members hash as their values.
    return add_months(start, periods * MONTHS_PER_PERIOD[frequency])


def build_schedule(
    principal: Decimal,
    annual_rate: Decimal,
    first_due: date,
    count: int,
    frequency: Frequency,
) -> list[ScheduleLine]:
    """The installments repaying `principal` in `count` equal parts, interest on the balance."""
    principal = round_satang(Decimal(principal))
    annual_rate = Decimal(annual_rate)
    frequency = Frequency(frequency)
    if count < 1:
        raise ValueError("a schedule needs at least one installment")
    part = round_satang(principal / count)
    periodic_rate = annual_rate / 100 / PERIODS_PER_YEAR[frequency]
    lines = []
    balance = principal
    for seq in range(1, count + 1):
        # Equal parts rounded to the satang; the last takes whatever rounding left over.
        share = part if seq < count else balance
        lines.append(
            ScheduleLine(
                seq=seq,
                # Each date from the first one, so 31 Jan -> 28 Feb -> 31 Mar, not 28 Mar.
                due_date=add_periods(first_due, seq - 1, frequency),
                principal=share,
                interest=round_satang(balance * periodic_rate),
            )
        )
        balance -= share
    return lines


def installment_values(
    lines: list[ScheduleLine], *, schedule_no: int, effective_from: date
) -> list[dict]:
    """The column values of unpaid installments for schedule lines."""
    return [
        {
            "schedule_no": schedule_no,
            "seq": line.seq,
            "due_date": line.due_date,
            "original_due_date": line.due_date,
            "principal_due": line.principal,
            "interest_due": line.interest,
            "principal_paid": Decimal(0),
            "interest_paid": Decimal(0),
            "effective_from": effective_from,
        }
        for line in lines
    ]


def installments_for(
    lines: list[ScheduleLine], *, schedule_no: int, effective_from: date
) -> list[Installment]:
    """Unsaved Installment rows for schedule lines."""
    values = installment_values(lines, schedule_no=schedule_no, effective_from=effective_from)
    return [Installment(**row) for row in values]


def create_contract(
    session: Session,
    actor: Actor,
    *,
    fund: Fund,
    borrower: Borrower,
    contract_no: str,
    principal: Decimal,
    annual_interest_rate: Decimal,
    contract_date: date,
    first_due_date: date,
    installment_count: int,
    frequency: Frequency,
    officer: Staff | None = None,
) -> Contract:
    """A new contract with its installment schedule (schedule 1), audited."""
    principal, annual_interest_rate = checked_terms(
        principal, annual_interest_rate, installment_count, contract_date, first_due_date
    )
    frequency = Frequency(frequency)
    lines = build_schedule(
        principal, annual_interest_rate, first_due_date, installment_count, frequency
    )
    contract = Contract(
        fund=fund,
        borrower=borrower,
        contract_no=contract_no.strip(),
        principal=principal,
        annual_interest_rate=annual_interest_rate,
        contract_date=contract_date,
        first_due_date=first_due_date,
        installment_count=installment_count,
        frequency=frequency,
        officer_id=officer.id if officer is not None else None,
        status=ContractStatus.ACTIVE,
        schedule_no=1,
    )
    contract.installments = installments_for(lines, schedule_no=1, effective_from=contract_date)
    session.add(contract)
    session.flush()
    audit(
        session,
        actor,
        "contract.create",
        "contract",
        contract.id,
        after={
            "fund_id": fund.id,
            "contract_no": contract.contract_no,
            "borrower_id": borrower.id,
            "principal": principal,
            "annual_interest_rate": str(annual_interest_rate),
            "contract_date": contract_date,
            "first_due_date": first_due_date,
            "installment_count": installment_count,
            "frequency": frequency,
            "officer_id": contract.officer_id,
        },
    )
    return contract


def checked_terms(
    principal: Decimal, rate: Decimal, count: int, contract_date: date, first_due_date: date
) -> tuple[Decimal, Decimal]:
    """The principal (to the satang) and the rate of a new contract; terms no schedule can be
    built from are refused."""
    principal = round_satang(Decimal(principal))
    rate = Decimal(rate)
    _check_terms(principal, rate, count)
    if first_due_date < contract_date:
        raise DomainError("first_due_before_contract")
    return principal, rate


def _check_terms(principal: Decimal, rate: Decimal, count: int) -> None:
    """Refuse terms no schedule can be built from."""
    if principal <= 0:
        raise DomainError("principal_not_positive")
    if rate < 0:
        raise DomainError("rate_negative")
    if count < 1:
        raise DomainError("contract_needs_installment")
