"""Payments: recording, verifying, allocating to installments, and reversing them.

Allocation rule: installments of the schedule in force, oldest due first; on each, interest
before principal. What is left flows to the next installment even before it falls due
(credit carried forward); beyond the whole remaining debt it stays on `payment.unallocated`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.base import utcnow
from models.contract import Contract, Installment
from models.errors import DomainError
from models.payment import Allocation, Payment
from models.schedule import round_satang
from models.slip_notice import APPROVED, REJECTED, notify_decision
from models.types import ContractStatus, PaymentChannel, PaymentState, Role

ZERO = Decimal("0.00")
# Why a payment is asked about before it is stored (the officers' รับชำระ, the dashboard).
ABOVE_BALANCE, FUTURE_DATE = "above_balance", "future_date"


def outstanding(contract: Contract) -> Decimal:
    """Principal still owed on the schedule in force."""
    return sum((i.principal_due - i.principal_paid for i in contract.current_installments), ZERO)


def remaining_total(contract: Contract) -> Decimal:
    """Principal and interest still owed on the schedule in force."""
    return sum((i.remaining for i in contract.current_installments), ZERO)


def open_installments(contract: Contract) -> list[Installment]:
    """Installments in force that are not fully paid, oldest due first."""
    pending = [i for i in contract.current_installments if i.remaining > 0]
    return sorted(pending, key=lambda i: (i.due_date, i.seq))


def payment_doubt(contract: Contract, amount: Decimal, paid_on: date, today: date) -> str | None:
    """ABOVE_BALANCE when the amount is more than the contract still owes, else FUTURE_DATE
    when it is dated after today, else None: a doubt is confirmed by a person first."""
    if amount > remaining_total(contract):
        return ABOVE_BALANCE
    if paid_on > today:
        return FUTURE_DATE
    return None


def record_payment(
    session: Session,
    actor: Actor,
    contract: Contract,
    amount: Decimal,
    paid_on: date,
    channel: PaymentChannel,
    *,
    state: PaymentState = PaymentState.CONFIRMED,
    reference: str | None = None,
    slip_path: str | None = None,
    note: str | None = None,
    today: date | None = None,
) -> Payment:
    """Record money received; a confirmed payment is allocated at once, a pending one later.

    `today` (the offices' date; UTC's when not given) decides the debtor's promises and
    whether their collection case closes (`_settle_case`)."""
    amount = round_satang(Decimal(amount))
    if amount <= 0:
        raise DomainError("payment_not_positive")
    state = PaymentState(state)
    if state not in (PaymentState.CONFIRMED, PaymentState.PENDING):
        raise ValueError(f"a new payment is confirmed or pending, not {state}")
    payment = Payment(
        contract=contract,
        amount=amount,
        paid_on=paid_on,
        channel=PaymentChannel(channel),
        state=state,
        unallocated=ZERO,
        recorded_by=actor.name,
        source=actor.source,
        reference=reference,
        slip_path=slip_path,
        note=note,
    )
    session.add(payment)
    session.flush()
    before, after = _allocate_if_confirmed(session, actor, payment, today)
    audit(
        session,
        actor,
        "payment.record",
        "payment",
        payment.id,
        before=before,
        after={**describe_payment(payment), **(after or {})},
    )
    return payment


def confirm_payment(
    session: Session, actor: Actor, payment: Payment, *, today: date | None = None
) -> Payment:
    """Accept a pending payment (its slip checked) and allocate it (`today` as for
    record_payment)."""
    _require_pending(payment)
    payment.state = PaymentState.CONFIRMED
    session.flush()
    before, after = _allocate_if_confirmed(session, actor, payment, today)
    audit(
        session,
        actor,
        "payment.confirm",
        "payment",
        payment.id,
        before={"state": PaymentState.PENDING, **(before or {})},
        after={**describe_payment(payment), **(after or {})},
    )
    notify_decision(session, payment, APPROVED)
    return payment


def reject_payment(session: Session, actor: Actor, payment: Payment, reason: str) -> Payment:
    """Refuse a pending payment (the slip did not match); nothing was allocated."""
    _require_pending(payment)
    payment.state = PaymentState.REJECTED
    payment.note = _join_note(payment.note, reason)
    session.flush()
    audit(
        session,
        actor,
        "payment.reject",
        "payment",
        payment.id,
        before={"state": PaymentState.PENDING},
        after={"state": payment.state, "reason": reason},
    )
    notify_decision(session, payment, REJECTED, reason)
    return payment


# Who may reverse a payment on the dashboard: the staff who answer for the money, not field
# officers, who record it (a mistaken entry of theirs is corrected by the office).
REVERSING_ROLES = frozenset({Role.FUND_STAFF, Role.DISTRICT_HEAD, Role.ADMIN})


def may_reverse(role: Role | str) -> bool:
    """True when staff of `role` may reverse payments."""
    return role in REVERSING_ROLES


def reverse_payment(
    session: Session, actor: Actor, payment: Payment, reason: str, *, today: date | None = None
) -> Payment:
    """Undo a confirmed payment with a new negative payment mirroring its allocations; a
    collection case that closed on the money comes open again (`today` as for
    record_payment)."""
    if payment.reverses_id is not None:
        raise DomainError("reversal_of_reversal")
    if payment.state is PaymentState.REVERSED:
        raise DomainError("payment_already_reversed", id=payment.id)
    if payment.state is not PaymentState.CONFIRMED:
        raise DomainError("payment_not_confirmed")
    contract = payment.contract
    installments = [a.installment for a in payment.allocations]
    if any(i.superseded_on is not None for i in installments):
        # The new schedule was built from what this payment left owing; undoing it on the
        # old schedule would silently drop the money from the debt.
        raise DomainError("payment_on_replaced_schedule", id=payment.id)
    before = {"payment_state": payment.state, **position(contract, installments)}
    # The reversal keeps the original date: the money counts as never received, so the
    # arrears on any past date come out as if the payment had not been recorded.
    reversal = Payment(
        contract=contract,
        amount=-payment.amount,
        paid_on=payment.paid_on,
        channel=payment.channel,
        state=PaymentState.CONFIRMED,
        unallocated=-payment.unallocated,
        recorded_by=actor.name,
        source=actor.source,
        reference=payment.reference,
        note=reason,
        reverses_id=payment.id,
    )
    session.add(reversal)
    for original in list(payment.allocations):
        installment = original.installment
        installment.interest_paid -= original.interest
        installment.principal_paid -= original.principal
        session.add(
            Allocation(
                payment=reversal,
                installment=installment,
                contract_id=contract.id,
                paid_on=original.paid_on,
                principal=-original.principal,
                interest=-original.interest,
            )
        )
    payment.state = PaymentState.REVERSED
    session.flush()
    _update_status(session, actor, contract)
    _reopen_case(session, actor, contract, payment.paid_on, today or utcnow().date())
    audit(
        session,
        actor,
        "payment.reverse",
        "payment",
        payment.id,
        before=before,
        after={
            "payment_state": payment.state,
            "reversal_id": reversal.id,
            "amount": reversal.amount,
            "reason": reason,
            **position(contract, installments),
        },
    )
    return reversal


def _allocate_if_confirmed(
    session: Session, actor: Actor, payment: Payment, today: date | None
) -> tuple[dict | None, dict | None]:
    """Allocate a confirmed payment; the installments' positions before and after."""
    if payment.state is not PaymentState.CONFIRMED:
        return None, None
    contract = payment.contract
    targets = open_installments(contract)
    before = position(contract, targets)
    allocate(session, payment, targets)
    session.flush()
    _update_status(session, actor, contract)
    _settle_case(session, actor, contract, today or utcnow().date())
    touched = [a.installment for a in payment.allocations]
    return before, position(contract, touched)


