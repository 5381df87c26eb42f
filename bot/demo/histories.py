"""Loan terms and repayment histories that leave each demo contract in a chosen debtor class.

A plan fixes the terms and the dates that matter (when the borrower stopped paying, the
moratorium rounds, the restructuring); `tell` then records the history in a bulk-load book
(models/bulk_load.py), which applies the rules the staff's functions apply to payments,
moratoriums and restructurings, so the arrears engine sees ordinary data. Every date is
chosen relative to the demo's `today`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from models.bulk_load import Book, NewContract, NewInstallment
from models.ledger import open_installments
from models.schedule import add_months, add_periods
from models.types import Frequency, FundKind, PaymentChannel

CLASSES = (
    "normal",
    "late",
    "defaulted",
    "moratorium",
    "restructured",
    "restructured_late",
    "paid_off",
)
MONTHLY, YEARLY = Frequency.MONTHLY, Frequency.YEARLY
# Days strictly inside one period, so a date that many days on stays before the next one.
PERIOD_DAYS = {MONTHLY: 27, YEARLY: 360}
# Older history is not needed to make the point; it only slows the seeding down.
MAX_PAID_MONTHLY = 18
MORATORIUM_MONTHS = 6
CHANNELS = (PaymentChannel.CASH_OFFICER, PaymentChannel.BANK_TRANSFER, PaymentChannel.OFFICE)


@dataclass(frozen=True)
class Terms:
    """What the contract says."""

    principal: Decimal
    rate: Decimal
    frequency: Frequency
    count: int
    contract_date: date
    first_due: date


@dataclass(frozen=True)
class Restructuring:
    """The new schedule, and how much of it the borrower has paid by today."""

    effective: date
    count: int
    first_due: date
    frequency: Frequency
    paid: int
    partial: bool


@dataclass(frozen=True)
class Plan:
    """One contract's terms and the story of its repayment up to today."""

    debtor_class: str
    terms: Terms
    paid: int
    partial: bool = False
    pay_off_on: date | None = None
    rounds: tuple[tuple[int, date, date], ...] = ()
    restructuring: Restructuring | None = None


def plan_contract(
    rng: random.Random, debtor_class: str, kind: FundKind, is_group: bool, today: date
) -> Plan:
    """Terms and a history that put the contract in `debtor_class` on `today`."""
    principal, rate, frequency, count = _loan(rng, kind, is_group)
    story = _STORIES[debtor_class]
    return story(rng, today, principal, rate, frequency, count)


def tell(book: Book, rng: random.Random, contract: NewContract, plan: Plan, today: date) -> None:
    """Record the plan's history on `contract`: payments, then any relief, in date order."""
    first = list(contract.installments)
    new = plan.restructuring
    # Money paid on the first schedule was paid before it was replaced, and nothing after today.
    latest = min(today, new.effective - timedelta(days=1)) if new else today
    _pay_installments(book, rng, contract, first[: plan.paid], latest)
    if plan.partial:
        _pay_part(book, rng, contract, first[plan.paid], latest)
    if plan.pay_off_on is not None:
        amount = sum((i.remaining for i in open_installments(contract)), Decimal(0))
        book.pay(contract, amount, plan.pay_off_on, _channel(rng))
    for round_no, start, end in plan.rounds:
        book.add_moratorium(contract, round_no=round_no, start=start, end=end)
    if new is not None:
        _tell_restructuring(book, rng, contract, new, today)


def _loan(rng: random.Random, kind: FundKind, is_group: bool):
    """Principal, rate, frequency and installment count, as each fund lends."""
    if kind is FundKind.KKCJ:
        # Village funds lend small sums, interest-free, repaid once a year after the harvest.
        principal = Decimal(rng.randrange(5, 31) * 1000)
        return principal, Decimal(0), YEARLY, rng.choice((1, 2, 2, 3, 3, 4, 5))
    low, high = (30, 101) if is_group else (10, 51)
    principal = Decimal(rng.randrange(low, high) * 1000)
    rate = Decimal(rng.choice((0, 1, 2, 2, 3, 3, 3, 4)))
    # Projects mostly repay once a year; individual members more often monthly.
    if rng.random() < 0.4:
        return principal, rate, MONTHLY, rng.choice((12, 18, 24, 36))
    return principal, rate, YEARLY, rng.choice((2, 3, 3, 4, 5))


