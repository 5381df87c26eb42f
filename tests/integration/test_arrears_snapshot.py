"""The kept per-area arrears snapshots equal the full computation after every kind of change.

Each step warms the snapshots for a set of dates (before, on and after the change), commits,
makes one change through the real domain functions, and checks every date against the
engine's full as-of path computed afresh.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models.arrears import AS_OF_PATH, home_area_totals
from models.arrears_snapshot import ArrearsSnapshot, area_totals, overdue_by_date
from models.borrower import Borrower
from models.ledger import confirm_payment, record_payment, reverse_payment
from models.payment import Payment
from models.register_import import import_register
from models.relief_rules import add_moratorium, restructure
from models.types import PaymentChannel, PaymentState
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_village
from tests.integration.test_import import thai_row, write_csv

SCOPE = ["สระบุรี"]
DATES = [date(2025, 10, 1), date(2025, 12, 16), date(2026, 2, 1), date(2026, 3, 15)]
CASH = PaymentChannel.CASH_OFFICER


def _full(session, as_of: date) -> dict:
    totals = home_area_totals(session, as_of, scope=SCOPE, path=AS_OF_PATH)
    return {area_id: t for area_id, t in totals.items() if t["contracts"]}


def _collected(session, as_of: date) -> Decimal:
    """Money received in as_of's month up to as_of, summed straight from the payments."""
    total = session.scalar(
        select(func.sum(Payment.amount)).where(
            Payment.state.in_([PaymentState.CONFIRMED, PaymentState.REVERSED]),
            Payment.paid_on.between(as_of.replace(day=1), as_of),
        )
    )
    return total or Decimal("0.00")


def _kept(session, as_of: date) -> dict:
    return {
        area_id: {
            "contracts": t.contracts,
            "outstanding_principal": t.outstanding_principal,
            "overdue_amount": t.overdue_amount,
            "overdue_contracts": t.overdue_contracts,
            "debtor_classes": t.debtor_classes,
            "aging_buckets": t.aging_buckets,
        }
        for area_id, t in area_totals(session, SCOPE, [as_of])[as_of].items()
    }


def _check(session) -> None:
    """Every date: kept == full; the trend's sums == the full overdue; then keep them."""
    trend = overdue_by_date(session, SCOPE, DATES)
    for as_of in DATES:
        full = _full(session, as_of)
        assert _kept(session, as_of) == full, as_of
        kept = area_totals(session, SCOPE, [as_of])[as_of].values()
        assert sum((t.collected for t in kept), Decimal(0)) == _collected(session, as_of)
        assert trend[as_of] == sum((t["overdue_amount"] for t in full.values()), Decimal(0))
    session.commit()


@pytest.fixture
def loans(session):
    first = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    second = make_village(session, "หนองแค/ห้วยขมิ้น/หมู่ 1")
    a = make_borrower(session, "นางสมศรี ใจดี", first)
    b = make_borrower(session, "นายบุญมี ศรีสุข", second)
    kw = {"contract_date": date(2025, 6, 1), "first_due": date(2025, 6, 15)}
    contracts = {
        "a": make_contract(session, "W-001", borrower=a, **kw),
        "b": make_contract(session, "W-002", borrower=b, **kw),
    }
    session.commit()
    _check(session)
    return contracts


def test_payments_back_dated_payments_and_reversals_keep_the_snapshots_true(session, loans):
    today = record_payment(
        session,
        TEST_ACTOR,
        loans["a"],
        Decimal("2500"),
        date(2026, 3, 15),
        PaymentChannel.CASH_OFFICER,
    )
    session.commit()
    _check(session)

    back_dated = record_payment(
        session,
        TEST_ACTOR,
        loans["b"],
        Decimal("3000"),
        date(2025, 9, 20),
        PaymentChannel.BANK_TRANSFER,
    )
    session.commit()
    _check(session)

    reverse_payment(session, TEST_ACTOR, back_dated, "wrong contract")
    session.commit()
    _check(session)
    reverse_payment(session, TEST_ACTOR, today, "bounced")
    session.commit()
    _check(session)