def _settle_case(session: Session, actor: Actor, contract: Contract, today: date) -> None:
    """Money came in, by whatever path (an officer's cash, an approved slip, the office):
    the debtor's promises are decided and their collection case closes once cleared."""
    # Imported here: field reports reverse payments through this module.
    from models.field_reports import settle_case

    settle_case(session, actor, contract.borrower_id, today)


def _reopen_case(
    session: Session, actor: Actor, contract: Contract, paid_on: date, today: date
) -> None:
    """Money taken back: a case closed since it was paid was closed on money never received."""
    from models.field_reports import reopen_case

    reopen_case(session, actor, contract.borrower_id, since=paid_on, today=today)


def allocate(session: Session, payment: Payment, targets: list[Installment]) -> None:
    """Spread the payment over `targets` in order, interest first on each."""
    parts, left = split_payment(payment.amount, targets)
    for installment, interest, principal in parts:
        installment.interest_paid += interest
        installment.principal_paid += principal
        session.add(
            Allocation(
                payment=payment,
                installment=installment,
                contract_id=payment.contract.id,
                paid_on=payment.paid_on,
                principal=principal,
                interest=interest,
            )
        )
    payment.unallocated = left


def split_payment(amount: Decimal, targets: list) -> tuple[list[tuple], Decimal]:
    """(installment, interest, principal) for each installment of `targets` the amount
    reaches, oldest first and interest first on each, and what is left over. Pure: the bulk
    loader (models/bulk_load.py) allocates with it too."""
    left = amount
    parts = []
    for installment in targets:
        if left <= 0:
            break
        interest = min(left, installment.interest_due - installment.interest_paid)
        left -= interest
        principal = min(left, installment.principal_due - installment.principal_paid)
        left -= principal
        if interest == 0 and principal == 0:
            continue
        parts.append((installment, interest, principal))
    return parts, left


def _update_status(session: Session, actor: Actor, contract: Contract) -> None:
    """Paid off when nothing remains in force, active otherwise; audited when it changes."""
    if contract.status is ContractStatus.CLOSED:
        return
    status = ContractStatus.PAID_OFF if remaining_total(contract) <= 0 else ContractStatus.ACTIVE
    if status is contract.status:
        return
    audit(
        session,
        actor,
        "contract.status",
        "contract",
        contract.id,
        before={"status": contract.status},
        after={"status": status},
    )
    contract.status = status


def position(contract: Contract, installments: list[Installment]) -> dict:
    """What the audit log keeps of these installments and the contract (any object with
    the same attributes will do: the bulk loader passes its own)."""
    return {
        "contract_status": contract.status,
        "installments": [
            {
                "id": i.id,
                "seq": i.seq,
                "principal_paid": i.principal_paid,
                "interest_paid": i.interest_paid,
            }
            for i in installments
        ],
    }


def describe_payment(payment: Payment) -> dict:
    """The payment as the audit log keeps it."""
    return {
        "contract_id": payment.contract_id,
        "amount": payment.amount,
        "paid_on": payment.paid_on,
        "channel": payment.channel,
        "state": payment.state,
        "unallocated": payment.unallocated,
        "reference": payment.reference,
        "allocations": [
            {"installment_id": a.installment_id, "interest": a.interest, "principal": a.principal}
            for a in payment.allocations
        ],
    }


def _require_pending(payment: Payment) -> None:
    """Refuse to confirm or reject a payment that is not pending."""
    if payment.state is not PaymentState.PENDING:
        raise DomainError("payment_not_pending", id=payment.id)


def _join_note(note: str | None, reason: str) -> str:
    """The note with the reason added on its own line."""
    return f"{note}\n{reason}" if note else reason
