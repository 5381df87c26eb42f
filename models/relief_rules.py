"""Relief measures on a contract: moratorium (พักชำระหนี้) and restructuring (ปรับโครงสร้างหนี้)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.base import Rate
from models.contract import Contract, Installment
from models.errors import DomainError
from models.ledger import ZERO, open_installments, outstanding
from models.relief import ReliefMeasure
from models.schedule import (
    MONTHS_PER_PERIOD,
    add_months,
    build_schedule,
    installments_for,
)
from models.types import ContractStatus, Frequency, ReliefKind

# No real moratorium lasts this long; it stops a runaway loop on absurd dates.
MAX_DEFERRAL_PERIODS = 1200


def add_moratorium(
    session: Session, actor: Actor, contract: Contract, *, round_no: int, start: date, end: date
) -> ReliefMeasure:
    """Defer the unpaid installments falling due in [start, end] past the end; no interest."""
    check_moratorium(contract, round_no=round_no, start=start, end=end)
    if _has_round(session, contract, round_no):
        raise DomainError("moratorium_round_exists", round=round_no, contract=contract.contract_no)
    frequency = Frequency(contract.frequency)
    deferred, periods, before = defer(contract, start, end)
    measure = ReliefMeasure(
        contract=contract,
        kind=ReliefKind.MORATORIUM,
        round_no=round_no,
        start_date=start,
        end_date=end,
        terms={
            "periods_deferred": periods,
            "installments_deferred": len(deferred) if periods else 0,
            "frequency": frequency.value,
        },
        recorded_by=actor.name,
    )
    session.add(measure)
    session.flush()
    audit(
        session,
        actor,
        "relief.moratorium",
        "contract",
        contract.id,
        before={"installments": before},
        after=moratorium_after(measure.id, round_no, start, end, deferred, periods),
    )
    return measure


def check_moratorium(contract: Contract, *, round_no: int, start: date, end: date) -> None:
    """Refuse a moratorium that cannot be recorded (the round's uniqueness aside)."""
    if start > end:
        raise DomainError("moratorium_backwards")
    if round_no < 1:
        raise DomainError("moratorium_round_invalid")
    _require_open(contract)


def defer(contract: Contract, start: date, end: date) -> tuple[list, int, list[dict]]:
    """Move the unpaid installments due from `start` past `end`, in memory: the deferred
    installments, by how many periods, and their due dates before (for the audit log).
    Works on any contract-like object (the bulk loader's too)."""
    frequency = Frequency(contract.frequency)
    # Everything unpaid from the start moves by the same whole number of periods, so the
    # schedule keeps one installment per period after the moratorium.
    deferred = [i for i in open_installments(contract) if i.due_date >= start]
    periods = _periods_to_clear(contract, deferred, start, end, frequency)
    before = _due_dates(deferred) if periods else []
    if periods:
        for installment in deferred:
            installment.due_date = _shifted(contract, installment, periods, frequency)
    return deferred, periods, before


def moratorium_after(
    relief_id: int, round_no: int, start: date, end: date, deferred: list, periods: int
) -> dict:
    """What the audit log keeps after a moratorium."""
    return {
        "relief_id": relief_id,
        "round_no": round_no,
        "start": start,
        "end": end,
        "periods_deferred": periods,
        "installments": _due_dates(deferred) if periods else [],
    }


def restructure(
    session: Session,
    actor: Actor,
    contract: Contract,
    *,
    installments: int,
    first_due: date,
    rate: Decimal | None = None,
    frequency: Frequency | None = None,
    effective: date,
) -> ReliefMeasure:
    """Replace what remains of the schedule in force with a new one; the old stays as history."""
    plan = plan_restructuring(
        contract,
        installments=installments,
        first_due=first_due,
        rate=rate,
        frequency=frequency,
        effective=effective,
    )
    new_rows = installments_for(plan.lines, schedule_no=plan.schedule_no, effective_from=effective)
    new_rows[0].interest_due += plan.carried
    contract.installments.extend(new_rows)
    apply_restructuring(contract, plan)
    terms = plan.terms
    measure = ReliefMeasure(
        contract=contract,
        kind=ReliefKind.RESTRUCTURING,
        start_date=effective,
        terms=terms,
        recorded_by=actor.name,
    )
    session.add(measure)
    session.flush()
    audit(
        session,
        actor,
        "relief.restructure",
        "contract",
        contract.id,
        before=plan.before,
        after={"relief_id": measure.id, "effective": effective, **terms},
    )
    return measure


@dataclass
class RestructuringPlan:
    """A restructuring worked out: the new schedule's lines (the first also takes the
    carried interest), and what the audit log and the relief measure keep."""

    schedule_no: int
    rate: Decimal
    frequency: Frequency
    installments: int
    carried: Decimal
    lines: list
    before: dict
    terms: dict


def plan_restructuring(
    contract: Contract,
    *,
    installments: int,
    first_due: date,
    rate: Decimal | None,
    frequency: Frequency | None,
    effective: date,
) -> RestructuringPlan:
    """Check a restructuring and work it out; supersedes the unpaid installments in memory.
    Works on any contract-like object (the bulk loader's too)."""
    if installments < 1:
        raise DomainError("schedule_needs_installment")
    if first_due < effective:
        raise DomainError("restructure_first_due_early")
    if effective < contract.contract_date:
        raise DomainError("restructure_before_contract")
    rate = contract.annual_interest_rate if rate is None else Decimal(rate)
    if rate < 0:
        raise DomainError("rate_negative")
    frequency = Frequency(frequency or contract.frequency)
    _require_open(contract)

    principal = outstanding(contract)
    if principal <= 0:
        raise DomainError("nothing_to_restructure", contract=contract.contract_no)
    superseded = open_installments(contract)
    # Interest that fell due before the restructuring and was not paid is not forgiven:
    # it is carried onto the first new installment. Interest not yet due is dropped; the
    # new schedule charges interest on the outstanding principal from here on.
    carried = sum(
        (i.interest_due - i.interest_paid for i in superseded if i.due_date <= effective), ZERO
    )
    before = {
        "schedule_no": contract.schedule_no,
        "annual_interest_rate": rate_text(contract.annual_interest_rate),
        "frequency": contract.frequency,
        "installment_count": contract.installment_count,
        "outstanding_principal": principal,
        "superseded_installments": [i.id for i in superseded],
    }
    for installment in superseded:
        # Paid parts stay on the old installment; only what was unpaid moves on.
        installment.superseded_on = effective
    schedule_no = contract.schedule_no + 1
    terms = {
        "schedule_no": schedule_no,
        "installments": installments,
        "first_due": first_due.isoformat(),
        "annual_interest_rate": rate_text(rate),
        "frequency": frequency.value,
        "principal": f"{principal:.2f}",
        "carried_interest": f"{carried:.2f}",
    }
    lines = build_schedule(principal, rate, first_due, installments, frequency)
    return RestructuringPlan(
        schedule_no, rate, frequency, installments, carried, lines, before, terms
    )


def apply_restructuring(contract: Contract, plan: RestructuringPlan) -> None:
    """The contract's terms after the restructuring."""
    contract.schedule_no = plan.schedule_no
    contract.annual_interest_rate = plan.rate
    contract.frequency = plan.frequency
    contract.installment_count = plan.installments


def rate_text(rate: Decimal) -> str:
    """A rate as people write it: "12", "7.5", "0"."""
    return format(Decimal(rate).quantize(Rate.SCALE).normalize(), "f")


def _require_open(contract: Contract) -> None:
    """Refuse relief on a contract that is paid off or closed."""
    if contract.status is not ContractStatus.ACTIVE:
        raise DomainError("contract_not_active", contract=contract.contract_no)


def _has_round(session: Session, contract: Contract, round_no: int) -> bool:
    """True when this moratorium round is already recorded."""
    query = select(ReliefMeasure.id).where(
        ReliefMeasure.contract_id == contract.id,
        ReliefMeasure.kind == ReliefKind.MORATORIUM,
        ReliefMeasure.round_no == round_no,
    )
    return session.scalar(query) is not None


def _periods_to_clear(
    contract: Contract, deferred: list[Installment], start: date, end: date, frequency: Frequency
) -> int:
    """The fewest whole periods that move every deferred installment out of [start, end]."""
    if not deferred or deferred[0].due_date > end:
        return 0
    # The earliest one is the last to leave the window when all move together.
    earliest = deferred[0]
    for periods in range(1, MAX_DEFERRAL_PERIODS + 1):
        if _shifted(contract, earliest, periods, frequency) > end:
            return periods
    raise DomainError("moratorium_too_long")


def _shifted(
    contract: Contract, installment: Installment, periods: int, frequency: Frequency
) -> date:
    """The due date moved by whole periods, counted from its schedule's first due date.

    Every date of a schedule is its first date plus whole months, so counting from there
    keeps month-end dates: 28 Feb in a schedule starting 31 Jan moves to 31 Mar, not 28 Mar.
    """
    anchor = _schedule_start(contract, installment)
    due = installment.due_date
    months_so_far = (due.year - anchor.year) * 12 + due.month - anchor.month
    return add_months(anchor, months_so_far + periods * MONTHS_PER_PERIOD[frequency])


def _schedule_start(contract: Contract, installment: Installment) -> date:
    """The first due date of the installment's schedule, as it was built."""
    for other in contract.installments:
        if other.schedule_no == installment.schedule_no and other.seq == 1:
            return other.original_due_date
    return installment.original_due_date


def _due_dates(installments: list[Installment]) -> list[dict]:
    """The due dates of installments, as the audit log keeps them."""
    return [
        {
            "id": i.id,
            "schedule_no": i.schedule_no,
            "seq": i.seq,
            "due_date": i.due_date,
            "original_due_date": i.original_due_date,
        }
        for i in installments
    ]