def _terms(principal, rate, frequency, count, index: int, due: date) -> Terms:
    """Terms whose installment number `index` (1-based) falls due on `due`."""
    first_due = add_periods(due, -(index - 1), frequency)
    contract_date = add_periods(first_due, -1, frequency)
    return Terms(principal, rate, frequency, count, contract_date, first_due)


def _index(rng: random.Random, frequency: Frequency, count: int) -> int:
    """Which installment is the first one not paid in full (1-based)."""
    cap = MAX_PAID_MONTHLY if frequency is MONTHLY else count
    return rng.randint(1, min(count, cap + 1))


def _normal(rng, today, principal, rate, frequency, count) -> Plan:
    index = _index(rng, frequency, count)
    due = _upcoming(today + timedelta(days=rng.randint(0, PERIOD_DAYS[frequency])))
    terms = _terms(principal, rate, frequency, count, index, due)
    return Plan("normal", terms, paid=index - 1)


def _late(rng, today, principal, rate, frequency, count) -> Plan:
    index = _index(rng, frequency, count)
    due = _past(today - timedelta(days=rng.randint(1, 86)))
    terms = _terms(principal, rate, frequency, count, index, due)
    return Plan("late", terms, paid=index - 1, partial=rng.random() < 0.4)


def _defaulted(rng, today, principal, rate, frequency, count) -> Plan:
    # Many defaulters never paid at all (the report's KKCJ households hit by COVID-19).
    index = 1 if rng.random() < 0.35 else _index(rng, frequency, count)
    due = _past(today - timedelta(days=rng.randint(91, 1100)))
    terms = _terms(principal, rate, frequency, count, index, due)
    return Plan("defaulted", terms, paid=index - 1, partial=rng.random() < 0.3)


def _paid_off(rng, today, principal, rate, frequency, count) -> Plan:
    if frequency is MONTHLY:
        count = min(count, MAX_PAID_MONTHLY)
    if rng.random() < 0.7:
        # Repaid installment by installment; the last fell due some time ago.
        due = _past(today - timedelta(days=rng.randint(1, 720)))
        terms = _terms(principal, rate, frequency, count, count, due)
        return Plan("paid_off", terms, paid=count)
    # Repaid early: what remained, in one sum, a few weeks ago.
    pay_off_on = today - timedelta(days=rng.randint(1, 60))
    index = _index(rng, frequency, count)
    # Less than a period ahead, so the contract was signed before the day it was paid off.
    ahead = 20 if frequency is MONTHLY else 300
    due = _upcoming(pay_off_on + timedelta(days=rng.randint(1, ahead)))
    terms = _terms(principal, rate, frequency, count, index, due)
    return Plan("paid_off", terms, paid=index - 1, pay_off_on=pay_off_on)


def _moratorium(rng, today, principal, rate, frequency, count) -> Plan:
    rounds = _rounds(rng, today)
    first_start = rounds[0][1]
    # The first unpaid installment falls due inside the first round, so it is deferred.
    spread = 25 if frequency is MONTHLY else 150
    due = _upcoming(first_start + timedelta(days=rng.randint(0, spread)))
    index = _index(rng, frequency, count)
    terms = _terms(principal, rate, frequency, count, index, due)
    return Plan("moratorium", terms, paid=index - 1, rounds=rounds)


def _rounds(rng: random.Random, today: date) -> tuple[tuple[int, date, date], ...]:
    """Consecutive six-month rounds 1..N, the last running today; some end within 30 days."""
    last = rng.choice((1, 1, 2, 2, 3, 4))
    ends_in = rng.randint(1, 30) if rng.random() < 0.4 else rng.randint(31, 170)
    end = today + timedelta(days=ends_in)
    rounds = []
    for round_no in range(last, 0, -1):
        start = add_months(end, -MORATORIUM_MONTHS) + timedelta(days=1)
        rounds.append((round_no, start, end))
        end = start - timedelta(days=1)
    return tuple(reversed(rounds))


def _restructured(rng, today, principal, rate, frequency, count) -> Plan:
    return _restructured_story(rng, today, principal, rate, frequency, count, late=False)


def _restructured_late(rng, today, principal, rate, frequency, count) -> Plan:
    return _restructured_story(rng, today, principal, rate, frequency, count, late=True)


