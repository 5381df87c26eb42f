"""Relief measures: moratorium deferral and restructuring into a new schedule."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.contract import Contract, find_contract
from models.errors import DomainError
from models.ledger import outstanding, record_payment, reverse_payment
from models.relief import ReliefMeasure
from models.relief_rules import add_moratorium, restructure
from models.types import Frequency, FundKind, PaymentChannel, PaymentState, ReliefKind
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_fund, make_village

D = Decimal
CASH = PaymentChannel.CASH_OFFICER


@pytest.fixture
def loan(session):
    """12000 baht at 12% a year, 12 monthly installments of 1000 from 1 Feb 2025.

    Interest of installment n is 1% of 12000 - 1000(n-1): 120, 110, ..., 10.
    """
    return make_contract(session, principal="12000", rate="12", count=12)


def dates(contract):
    """(seq, due_date, original_due_date) of every installment, in schedule order."""
    return [(i.seq, i.due_date, i.original_due_date) for i in contract.installments]


def test_moratorium_defers_unpaid_installments_past_the_window(db, session, loan):
    record_payment(session, TEST_ACTOR, loan, D("1120"), date(2025, 2, 1), CASH)

    measure = add_moratorium(
        session, TEST_ACTOR, loan, round_no=1, start=date(2025, 3, 1), end=date(2025, 5, 31)
    )
    session.commit()

    # #1 is paid and stays; #2-#4 (Mar-May) fall inside, so all from #2 move 3 months.
    with db.sessions() as fresh:
        stored = fresh.get(Contract, loan.id)
        assert dates(stored)[:5] == [
            (1, date(2025, 2, 1), date(2025, 2, 1)),
            (2, date(2025, 6, 1), date(2025, 3, 1)),
            (3, date(2025, 7, 1), date(2025, 4, 1)),
            (4, date(2025, 8, 1), date(2025, 5, 1)),
            (5, date(2025, 9, 1), date(2025, 6, 1)),
        ]
        assert dates(stored)[-1] == (12, date(2026, 4, 1), date(2026, 1, 1))
        # No interest accrues for the moratorium: the amounts are those of the schedule.
        assert [i.interest_due for i in stored.installments] == [
            D(n)
            for n in ("120", "110", "100", "90", "80", "70", "60", "50", "40", "30", "20", "10")
        ]
        assert [i.principal_due for i in stored.installments] == [D("1000.00")] * 12
        relief = fresh.scalar(select(ReliefMeasure))
        assert (relief.kind, relief.round_no, relief.start_date, relief.end_date) == (
            ReliefKind.MORATORIUM,
            1,
            date(2025, 3, 1),
            date(2025, 5, 31),
        )
    assert measure.terms["periods_deferred"] == 3
    assert measure.terms["installments_deferred"] == 11
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "relief.moratorium"))
    assert entry.before["installments"][0]["due_date"] == "2025-03-01"
    assert entry.after["installments"][0]["due_date"] == "2025-06-01"


def test_overdue_installments_before_the_window_stay_where_they_are(session, loan):
    add_moratorium(
        session, TEST_ACTOR, loan, round_no=2, start=date(2025, 3, 15), end=date(2025, 4, 15)
    )

    # #1 and #2 fell due before the start and stay overdue; #3 (1 Apr) is inside: one month.
    assert dates(loan)[:4] == [
        (1, date(2025, 2, 1), date(2025, 2, 1)),
        (2, date(2025, 3, 1), date(2025, 3, 1)),
        (3, date(2025, 5, 1), date(2025, 4, 1)),
        (4, date(2025, 6, 1), date(2025, 5, 1)),
    ]


def test_moratorium_keeps_month_end_due_dates(session):
    contract = make_contract(session, principal="400", first_due=date(2025, 1, 31), count=4)

    add_moratorium(
        session, TEST_ACTOR, contract, round_no=1, start=date(2025, 2, 1), end=date(2025, 2, 28)
    )

    assert [i.due_date for i in contract.installments] == [
        date(2025, 1, 31),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]


def test_yearly_contract_is_deferred_by_whole_years(session):
    contract = make_contract(
        session,
        principal="3000",
        first_due=date(2025, 6, 1),
        count=3,
        frequency=Frequency.YEARLY,
    )

    add_moratorium(
        session, TEST_ACTOR, contract, round_no=1, start=date(2025, 1, 1), end=date(2025, 12, 31)
    )

    assert [i.due_date for i in contract.installments] == [
        date(2026, 6, 1),
        date(2027, 6, 1),
        date(2028, 6, 1),
    ]


def test_a_window_with_nothing_due_moves_nothing(session, loan):
    measure = add_moratorium(
        session, TEST_ACTOR, loan, round_no=1, start=date(2025, 2, 2), end=date(2025, 2, 27)
    )

    assert measure.terms["periods_deferred"] == 0
    assert [i.due_date for i in loan.installments] == [
        i.original_due_date for i in loan.installments
    ]


def test_moratorium_refuses_bad_dates_and_repeated_rounds(session, loan):
    with pytest.raises(DomainError):
        add_moratorium(
            session, TEST_ACTOR, loan, round_no=1, start=date(2025, 5, 1), end=date(2025, 4, 1)
        )
    add_moratorium(
        session, TEST_ACTOR, loan, round_no=1, start=date(2025, 3, 1), end=date(2025, 3, 31)
    )
    with pytest.raises(DomainError):
        add_moratorium(
            session, TEST_ACTOR, loan, round_no=1, start=date(2025, 9, 1), end=date(2025, 9, 30)
        )


def test_restructuring_replaces_what_remains(db, session, loan):
    record_payment(session, TEST_ACTOR, loan, D("1120"), date(2025, 2, 1), CASH)  # all of #1
    record_payment(session, TEST_ACTOR, loan, D("500"), date(2025, 3, 5), CASH)  # #2: 110 + 390

    measure = restructure(
        session,
        TEST_ACTOR,
        loan,
        installments=6,
        first_due=date(2025, 6, 1),
        rate=D("6"),
        effective=date(2025, 5, 15),
    )
    session.commit()

    with db.sessions() as fresh:
        stored = fresh.get(Contract, loan.id)
        old = [i for i in stored.installments if i.schedule_no == 1]
        new = [i for i in stored.installments if i.schedule_no == 2]
        # #1 was paid in full: it stays in force as history. The rest are superseded.
        assert [i.superseded_on for i in old] == [None] + [date(2025, 5, 15)] * 11
        assert (old[1].interest_paid, old[1].principal_paid) == (D("110.00"), D("390.00"))
        # Outstanding principal 12000 - 1000 - 390 = 10610 in 6 parts of 1768.33, the last
        # 1768.35; 0.5% a month on the declining balance; the first installment also carries
        # the unpaid interest of #3 (100) and #4 (90), which fell due before 15 May.
        assert [(i.seq, i.due_date, i.principal_due, i.interest_due) for i in new] == [
            (1, date(2025, 6, 1), D("1768.33"), D("243.05")),
            (2, date(2025, 7, 1), D("1768.33"), D("44.21")),
            (3, date(2025, 8, 1), D("1768.33"), D("35.37")),
            (4, date(2025, 9, 1), D("1768.33"), D("26.53")),
            (5, date(2025, 10, 1), D("1768.33"), D("17.68")),
            (6, date(2025, 11, 1), D("1768.35"), D("8.84")),
        ]
        assert sum(i.principal_due for i in new) == D("10610.00")
        assert {i.effective_from for i in new} == {date(2025, 5, 15)}
        assert (stored.schedule_no, stored.installment_count) == (2, 6)
        assert stored.annual_interest_rate == D("6")
        assert outstanding(stored) == D("10610.00")
    assert measure.kind is ReliefKind.RESTRUCTURING
    assert measure.start_date == date(2025, 5, 15)
    assert measure.terms["carried_interest"] == "190.00"
    assert measure.terms["principal"] == "10610.00"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "relief.restructure"))
    assert entry.before["schedule_no"] == 1
    assert entry.after["schedule_no"] == 2


def test_payments_after_restructuring_go_to_the_new_schedule(session, loan):
    restructure(
        session,
        TEST_ACTOR,
        loan,
        installments=2,
        first_due=date(2025, 3, 1),
        rate=D("0"),
        frequency=Frequency.MONTHLY,
        effective=date(2025, 2, 10),
    )
    # The new first installment: 6000 principal plus #1's unpaid 120 interest.
    payment = record_payment(session, TEST_ACTOR, loan, D("200"), date(2025, 3, 1), CASH)

    assert [
        (a.installment.schedule_no, a.installment.seq, a.interest, a.principal)
        for a in payment.allocations
    ] == [(2, 1, D("120.00"), D("80.00"))]


def test_restructuring_refuses_a_first_due_date_before_it_takes_effect(session, loan):
    with pytest.raises(DomainError):
        restructure(
            session,
            TEST_ACTOR,
            loan,
            installments=6,
            first_due=date(2025, 5, 1),
            effective=date(2025, 5, 15),
        )
    assert loan.schedule_no == 1


def test_a_paid_off_contract_cannot_be_restructured(session, loan):
    record_payment(session, TEST_ACTOR, loan, D("12780"), date(2025, 2, 1), CASH)

    with pytest.raises(DomainError):
        restructure(
            session,
            TEST_ACTOR,
            loan,
            installments=6,
            first_due=date(2025, 6, 1),
            effective=date(2025, 5, 15),
        )


def test_find_contract_by_number_kind_and_scope(session):
    village = make_village(session)
    other = make_village(session, "หนองแค/โคกแย้/หมู่ 1")
    womens = make_contract(session, fund=make_fund(session, FundKind.WOMENS_FUND, village))
    kkcj = make_contract(session, fund=make_fund(session, FundKind.KKCJ, village))
    elsewhere = make_contract(
        session,
        contract_no="K-7",
        fund=make_fund(session, FundKind.KKCJ, other),
        borrower=make_borrower(session, "นางสาวมาลี ศรีสุข", village=other),
    )

    assert find_contract(session, " W-001 ", FundKind.KKCJ) is kkcj
    assert find_contract(session, "W-001", FundKind.WOMENS_FUND) is womens
    assert find_contract(session, "K-7", scope=["สระบุรี/หนองแค"]) is elsewhere
    with pytest.raises(DomainError, match="contract_ambiguous"):
        find_contract(session, "W-001")
    with pytest.raises(DomainError, match="contract_not_found.*K-7"):
        find_contract(session, "K-7", scope=["สระบุรี/แก่งคอย"])
    with pytest.raises(DomainError, match="contract_not_found.*W-404"):
        find_contract(session, "W-404")
    # Typed without its space, or with Thai digits, the number is still found.
    assert find_contract(session, "w-๐๐1", FundKind.WOMENS_FUND) is womens
    assert find_contract(session, "K -7") is elsewhere
    # --area narrows to a district, subdistrict or village (KKCJ numbers repeat per village).
    assert find_contract(session, "K-7", area="สระบุรี/หนองแค") is elsewhere
    with pytest.raises(DomainError, match="contract_not_found"):
        find_contract(session, "K-7", area="สระบุรี/แก่งคอย")


def test_a_payment_on_a_replaced_schedule_cannot_be_reversed(session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("500"), date(2025, 2, 1), CASH)
    restructure(
        session,
        TEST_ACTOR,
        loan,
        installments=6,
        first_due=date(2025, 6, 1),
        effective=date(2025, 5, 15),
    )

    with pytest.raises(DomainError):
        reverse_payment(session, TEST_ACTOR, payment, "too late")
    assert payment.state is PaymentState.CONFIRMED
