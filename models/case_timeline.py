"""One debtor's collection case as one timeline, newest first: money, relief, reminders, what
officers reported, hardship requests, slips, the LINE link and the case itself.

Read in a fixed number of queries (one per kind of record, each for all the debtor's
contracts), whatever the length of the history: the staff dashboard shows it, and the chat's
`สถานะ` can take its first few events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.area import Area, within
from models.audit import AuditEntry
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import CollectionCase, FieldReport
from models.hardship import HardshipRequest
from models.outbox import OutboxMessage, OutboxStatus
from models.payment import Payment
from models.relief import ReliefMeasure
from models.reminders import CHANNEL_VISIT, ReminderItem
from models.slip import Slip
from models.staff import Staff

PAYMENT, REVERSAL, RELIEF, REMINDER = "payment", "reversal", "relief", "reminder"
HARDSHIP, SLIP, LINK, CASE = "hardship", "slip", "link", "case"
# Field reports keep their own kinds: visit, note, promise, payment (cash an officer took:
# shown once, as the payment, which says which officer).
# How a reminder stands: waiting to be sent, sent, failed (with LINE's reason), held back
# beyond the month's quota, dropped (no longer due), or a visit instead (not on LINE).
PLANNED, SENDING, SENT, FAILED, HELD, DROPPED, VISIT_INSTEAD = (
    "planned",
    "sending",
    "sent",
    "failed",
    "held",
    "dropped",
    "visit_instead",
)
_DELIVERY = {
    OutboxStatus.QUEUED: PLANNED,
    OutboxStatus.SENDING: SENDING,
    OutboxStatus.SENT: SENT,
    OutboxStatus.FAILED: FAILED,
    OutboxStatus.HELD: HELD,
    OutboxStatus.DROPPED: DROPPED,
}
_LINK_ACTIONS = ("link_code.issue", "link", "unlink")


@dataclass(frozen=True)
class Event:
    """One thing in the debtor's history.

    `at` is when it happened or was recorded (UTC); `day` the date it concerns (paid on,
    promised for, relief from); `state` how it stands (a payment's state, a reminder's
    delivery, a promise's outcome, a request's decision, link/unlink/code, open/closed).
    """

    kind: str
    at: datetime
    who: str | None = None
    source: str | None = None
    contract_no: str | None = None
    amount: Decimal | None = None
    day: date | None = None
    until: date | None = None
    state: str | None = None
    text: str | None = None
    ref: int | None = None
    # A visit's photos (their index is what the photo route takes) and its location.
    photos: int = 0
    location: dict | None = None
    extra: dict = field(default_factory=dict)


def debtor_timeline(
    session: Session, scope: list[str], borrower_id: int, *, limit: int | None = None
) -> list[Event] | None:
    """The debtor's events, newest first (the first `limit`); None when the debtor is not
    inside `scope`, as if they did not exist."""
    inside = session.scalar(
        select(Borrower.id)
        .join(Area, Area.id == Borrower.area_id)
        .where(Borrower.id == borrower_id, within(Area.path, scope))
    )
    if inside is None:
        return None
    events = [
        *_payments(session, borrower_id),
        *_relief(session, borrower_id),
        *_reminders(session, borrower_id),
        *_reports(session, borrower_id),
        *_hardship(session, borrower_id),
        *_slips(session, borrower_id),
        *_link_and_case(session, borrower_id),
    ]
    events.sort(key=lambda e: (e.at, e.kind, e.ref or 0), reverse=True)
    return _named(session, events[:limit] if limit is not None else events)


def _contracts_of(borrower_id: int):
    return select(Contract.id).where(Contract.borrower_id == borrower_id)


def _payments(session: Session, borrower_id: int) -> Iterable[Event]:
    # Cash an officer took is also their field report: it names the officer.
    rows = session.execute(
        select(Payment, Contract.contract_no, Staff.name)
        .join(Contract, Contract.id == Payment.contract_id)
        .outerjoin(
            FieldReport,
            and_(FieldReport.payment_id == Payment.id, FieldReport.kind == "payment"),
        )
        .outerjoin(Staff, Staff.id == FieldReport.officer_id)
        .where(Contract.borrower_id == borrower_id)
    ).all()
    reversed_by = {p.reverses_id: p.id for p, _no, _o in rows if p.reverses_id is not None}
    for payment, contract_no, officer in rows:
        yield Event(
            kind=REVERSAL if payment.reverses_id is not None else PAYMENT,
            at=payment.created_at,
            who=officer or payment.recorded_by,
            source=payment.source,
            contract_no=contract_no,
            amount=payment.amount,
            day=payment.paid_on,
            state=payment.state,
            text=payment.note if payment.reverses_id is not None else None,
            ref=payment.id,
            extra={
                "channel": payment.channel,
                "reference": payment.reference,
                "reverses": payment.reverses_id,
                "reversed_by": reversed_by.get(payment.id),
                "unallocated": payment.unallocated,
            },
        )


def _relief(session: Session, borrower_id: int) -> Iterable[Event]:
    rows = session.execute(
        select(ReliefMeasure, Contract.contract_no)
        .join(Contract, Contract.id == ReliefMeasure.contract_id)
        .where(Contract.borrower_id == borrower_id)
    ).all()
    for relief, contract_no in rows:
        yield Event(
            kind=RELIEF,
            at=relief.created_at,
            who=relief.recorded_by,
            contract_no=contract_no,
            day=relief.start_date,
            until=relief.end_date,
            state=relief.kind,
            ref=relief.id,
            extra={"round": relief.round_no},
        )


def _reminders(session: Session, borrower_id: int) -> Iterable[Event]:
    """One event per message sent (a message may remind of several installments)."""
    rows = session.execute(
        select(ReminderItem, OutboxMessage, Contract.contract_no)
        .outerjoin(OutboxMessage, OutboxMessage.id == ReminderItem.outbox_id)
        .outerjoin(Contract, Contract.id == ReminderItem.contract_id)
        .where(ReminderItem.borrower_id == borrower_id)
        .order_by(ReminderItem.id)
    ).all()
    grouped: dict[tuple, list] = {}
    for item, message, contract_no in rows:
        key = ("outbox", message.id) if message is not None else ("item", item.id)
        grouped.setdefault(key, []).append((item, message, contract_no))
    for group in grouped.values():
        item, message, _no = group[0]
        numbers = sorted({no for _i, _m, no in group if no})
        if message is None:
            state = VISIT_INSTEAD if item.channel == CHANNEL_VISIT else PLANNED
            at = item.created_at
        else:
            state = _DELIVERY.get(message.status, message.status)
            at = message.sent_at or message.next_attempt_at or message.created_at
        yield Event(
            kind=REMINDER,
            at=at,
            contract_no=", ".join(numbers) or None,
            day=min(i.due_date for i, _m, _n in group),
            state=state,
            text=message.last_error if message is not None and state == FAILED else None,
            ref=message.id if message is not None else None,
            extra={"stages": sorted({i.stage for i, _m, _n in group})},
        )


def _reports(session: Session, borrower_id: int) -> Iterable[Event]:
    rows = session.execute(
        select(FieldReport, Staff.name, Contract.contract_no)
        .join(Staff, Staff.id == FieldReport.officer_id)
        .outerjoin(Contract, Contract.id == FieldReport.contract_id)
        .where(FieldReport.borrower_id == borrower_id, FieldReport.kind != "payment")
    ).all()
    for report, officer, contract_no in rows:
        promise = report.kind == "promise"
        yield Event(
            kind=report.kind,
            at=report.created_at,
            who=officer,
            source="line",
            contract_no=contract_no,
            amount=report.promise_amount if promise else None,
            day=report.promise_date if promise else report.reported_on,
            state="reversed" if report.reversed_at else report.promise_status,
            text=report.text,
            ref=report.id,
            photos=len(report.photos or []),
            location=report.location,
            extra={"paid": report.promise_paid, "case": report.case_id},
        )


def _hardship(session: Session, borrower_id: int) -> Iterable[Event]:
    rows = session.execute(
        select(HardshipRequest, Contract.contract_no)
        .outerjoin(Contract, Contract.id == HardshipRequest.contract_id)
        .where(HardshipRequest.borrower_id == borrower_id)
    ).all()
    for request, contract_no in rows:
        yield Event(
            kind=HARDSHIP,
            at=request.created_at,
            who=request.requested_by,
            contract_no=contract_no,
            state=request.status,
            text=request.reason,
            ref=request.id,
            extra={"measure": request.measure},
        )


def _slips(session: Session, borrower_id: int) -> Iterable[Event]:
    rows = session.execute(
        select(Slip, Payment)
        .outerjoin(Payment, Payment.id == Slip.payment_id)
        .where(Slip.borrower_id == borrower_id)
    ).all()
    for slip, payment in rows:
        yield Event(
            kind=SLIP,
            at=slip.created_at,
            amount=payment.amount if payment is not None else None,
            state=payment.state if payment is not None else None,
            ref=slip.id,
            extra={"qr": slip.qr_status, "payment": slip.payment_id},
        )


def _link_and_case(session: Session, borrower_id: int) -> Iterable[Event]:
    """Link codes issued, linking and unlinking, and the case opened and closed, from the
    audit log (one query), which knows when and by whom."""
    cases = select(CollectionCase.id).where(CollectionCase.borrower_id == borrower_id)
    entries = session.scalars(
        select(AuditEntry).where(
            or_(
                and_(
                    AuditEntry.entity == "borrower",
                    AuditEntry.entity_id == borrower_id,
                    AuditEntry.action.in_(_LINK_ACTIONS),
                ),
                and_(
                    AuditEntry.entity == "collection_case",
                    AuditEntry.entity_id.in_(cases),
                ),
            )
        )
    ).all()
    for entry in entries:
        after = entry.after or {}
        if entry.entity == "collection_case":
            kind, state = CASE, entry.action.removeprefix("collection_case.")
        else:
            kind, state = LINK, entry.action
        expires = after.get("expires_at")
        yield Event(
            kind=kind,
            at=entry.at,
            who=entry.actor,
            source=entry.source,
            state=state,
            ref=entry.entity_id,
            extra={"expires_at": _moment(expires)} if expires else {},
        )


def _moment(text: str) -> datetime:
    """A timestamp as the audit log keeps it (ISO), in UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _named(session: Session, events: list[Event]) -> list[Event]:
    """People acting on LINE are recorded by their LINE user id: shown by their name."""
    ids = {e.who.removeprefix("line:") for e in events if e.who and e.who.startswith("line:")}
    names = {
        line_id: name
        for model in (Borrower, Staff)
        for line_id, name in session.execute(
            select(model.line_user_id, model.name).where(model.line_user_id.in_(ids))
        )
    }
    return [
        replace(e, who=names.get(e.who.removeprefix("line:"), e.who))
        if e.who and e.who.startswith("line:")
        else e
        for e in events
    ]


def visit_photo(
    session: Session, scope: list[str], borrower_id: int, report_id: int, index: int
) -> str | None:
    """Where the `index`th photo of a visit to this debtor is kept (relative to the instance
    folder); None unless the report is this debtor's and the debtor is inside `scope`."""
    photos = session.scalar(
        select(FieldReport.photos)
        .join(Borrower, Borrower.id == FieldReport.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(
            FieldReport.id == report_id,
            FieldReport.borrower_id == borrower_id,
            within(Area.path, scope),
        )
    )
    if not photos or not 0 <= index < len(photos):
        return None
    return photos[index].get("path")
