"""Transfer slips for staff to review: every slip debtors sent in an area, pending first.

A slip is where the review starts, not the payment: a debtor who sent the photo but never
said which contract or how much left a slip without a payment ("unfinished"), and a slip
sent before is kept without one ("duplicate"). Approving and rejecting are the ledger's
(models.ledger.confirm_payment / reject_payment), the same for the dashboard, the command
line and the officers' chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import String, case, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract
from models.fund import Fund
from models.payment import Payment
from models.slip import QR_DUPLICATE, Slip
from models.types import PaymentState

UNFINISHED = "unfinished"
DUPLICATE = "duplicate"
# The order of the status filter: what waits for staff first.
SLIP_STATUSES = (
    PaymentState.PENDING.value,
    PaymentState.CONFIRMED.value,
    PaymentState.REJECTED.value,
    PaymentState.REVERSED.value,
    UNFINISHED,
    DUPLICATE,
)


@dataclass(frozen=True)
class SlipRow:
    """One slip as the review list shows it."""

    slip_id: int
    received_at: datetime
    status: str
    borrower_id: int
    borrower_name: str
    area: str
    bank_code: str | None
    bank_reference: str | None
    duplicate_of_id: int | None
    payment_id: int | None
    contract_no: str | None
    fund: str | None
    amount: Decimal | None
    paid_on: date | None
    note: str | None

    @property
    def pending(self) -> bool:
        return self.status == PaymentState.PENDING.value


def _status_column():
    """The slip's review status as SQL: its payment's state, else unfinished or duplicate."""
    # Constants as literal SQL: PostgreSQL groups by the expression only when the SELECT
    # and the GROUP BY spell it identically, which two sets of bound parameters do not.
    return type_coerce(
        case(
            (
                Slip.qr_status == literal_column(f"'{QR_DUPLICATE}'"),
                literal_column(f"'{DUPLICATE}'"),
            ),
            (Slip.payment_id.is_(None), literal_column(f"'{UNFINISHED}'")),
            else_=Payment.state,
        ),
        String,
    )


def _in_scope(query, scope: list[str]):
    return (
        query.join(Borrower, Borrower.id == Slip.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(within(Area.path, scope))
    )


def slips_to_review(
    session: Session,
    scope: list[str],
    *,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[SlipRow], dict[str, int]]:
    """A page of the slips of borrowers in `scope` (pending first, the oldest of them first;
    then the newest first), and how many slips there are in each status."""
    state = _status_column()
    base = _in_scope(select(Slip.id).outerjoin(Payment, Payment.id == Slip.payment_id), scope)
    counts = dict.fromkeys(SLIP_STATUSES, 0)
    grouped = base.with_only_columns(state.label("status"), func.count()).group_by(state)
    for name, count in session.execute(grouped):
        counts[str(name)] = count
    pending = Payment.state == PaymentState.PENDING
    query = (
        _in_scope(
            select(
                Slip,
                state.label("status"),
                Borrower,
                Area.path,
                Payment,
                Contract.contract_no,
                Fund.kind,
            )
            .outerjoin(Payment, Payment.id == Slip.payment_id)
            .outerjoin(Contract, Contract.id == Payment.contract_id)
            .outerjoin(Fund, Fund.id == Contract.fund_id),
            scope,
        )
        .order_by(case((pending, 0), else_=1), case((pending, Slip.id), else_=-Slip.id))
        .offset(offset)
        .limit(limit)
    )
    if status in SLIP_STATUSES:
        query = query.where(state == status)
    rows = [
        SlipRow(
            slip_id=slip.id,
            received_at=slip.created_at,
            status=str(row_status),
            borrower_id=borrower.id,
            borrower_name=borrower.display_name,
            area=path,
            bank_code=slip.bank_code,
            bank_reference=slip.bank_reference,
            duplicate_of_id=slip.duplicate_of_id,
            payment_id=payment.id if payment else None,
            contract_no=contract_no,
            fund=str(fund) if fund else None,
            amount=payment.amount if payment else None,
            paid_on=payment.paid_on if payment else None,
            note=payment.note if payment else None,
        )
        for slip, row_status, borrower, path, payment, contract_no, fund in session.execute(query)
    ]
    return rows, counts


def slip_in_scope(session: Session, scope: list[str], slip_id: int) -> Slip | None:
    """The slip, if its borrower lives inside `scope` (else None, as if it did not exist)."""
    return session.scalar(_in_scope(select(Slip).where(Slip.id == slip_id), scope))
