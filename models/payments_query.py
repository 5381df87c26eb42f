"""Finding payments for staff: one by its id, transfer slips in an area, a contract's payments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract
from models.errors import DomainError
from models.payment import Allocation, Payment
from models.types import PaymentChannel, PaymentState


def get_payment(
    session: Session, payment_id: int, *, scope: list[str] | None = None, for_update: bool = False
) -> Payment:
    """The payment numbered `payment_id` (its borrower inside `scope`, None: anywhere).

    `for_update` locks the row until the transaction ends, so two operators approving the
    same slip at once cannot both allocate it (PostgreSQL; SQLite has one writer anyway).
    Raises DomainError payment_not_found.
    """
    query = select(Payment).where(Payment.id == payment_id)
    if scope is not None:
        query = (
            query.join(Contract, Payment.contract_id == Contract.id)
            .join(Borrower, Contract.borrower_id == Borrower.id)
            .join(Area, Borrower.area_id == Area.id)
            .where(within(Area.path, scope))
        )
    if for_update:
        query = query.with_for_update(of=Payment)
    payment = session.scalar(query)
    if payment is None:
        raise DomainError("payment_not_found", id=payment_id)
    return payment


def transfer_slips(
    session: Session, *, scope: list[str] | None = None, pending_only: bool = False
) -> list[Payment]:
    """Bank-transfer payments reported with a slip, oldest first, borrowers inside `scope`."""
    query = (
        select(Payment)
        .join(Contract, Payment.contract_id == Contract.id)
        .join(Borrower, Contract.borrower_id == Borrower.id)
        .join(Area, Borrower.area_id == Area.id)
        .where(
            Payment.channel == PaymentChannel.BANK_TRANSFER,
            Payment.slip_path.is_not(None),
        )
        .options(
            joinedload(Payment.contract).joinedload(Contract.borrower).joinedload(Borrower.area),
            joinedload(Payment.contract).joinedload(Contract.fund),
        )
        .order_by(Payment.paid_on, Payment.id)
    )
    if scope is not None:
        query = query.where(within(Area.path, scope))
    if pending_only:
        query = query.where(Payment.state == PaymentState.PENDING)
    return list(session.scalars(query).unique())


def contract_payments(session: Session, contract: Contract) -> list[Payment]:
    """Every payment of `contract` (reversals included), in the order they were made."""
    query = (
        select(Payment)
        .where(Payment.contract_id == contract.id)
        .options(selectinload(Payment.allocations).joinedload(Allocation.installment))
        .order_by(Payment.paid_on, Payment.id)
    )
    return list(session.scalars(query))
