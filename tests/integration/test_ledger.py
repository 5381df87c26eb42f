"""Payments: allocation oldest first and interest first, credit, slips, reversals, audit."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.contract import Contract
from models.errors import DomainError
from models.ledger import (
    confirm_payment,
    outstanding,
    record_payment,
    reject_payment,
    remaining_total,
    reverse_payment,
)
from models.payment import Allocation, Payment
from models.types import ContractStatus, PaymentChannel, PaymentState, Source
from tests.factories import TEST_ACTOR, make_contract

D = Decimal
CASH = PaymentChannel.CASH_OFFICER


@pytest.fixture
def loan(session):
    """1200 baht at 12% a year in 3 monthly installments from 1 Feb 2025.

    Installments: #1 400 + 12.00 interest = 412, #2 400 + 8.00 = 408, #3 400 + 4.00 = 404;
    1224.00 in all.
    """
    return make_contract(session, principal="1200", rate="12", count=3)


def paid(contract):
    """(interest_paid, principal_paid) of each installment in force."""
    return [(i.interest_paid, i.principal_paid) for i in contract.current_installments]


def reloaded(db, contract_id):
    """The contract and its installments as stored, read in a new session."""
    with db.sessions() as fresh:
        contract = fresh.get(Contract, contract_id)
        return contract.status, paid(contract)


def test_partial_payment_goes_to_interest_first_and_stays_on_the_installment(db, session, loan):
    record_payment(session, TEST_ACTOR, loan, D("10"), date(2025, 2, 1), CASH)
    assert paid(loan)[0] == (D("10.00"), D("0.00"))

    record_payment(session, TEST_ACTOR, loan, D("190"), date(2025, 2, 3), CASH)
    session.commit()

    assert reloaded(db, loan.id) == (
        ContractStatus.ACTIVE,
        [(D("12.00"), D("188.00")), (D("0.00"), D("0.00")), (D("0.00"), D("0.00"))],
    )
    assert outstanding(loan) == D("1012.00")
    assert remaining_total(loan) == D("1024.00")


def test_exact_payment_settles_one_installment(db, session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("412"), date(2025, 2, 1), CASH)
    session.commit()

    allocations = session.scalars(select(Allocation)).all()
    assert [(a.installment.seq, a.interest, a.principal) for a in allocations] == [
        (1, D("12.00"), D("400.00"))
    ]
    assert allocations[0].paid_on == date(2025, 2, 1)
    assert allocations[0].contract_id == loan.id
    assert payment.unallocated == D("0.00")
    assert reloaded(db, loan.id)[1][1:] == [(D("0.00"), D("0.00"))] * 2


def test_overpayment_is_carried_to_the_next_installment_before_it_is_due(db, session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("500"), date(2025, 2, 1), CASH)
    session.commit()

    assert [(a.installment.seq, a.interest, a.principal) for a in payment.allocations] == [
        (1, D("12.00"), D("400.00")),
        (2, D("8.00"), D("80.00")),
    ]
    assert reloaded(db, loan.id) == (
        ContractStatus.ACTIVE,
        [(D("12.00"), D("400.00")), (D("8.00"), D("80.00")), (D("0.00"), D("0.00"))],
    )
    assert outstanding(loan) == D("720.00")
    assert remaining_total(loan) == D("724.00")


def test_payment_beyond_the_whole_debt_is_kept_unallocated_and_pays_off(db, session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("1300"), date(2025, 2, 1), CASH)
    session.commit()

    with db.sessions() as fresh:
        assert fresh.get(Payment, payment.id).unallocated == D("76.00")
    assert reloaded(db, loan.id) == (
        ContractStatus.PAID_OFF,
        [(D("12.00"), D("400.00")), (D("8.00"), D("400.00")), (D("4.00"), D("400.00"))],
    )
    assert outstanding(loan) == D("0.00")
    status_change = session.scalar(select(AuditEntry).where(AuditEntry.action == "contract.status"))
    assert (status_change.before, status_change.after) == (
        {"status": "active"},
        {"status": "paid_off"},
    )


def test_oldest_installment_first_across_payments(session, loan):
    record_payment(session, TEST_ACTOR, loan, D("600"), date(2025, 3, 5), CASH)
    record_payment(session, TEST_ACTOR, loan, D("300"), date(2025, 3, 20), CASH)

    # 600: #1 12 + 400, #2 8 + 180; 300: #2 220 more, then #3 4 + 76.
    assert paid(loan) == [
        (D("12.00"), D("400.00")),
        (D("8.00"), D("400.00")),
        (D("4.00"), D("76.00")),
    ]


def test_zero_or_negative_amount_is_refused(session, loan):
    with pytest.raises(DomainError):
        record_payment(session, TEST_ACTOR, loan, D("0"), date(2025, 2, 1), CASH)
    with pytest.raises(DomainError):
        record_payment(session, TEST_ACTOR, loan, D("-5"), date(2025, 2, 1), CASH)


def test_pending_slip_is_allocated_only_when_confirmed(db, session, loan):
    slip = record_payment(
        session,
        TEST_ACTOR,
        loan,
        D("412"),
        date(2025, 2, 1),
        PaymentChannel.BANK_TRANSFER,
        state=PaymentState.PENDING,
        slip_path="slips/1.jpg",
    )
    session.commit()
    assert slip.allocations == []
    assert outstanding(loan) == D("1200.00")

    confirm_payment(session, TEST_ACTOR, slip)
    session.commit()

    assert reloaded(db, loan.id)[1][0] == (D("12.00"), D("400.00"))
    assert slip.state is PaymentState.CONFIRMED
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.confirm"))
    assert entry.before["state"] == "pending"
    assert entry.after["state"] == "confirmed"
    with pytest.raises(DomainError):
        confirm_payment(session, TEST_ACTOR, slip)


def test_rejected_slip_is_never_allocated(session, loan):
    slip = record_payment(
        session,
        TEST_ACTOR,
        loan,
        D("412"),
        date(2025, 2, 1),
        PaymentChannel.BANK_TRANSFER,
        state=PaymentState.PENDING,
    )
    reject_payment(session, TEST_ACTOR, slip, "amount on slip is 41.20")

    assert slip.state is PaymentState.REJECTED
    assert slip.note == "amount on slip is 41.20"
    assert paid(loan)[0] == (D("0.00"), D("0.00"))
    with pytest.raises(DomainError):
        confirm_payment(session, TEST_ACTOR, slip)


def test_reversal_restores_the_installments_and_is_audited(db, session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("500"), date(2025, 2, 1), CASH)
    session.commit()

    reversal = reverse_payment(session, TEST_ACTOR, payment, "counted twice")
    session.commit()

    assert reversal.id != payment.id
    assert reversal.amount == D("-500.00")
    assert reversal.reverses_id == payment.id
    assert reversal.paid_on == date(2025, 2, 1)
    assert [(a.installment.seq, a.interest, a.principal) for a in reversal.allocations] == [
        (1, D("-12.00"), D("-400.00")),
        (2, D("-8.00"), D("-80.00")),
    ]
    with db.sessions() as fresh:
        assert fresh.get(Payment, payment.id).state is PaymentState.REVERSED
        assert fresh.get(Payment, payment.id).amount == D("500.00")
    assert reloaded(db, loan.id) == (ContractStatus.ACTIVE, [(D("0.00"), D("0.00"))] * 3)
    assert outstanding(loan) == D("1200.00")

    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.reverse"))
    assert entry.actor == "test"
    assert entry.source is Source.CLI
    assert entry.entity_id == payment.id
    assert entry.before["payment_state"] == "confirmed"
    assert [(i["interest_paid"], i["principal_paid"]) for i in entry.before["installments"]] == [
        ("12.00", "400.00"),
        ("8.00", "80.00"),
    ]
    assert entry.after["payment_state"] == "reversed"
    assert [(i["interest_paid"], i["principal_paid"]) for i in entry.after["installments"]] == [
        ("0.00", "0.00"),
        ("0.00", "0.00"),
    ]


def test_reversing_a_payoff_reopens_the_contract(session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("1300"), date(2025, 2, 1), CASH)
    assert loan.status is ContractStatus.PAID_OFF

    reversal = reverse_payment(session, TEST_ACTOR, payment, "cheque bounced")

    assert loan.status is ContractStatus.ACTIVE
    assert reversal.unallocated == D("-76.00")
    assert remaining_total(loan) == D("1224.00")


def test_a_payment_is_reversed_only_once(session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("100"), date(2025, 2, 1), CASH)
    reversal = reverse_payment(session, TEST_ACTOR, payment, "wrong contract")

    with pytest.raises(DomainError):
        reverse_payment(session, TEST_ACTOR, payment, "again")
    with pytest.raises(DomainError):
        reverse_payment(session, TEST_ACTOR, reversal, "undo the undo")
    assert session.scalar(select(Payment).where(Payment.reverses_id == payment.id)) is reversal
    assert paid(loan)[0] == (D("0.00"), D("0.00"))


def test_recording_is_audited_with_the_allocation(session, loan):
    payment = record_payment(session, TEST_ACTOR, loan, D("500"), date(2025, 2, 1), CASH)

    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.record"))
    assert (entry.entity, entry.entity_id, entry.actor) == ("payment", payment.id, "test")
    assert entry.after["amount"] == "500.00"
    assert entry.after["paid_on"] == "2025-02-01"
    assert [(i["interest_paid"], i["principal_paid"]) for i in entry.before["installments"]] == [
        ("0.00", "0.00")
    ] * 3
    assert entry.after["allocations"][1]["principal"] == "80.00"
