"""Every transfer slip staff should know of, each with where it stands.

A slip is a payment pending, confirmed, rejected or reversed once the debtor has said which
contract and how much; before that it is only a stored photo, unfinished; and a slip whose
bank reference (or file) was sent before is a duplicate, kept but never a payment.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models.area import Area, within
from models.borrower import Borrower
from models.payment import Payment
from models.payments_query import transfer_slips
from models.slip import QR_DUPLICATE, Slip
from models.types import PaymentState

UNFINISHED = "unfinished"  # waiting for the debtor to say the contract or the amount
DUPLICATE = "duplicate"
STATUSES = (UNFINISHED, DUPLICATE, *(state.value for state in PaymentState))


@dataclass(frozen=True)
class SlipEntry:
    """One line of the list: a payment reported with its slip, or a slip with no payment."""

    status: str
    day: date  # the payment's date, or the day the photo arrived
    borrower: Borrower
    path: str
    payment: Payment | None = None
    slip: Slip | None = None


def slip_entries(
    session: Session,
    zone: tzinfo,
    *,
    scope: list[str] | None = None,
    statuses: Collection[str] | None = None,
) -> list[SlipEntry]:
    """The slips of borrowers inside `scope` (None: anywhere) whose status is in `statuses`
    (None: all), oldest first; `zone` gives the day a photo arrived."""
    wanted = set(STATUSES if statuses is None else statuses)
    entries = [
        SlipEntry(
            payment.state.value,
            payment.paid_on,
            payment.contract.borrower,
            payment.slip_path,
            payment=payment,
        )
        for payment in transfer_slips(session, scope=scope)
        if payment.state.value in wanted
    ]
    if wanted & {UNFINISHED, DUPLICATE}:
        entries += [
            SlipEntry(
                _status(slip), _day(slip.created_at, zone), slip.borrower, slip.path, slip=slip
            )
            for slip in _slips_without_payment(session, scope)
            if _status(slip) in wanted
        ]
    return sorted(entries, key=lambda e: (e.day, e.payment is None, _id(e)))


def _slips_without_payment(session: Session, scope: list[str] | None) -> list[Slip]:
    query = (
        select(Slip)
        .join(Borrower, Slip.borrower_id == Borrower.id)
        .join(Area, Borrower.area_id == Area.id)
        .where(Slip.payment_id.is_(None))
        .options(joinedload(Slip.borrower).joinedload(Borrower.area))
        .order_by(Slip.id)
    )
    if scope is not None:
        query = query.where(within(Area.path, scope))
    return list(session.scalars(query))


def original_of(session: Session, duplicate: Slip) -> Slip | None:
    """The slip a duplicate repeats."""
    if duplicate.duplicate_of_id is None:
        return None
    return session.get(Slip, duplicate.duplicate_of_id)


def _status(slip: Slip) -> str:
    return DUPLICATE if slip.qr_status == QR_DUPLICATE else UNFINISHED


def _day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def _id(entry: SlipEntry) -> int:
    return entry.payment.id if entry.payment is not None else entry.slip.id
