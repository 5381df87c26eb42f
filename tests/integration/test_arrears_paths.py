"""The arrears engine's two paths (current and as-of) give the same answer, on both engines.

The current path starts from each installment's paid-so-far, which the ledger maintains;
the as-of path sums allocations. The data goes through the real ledger and relief functions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text

import models.arrears as arrears
from bench.generate import BENCH_AS_OF, generate, prepare_schema
from models.arrears import (
    AS_OF_PATH,
    CURRENT,
    area_arrears,
    choose_path,
    contract_arrears,
    fund_totals,
)
from models.base import Database
from models.contract import Installment
from models.ledger import record_payment, reverse_payment
from models.payment import Allocation
from models.relief_rules import add_moratorium, restructure
from models.types import Frequency, FundKind, PaymentChannel
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_fund, make_village

D = Decimal
CASH = PaymentChannel.CASH_OFFICER
# The one allocation dated after every other: the current path must take it back before.
FUTURE = date(2025, 12, 1)
DATES = [
    date(2024, 12, 31),
    date(2025, 1, 1),
    date(2025, 2, 1),
    date(2025, 2, 15),
    date(2025, 3, 1),
    date(2025, 3, 2),
    date(2025, 4, 10),
    date(2025, 5, 15),
    date(2025, 6, 15),
    date(2025, 7, 16),
    date(2025, 9, 30),
    date(2025, 11, 30),
    FUTURE,
    date(2026, 6, 1),
    date(2027, 3, 1),
]


def pay(session, contract, amount: str, on: date):
    return record_payment(session, TEST_ACTOR, contract, D(amount), on, CASH)


@pytest.fixture
def province(session):
    """Contracts in two districts and both funds: every kind of history the engine meets."""
    home = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    other = make_village(session, "เมืองสระบุรี/ปากเพรียว/หมู่ 2")

    def loan(no, village=home, **terms):
        borrower = make_borrower(session, f"นาง ผู้กู้ {no}", village=village)
        return make_contract(session, no, borrower=borrower, **terms)

    on_time = loan("A-1", rate="12")
    for month in range(2, 9):
        pay(session, on_time, "1120" if month == 2 else "1100", date(2025, month, 1))
    part = loan("B-1", rate="6")
    pay(session, part, "1060", date(2025, 2, 1))
    pay(session, part, "500", date(2025, 3, 5))
    wrong = loan("C-1")
    mistake = pay(session, wrong, "1000", date(2025, 2, 1))
    reverse_payment(session, TEST_ACTOR, mistake, "entered twice")
    pay(session, wrong, "1000", date(2025, 2, 20))
    pay(session, wrong, "2500", date(2025, 3, 1))
    deferred = loan("D-1", village=other)
    pay(session, deferred, "2000", date(2025, 3, 1))
    add_moratorium(
        session, TEST_ACTOR, deferred, round_no=1, start=date(2025, 5, 1), end=date(2025, 7, 31)
    )
    pay(session, deferred, "1000", date(2025, 9, 1))
    replaced = loan("E-1", rate="12", village=other)
    pay(session, replaced, "1120", date(2025, 2, 1))
    pay(session, replaced, "600", date(2025, 3, 1))
    restructure(
        session,
        TEST_ACTOR,
        replaced,
        installments=6,
        first_due=date(2025, 7, 15),
        rate=D("3"),
        effective=date(2025, 6, 15),
    )
    pay(session, replaced, "1500", date(2025, 7, 15))
    ahead = loan("F-1")
    pay(session, ahead, "1000", date(2025, 2, 1))
    pay(session, ahead, "3000", FUTURE)
    settled = loan("G-1", principal="6000", count=6)
    pay(session, settled, "6500", date(2025, 3, 1))  # 500 beyond the debt stays as credit
    kkcj = make_fund(session, FundKind.KKCJ, village=home)
    yearly = loan(
        "H-1",
        principal="20000",
        count=4,
        contract_date=date(2025, 6, 1),
        first_due=date(2026, 6, 1),
        frequency=Frequency.YEARLY,
        fund=kkcj,
    )
    pay(session, yearly, "2500", date(2025, 11, 30))
    session.commit()
    return {"borrower_of_b": part.borrower_id}


def both_paths(call):
    """What `call(path)` answers on the current path, the as-of path and the automatic one."""
    return call(CURRENT), call(AS_OF_PATH), call("auto")


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_both_paths_agree_row_for_row(session, province, as_of):
    current, full, auto = both_paths(
        lambda path: contract_arrears(session, as_of, scope=None, path=path)
    )
    assert current == full
    assert auto == full
    for level in ("province", "district", "subdistrict", "village"):
        current, full, auto = both_paths(
            lambda path, level=level: area_arrears(session, as_of, level=level, path=path)
        )
        assert current == full == auto
    current, full, auto = both_paths(lambda path: fund_totals(session, as_of, path=path))
    assert current == full == auto


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_both_paths_agree_for_one_borrower_contract_and_scope(session, province, as_of):
    borrower = province["borrower_of_b"]
    for query in (
        {"borrower_id": borrower},
        {"contract_no": "E-1"},
        {"scope": ["สระบุรี/เมืองสระบุรี"]},
        {"fund_kind": FundKind.KKCJ},
    ):
        scope = query.pop("scope", None)
        current, full, auto = both_paths(
            lambda path, query=query, scope=scope: contract_arrears(
                session, as_of, scope=scope, path=path, **query
            )
        )
        assert current == full == auto


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_the_province_rows_equal_each_contract_asked_alone(session, province, as_of):
    """The province's rows, built a column at a time from the driver's tuples, are what
    one contract's query (named in SQL, through SQLAlchemy's rows) answers, in order."""
    rows = contract_arrears(session, as_of, scope=None)
    alone = [
        one
        for row in rows
        for one in contract_arrears(session, as_of, scope=None, contract_no=row.contract_no)
        if one.fund == row.fund
    ]
    assert rows == alone
    assert rows == sorted(rows, key=lambda r: (r.area, r.contract_no, r.fund))
    for row in rows:
        for amount in (row.outstanding_principal, row.overdue_amount, row.next_due_amount):
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
        assert row.next_due_date is None or type(row.next_due_date) is date
        assert type(row.days_past_due) is int


def test_the_data_meets_every_class(session, province):
    """The comparison is worth something only if the data reaches every situation."""
    seen = {row.debtor_class for day in DATES for row in contract_arrears(session, day, scope=None)}
    assert seen >= {"normal", "late", "defaulted", "moratorium", "restructured", "paid_off"}
    assert "restructured_late" in {
        r.debtor_class for r in contract_arrears(session, date(2025, 7, 16), scope=None)
    }


def test_paid_so_far_equals_the_allocations(session, province):
    assert _mismatched_installments(session) == 0


def _mismatched_installments(session) -> int:
    """Installments whose paid-so-far differs from the sum of their allocations."""
    sums = (
        select(
            Allocation.installment_id,
            func.sum(Allocation.principal).label("principal"),
            func.sum(Allocation.interest).label("interest"),
        )
        .group_by(Allocation.installment_id)
        .subquery()
    )
    paid_principal = func.coalesce(sums.c.principal, 0)
    paid_interest = func.coalesce(sums.c.interest, 0)
    return session.scalar(
        select(func.count())
        .select_from(Installment)
        .outerjoin(sums, sums.c.installment_id == Installment.id)
        .where(
            (Installment.principal_paid != paid_principal)
            | (Installment.interest_paid != paid_interest)
        )
    )


def test_choose_path_falls_back_when_allocations_are_dated_after_the_day(session, province):
    # Only F-1's payment is dated after 30 Nov 2025: three allocations, on #2, #3 and #4.
    assert choose_path(session, FUTURE) == CURRENT
    assert choose_path(session, FUTURE, max_later=0) == CURRENT
    assert choose_path(session, date(2025, 11, 30), max_later=0) == AS_OF_PATH
    assert choose_path(session, date(2025, 11, 30), max_later=2) == AS_OF_PATH
    assert choose_path(session, date(2025, 11, 30), max_later=3) == CURRENT
    assert choose_path(session, date(2025, 11, 30)) == CURRENT


@pytest.fixture
def statements(db):
    """The SQL statements run on `db` from now on."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def _path_taken(statements: list[str]) -> str:
    """Which path the last arrears statement took, from the CTEs it names."""
    [statement] = [s for s in statements if "per_contract" in s][-1:]
    if "paid AS" in statement:
        return "as_of"
    return "current, taking back later allocations" if "later AS" in statement else "current"