def _restructured_story(rng, today, principal, rate, frequency, count, *, late: bool) -> Plan:
    """Fell behind (often after a moratorium ended), was restructured, then kept up or not."""
    new_frequency = MONTHLY if frequency is MONTHLY or rng.random() < 0.2 else YEARLY
    new_count = rng.randint(12, 48) if new_frequency is MONTHLY else rng.randint(2, 5)
    new_index = _index(rng, new_frequency, new_count)
    if late:
        new_due = _past(today - timedelta(days=rng.randint(1, 86)))
    else:
        new_due = _upcoming(today + timedelta(days=rng.randint(0, PERIOD_DAYS[new_frequency])))
    new_first_due = add_periods(new_due, -(new_index - 1), new_frequency)
    # A grace period before the new schedule starts; the restructuring is never in the future.
    effective = min(
        new_first_due - timedelta(days=rng.randint(20, 50)),
        today - timedelta(days=rng.randint(1, 15)),
    )
    restructuring = Restructuring(
        effective=effective,
        count=new_count,
        first_due=new_first_due,
        frequency=new_frequency,
        paid=new_index - 1,
        partial=late and rng.random() < 0.5,
    )
    rounds: tuple[tuple[int, date, date], ...] = ()
    if rng.random() < 0.35:
        # "Debtors whose moratorium ended do not pay": a round ended, then the restructuring.
        end = effective - timedelta(days=rng.randint(30, 200))
        start = add_months(end, -MORATORIUM_MONTHS) + timedelta(days=1)
        rounds = ((1, start, end),)
        stopped = _upcoming(start + timedelta(days=rng.randint(0, 20)))
    else:
        stopped = _past(effective - timedelta(days=rng.randint(30, 420)))
    index = _index(rng, frequency, count)
    terms = _terms(principal, rate, frequency, count, index, stopped)
    debtor_class = "restructured_late" if late else "restructured"
    return Plan(debtor_class, terms, paid=index - 1, rounds=rounds, restructuring=restructuring)


_STORIES = {
    "normal": _normal,
    "late": _late,
    "defaulted": _defaulted,
    "moratorium": _moratorium,
    "restructured": _restructured,
    "restructured_late": _restructured_late,
    "paid_off": _paid_off,
}


def _tell_restructuring(book: Book, rng, contract: NewContract, new: Restructuring, today):
    """Restructure on the effective date, then pay the new schedule as planned."""
    book.restructure(
        contract,
        installments=new.count,
        first_due=new.first_due,
        frequency=new.frequency,
        effective=new.effective,
    )
    schedule = [i for i in contract.installments if i.schedule_no == contract.schedule_no]
    _pay_installments(book, rng, contract, schedule[: new.paid], today)
    if new.partial:
        _pay_part(book, rng, contract, schedule[new.paid], today)


def _pay_installments(
    book: Book, rng, contract: NewContract, installments: list[NewInstallment], latest: date
) -> None:
    """Pay each installment in full, on or near its due date; some payers bundle a quarter."""
    bundle = 3 if contract.frequency is MONTHLY and rng.random() < 0.3 else 1
    lateness = rng.choice((0, 0, 0, 3, 7, 15))
    for start in range(0, len(installments), bundle):
        group = installments[start : start + bundle]
        due = group[-1].due_date
        paid_on = due - timedelta(days=rng.randint(0, 7)) + timedelta(days=rng.randint(0, lateness))
        paid_on = max(min(paid_on, latest), contract.contract_date)
        amount = sum((i.remaining for i in group), Decimal(0))
        book.pay(contract, amount, paid_on, _channel(rng))


def _pay_part(book: Book, rng, contract: NewContract, installment: NewInstallment, latest: date):
    """Pay part of an installment, in round hundreds: what a struggling borrower manages."""
    share = Decimal(rng.randint(30, 80)) / 100
    amount = (installment.remaining * share).quantize(Decimal(100), rounding=ROUND_DOWN)
    if amount <= 0:
        return
    paid_on = min(installment.due_date + timedelta(days=rng.randint(0, 5)), latest)
    paid_on = max(paid_on, contract.contract_date)
    book.pay(contract, amount, paid_on, _channel(rng))


def _channel(rng: random.Random) -> PaymentChannel:
    return rng.choices(CHANNELS, weights=(5, 3, 2))[0]


def _past(day: date) -> date:
    """`day`, moved back to the 28th at most, so every month has it (never later)."""
    return day if day.day <= 28 else day.replace(day=28)


def _upcoming(day: date) -> date:
    """`day`, moved on to the 1st of next month if it is after the 28th (never earlier)."""
    if day.day <= 28:
        return day
    return add_months(day.replace(day=1), 1)