def test_a_slip_confirmed_later_and_money_beyond_the_debt_keep_the_snapshots_true(session, loans):
    slip = record_payment(
        session, TEST_ACTOR, loans["a"], Decimal("1500"), date(2026, 3, 2),
        PaymentChannel.BANK_TRANSFER, state=PaymentState.PENDING,
    )  # fmt: skip
    session.commit()
    _check(session)
    confirm_payment(session, TEST_ACTOR, slip)
    session.commit()
    _check(session)
    beyond = record_payment(
        session, TEST_ACTOR, loans["b"], Decimal("20000"), date(2026, 3, 3), CASH
    )
    assert beyond.unallocated > 0
    session.commit()
    _check(session)


def test_a_payment_keeps_the_earlier_dates_and_the_other_areas(session, loans):
    before = {row.area_id: row.version for row in session.scalars(select(ArrearsSnapshot))}
    record_payment(
        session,
        TEST_ACTOR,
        loans["a"],
        Decimal("1000"),
        date(2026, 1, 10),
        PaymentChannel.CASH_OFFICER,
    )
    session.commit()
    stale = sorted(
        (s.area_id, s.as_of)
        for s in session.scalars(select(ArrearsSnapshot))
        if not _kept_valid(session, s)
    )
    home = loans["a"].borrower.area_id
    assert stale == [(home, date(2026, 2, 1)), (home, date(2026, 3, 15))]
    assert before  # the fixture kept them
    _check(session)


def _kept_valid(session, snapshot) -> bool:
    from models.arrears_snapshot import ArrearsAreaVersion

    version = session.scalar(
        select(func.coalesce(func.max(ArrearsAreaVersion.version), 0)).where(
            ArrearsAreaVersion.area_id == snapshot.area_id
        )
    )
    return snapshot.version == version


def test_moratorium_and_restructuring_keep_the_snapshots_true(session, loans):
    add_moratorium(
        session, TEST_ACTOR, loans["a"], round_no=1, start=date(2025, 11, 1), end=date(2026, 1, 31)
    )
    session.commit()
    _check(session)

    restructure(
        session,
        TEST_ACTOR,
        loans["b"],
        installments=24,
        first_due=date(2026, 1, 15),
        effective=date(2025, 12, 20),
    )
    session.commit()
    _check(session)


def test_a_borrower_moving_keeps_both_areas_true(session, loans):
    borrower = session.get(Borrower, loans["a"].borrower_id)
    borrower.area_id = loans["b"].borrower.area_id
    session.commit()
    _check(session)


def test_an_import_keeps_the_snapshots_true(db, session, loans, tmp_path):
    rows = [thai_row()]
    path = write_csv(tmp_path / "register.csv", rows)
    result = import_register(
        db, path, province="สระบุรี", secret_key="test-secret", today=date(2026, 3, 15), locale="th"
    )
    assert result.ok, result.problems
    assert result.created == 1
    session.expire_all()
    _check(session)


def test_the_overview_computes_a_few_weeks_per_request_and_the_job_the_rest(session, loans):
    from models import dashboard_queries
    from models.dashboard_queries import keep_overview_ready, overview

    session.execute(ArrearsSnapshot.__table__.delete())
    session.commit()
    today = date(2026, 3, 15)
    first = overview(session, SCOPE, today)
    assert not first.trend_complete
    assert len(first.trend) == 2 + dashboard_queries.WEEKS_PER_REQUEST  # + baseline, today
    session.commit()

    assert keep_overview_ready(session, SCOPE, today) == 25 - len(first.trend)
    session.commit()
    assert keep_overview_ready(session, SCOPE, today) == 0
    full = overview(session, SCOPE, today)
    assert full.trend_complete and len(full.trend) == 25
    assert full.trend[0] == (date(2025, 10, 1), Decimal("8000.00"))


def test_a_page_of_borrowers_in_one_query_equals_each_borrower_alone(session, loans):
    from models.arrears import contract_arrears

    ids = {c.borrower_id for c in loans.values()}
    today = date(2026, 3, 15)
    together = contract_arrears(session, today, scope=None, borrower_ids=ids)
    alone = [
        r for i in sorted(ids) for r in contract_arrears(session, today, scope=None, borrower_id=i)
    ]
    assert sorted(together, key=lambda r: r.contract_id) == sorted(
        alone, key=lambda r: r.contract_id
    )
    assert contract_arrears(session, today, scope=None, borrower_ids=set()) == []