def test_the_automatic_choice(session, province, statements, monkeypatch):
    contract_arrears(session, FUTURE, scope=None)
    assert _path_taken(statements) == "current"
    contract_arrears(session, date(2025, 11, 30), scope=None)
    assert _path_taken(statements) == "current, taking back later allocations"
    area_arrears(session, date(2025, 11, 30), level="district")
    assert _path_taken(statements) == "current, taking back later allocations"
    contract_arrears(session, date(2025, 11, 30), scope=None, borrower_id=1)
    assert _path_taken(statements) == "current, taking back later allocations"

    monkeypatch.setattr(arrears, "MAX_LATER_ALLOCATIONS", 0)
    contract_arrears(session, date(2025, 11, 30), scope=None)
    assert _path_taken(statements) == "as_of"
    fund_totals(session, date(2025, 11, 30))
    assert _path_taken(statements) == "as_of"
    contract_arrears(session, FUTURE, scope=None)
    assert _path_taken(statements) == "current"


def test_an_unknown_path_is_refused(session):
    with pytest.raises(ValueError, match="arrears path"):
        contract_arrears(session, FUTURE, scope=None, path="fast")


@pytest.fixture
def bench_database(db, tmp_path):
    """An empty database of `db`'s engine for the benchmark's generator (its own schema)."""
    if db.is_sqlite:
        database = Database(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
        yield database
        database.dispose()
        return
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS bench_check CASCADE"))
        connection.execute(text("CREATE SCHEMA bench_check"))
    database = Database(db.url, connect_args={"options": "-csearch_path=bench_check"})
    yield database
    database.dispose()
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA bench_check CASCADE"))


def test_the_benchmark_data_keeps_paid_so_far_and_both_paths_agree(bench_database):
    prepare_schema(bench_database)
    generate(bench_database, contracts=400, installments_per_contract=10, seed=3)
    with bench_database.sessions() as session:
        assert _mismatched_installments(session) == 0
        for as_of in (BENCH_AS_OF, date(2026, 6, 30)):
            current, full, auto = both_paths(
                lambda path, as_of=as_of: contract_arrears(session, as_of, scope=None, path=path)
            )
            assert len(full) == 400
            assert current == full == auto
