"""The outbox as staff see it: what is planned, sent, failed (with LINE's reason), held back
by the monthly quota or dropped, for the debtors and groups of their areas.

A row belongs to an area through whom it contacts (`contact_key`): "borrower:<id>" the
debtor's village, "group:<LINE id>" the registered group's area. Rows that contact neither
(staff digests, other pushes) are shown only to someone who sees the whole province, so no
one reads a message meant for another area's debtor. Answers to chat messages (replies) are
conversations, not reminders, and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from models.area import SEPARATOR, Area, within
from models.borrower import Borrower
from models.identity import LineGroup
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.reminders import PURPOSE_NOTICE

OUTBOX_STATUSES = tuple(s.value for s in OutboxStatus)


@dataclass(frozen=True)
class OutboxRow:
    """One message as the reminders page lists it."""

    id: int
    status: str
    purpose: str | None
    kind: str
    when: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    recipients: int
    borrower_id: int | None
    borrower_name: str | None
    group_area: str | None
    area: str | None
    texts: list[str]


def message_texts(messages: list[dict]) -> list[str]:
    """What a person reads in LINE messages: a text's text, a card's alternative text."""
    texts = []
    for message in messages or []:
        text = message.get("text") or message.get("altText")
        if text:
            texts.append(str(text))
        elif message.get("type"):
            texts.append(f"[{message['type']}]")
    return texts


def _purpose(row: OutboxMessage) -> str | None:
    # A slip decision's notice (models/slip_notice.py) is known by its key, not a purpose.
    if row.purpose is None and row.dedupe_key.startswith(("slip-approved:", "slip-rejected:")):
        return PURPOSE_NOTICE
    return row.purpose


def _when():
    return func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at)


def _scoped(query, scope: list[str]):
    """Rows about a debtor or group inside `scope`; the rest only for the whole province."""
    debtor_area = aliased(Area)
    group_area = aliased(Area)
    query = (
        query.outerjoin(
            Borrower,
            OutboxMessage.contact_key == literal("borrower:") + cast(Borrower.id, String),
        )
        .outerjoin(debtor_area, debtor_area.id == Borrower.area_id)
        .outerjoin(
            LineGroup,
            OutboxMessage.contact_key == literal("group:") + LineGroup.group_id,
        )
        .outerjoin(group_area, group_area.id == LineGroup.area_id)
        .where(OutboxMessage.kind != OutboxKind.REPLY)
    )
    allowed = [within(debtor_area.path, scope), within(group_area.path, scope)]
    if any(SEPARATOR not in path for path in scope):  # a province: everything
        allowed.append(and_(Borrower.id.is_(None), LineGroup.id.is_(None)))
    return query.where(or_(*allowed)), debtor_area, group_area


def outbox_rows(
    session: Session,
    scope: list[str],
    *,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[OutboxRow], dict[str, int]]:
    """A page of messages (latest first) sent or due in [start, end), and the count of each
    status over that period."""
    when = _when()
    base, debtor_area, group_area = _scoped(select(OutboxMessage.id), scope)
    if start is not None:
        base = base.where(when >= start)
    if end is not None:
        base = base.where(when < end)
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    grouped = base.with_only_columns(OutboxMessage.status, func.count()).group_by(
        OutboxMessage.status
    )
    for name, count in session.execute(grouped):
        counts[str(name)] = count
    query = (
        base.with_only_columns(OutboxMessage, Borrower, debtor_area.path, group_area.path)
        .order_by(when.desc(), OutboxMessage.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    rows = [
        OutboxRow(
            id=row.id,
            status=row.status,
            purpose=_purpose(row),
            kind=row.kind,
            when=row.sent_at or row.next_attempt_at,
            sent_at=row.sent_at,
            attempts=row.attempts,
            last_error=row.last_error,
            recipients=len(row.recipients or []),
            borrower_id=borrower.id if borrower else None,
            borrower_name=borrower.display_name if borrower else None,
            group_area=group_path,
            area=debtor_path or group_path,
            texts=message_texts(row.messages),
        )
        for row, borrower, debtor_path, group_path in session.execute(query)
    ]
    return rows, counts
