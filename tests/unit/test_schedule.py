"""Installment schedules: equal principal, declining-balance interest, due dates."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.contract import Contract
from models.errors import DomainError
from models.schedule import ScheduleLine, add_months, build_schedule
from models.types import ContractStatus, Frequency
from tests.factories import make_contract

D = Decimal


def test_interest_free_monthly_schedule_splits_principal_equally():
    lines = build_schedule(D("12000"), D("0"), date(2025, 2, 1), 12, Frequency.MONTHLY)

    assert [line.principal for line in lines] == [D("1000.00")] * 12
    assert [line.interest for line in lines] == [D("0.00")] * 12
    assert [line.seq for line in lines] == list(range(1, 13))
    assert lines[0].due_date == date(2025, 2, 1)
    assert lines[10].due_date == date(2025, 12, 1)
    assert lines[11].due_date == date(2026, 1, 1)


def test_monthly_interest_on_declining_balance_and_last_absorbs_rounding():
    # 1000 / 3 = 333.33 twice, 333.34 last; 1% a month on 1000.00, 666.67, 333.34.
    lines = build_schedule(D("1000"), D("12"), date(2025, 1, 31), 3, Frequency.MONTHLY)

    assert lines == [
        ScheduleLine(1, date(2025, 1, 31), D("333.33"), D("10.00")),
        ScheduleLine(2, date(2025, 2, 28), D("333.33"), D("6.67")),
        ScheduleLine(3, date(2025, 3, 31), D("333.34"), D("3.33")),
    ]
    assert sum(line.principal for line in lines) == D("1000.00")


def test_yearly_schedule_from_a_leap_day():
    # 5% a year on 10000.00, 6666.67 (333.3335) and 3333.34 (166.667).
    lines = build_schedule(D("10000"), D("5"), date(2024, 2, 29), 3, Frequency.YEARLY)

    assert lines == [
        ScheduleLine(1, date(2024, 2, 29), D("3333.33"), D("500.00")),
        ScheduleLine(2, date(2025, 2, 28), D("3333.33"), D("333.33")),
        ScheduleLine(3, date(2026, 2, 28), D("3333.34"), D("166.67")),
    ]


def test_rounding_is_half_up_to_the_satang():
    # 0.05 / 2 = 0.025 -> 0.03 (banker's rounding would give 0.02); the last gets 0.02.
    assert [
        line.principal
        for line in build_schedule(D("0.05"), D("0"), date(2025, 1, 1), 2, Frequency.MONTHLY)
    ] == [D("0.03"), D("0.02")]
    # 6% a year on 1.00 for a month is 0.005 -> 0.01; on 0.50 it is 0.0025 -> 0.00.
    lines = build_schedule(D("1"), D("6"), date(2025, 1, 1), 2, Frequency.MONTHLY)
    assert [line.interest for line in lines] == [D("0.01"), D("0.00")]


def test_month_end_dates_are_counted_from_the_first_due_date():
    lines = build_schedule(D("400"), D("0"), date(2025, 1, 31), 4, Frequency.MONTHLY)

    assert [line.due_date for line in lines] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 8, 31), 13, date(2026, 9, 30)),
        (date(2025, 3, 31), 0, date(2025, 3, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


def test_create_contract_stores_the_schedule_and_audits(db, session):
    contract = make_contract(
        session,
        contract_no="W-010",
        principal="1000",
        rate="12",
        first_due=date(2025, 1, 31),
        contract_date=date(2025, 1, 1),
        count=3,
    )
    session.commit()

    with db.sessions() as fresh:
        stored = fresh.scalar(select(Contract).where(Contract.contract_no == "W-010"))
        rows = [
            (
                i.schedule_no,
                i.seq,
                i.due_date,
                i.original_due_date,
                i.principal_due,
                i.interest_due,
                i.principal_paid,
                i.effective_from,
                i.superseded_on,
            )
            for i in stored.installments
        ]
        entry = fresh.scalar(select(AuditEntry).where(AuditEntry.action == "contract.create"))

    assert stored.status is ContractStatus.ACTIVE
    assert stored.principal == D("1000.00")
    assert stored.annual_interest_rate == D("12")
    assert rows == [
        (
            1,
            1,
            date(2025, 1, 31),
            date(2025, 1, 31),
            D("333.33"),
            D("10.00"),
            D("0.00"),
            date(2025, 1, 1),
            None,
        ),
        (
            1,
            2,
            date(2025, 2, 28),
            date(2025, 2, 28),
            D("333.33"),
            D("6.67"),
            D("0.00"),
            date(2025, 1, 1),
            None,
        ),
        (
            1,
            3,
            date(2025, 3, 31),
            date(2025, 3, 31),
            D("333.34"),
            D("3.33"),
            D("0.00"),
            date(2025, 1, 1),
            None,
        ),
    ]
    assert entry.entity_id == contract.id
    assert entry.actor == "test"
    assert entry.after["principal"] == "1000.00"
    assert entry.after["contract_no"] == "W-010"


def test_create_contract_refuses_a_zero_principal(db, session):
    with pytest.raises(DomainError):
        make_contract(session, principal="0")
