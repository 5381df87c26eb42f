"""Plan the reminders due now, keep them within the monthly quota, and send them.

Used by the scheduler's jobs and by `fundbot remind`. Planning is idempotent (see
models/reminders.py), so running it at start-up, every few minutes and by hand is safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.config import office_zone
from bot.line.client import LineError
from bot.line.dispatcher import dispatch
from models.base import Database, utcnow
from models.outbox import OutboxMessage
from models.reminder_policy import PolicyBook
from models.reminders import PlanResult, hold_beyond_quota, plan
from scheduler.reminder_texts import ReminderTexts

if TYPE_CHECKING:
    from bot.line.transport import Transport

log = logging.getLogger(__name__)


@dataclass
class PlannedRow:
    """One outbox row a planning run added, as `fundbot remind --dry-run` prints it."""

    recipients: list[str]
    status: str
    send_at: datetime
    purpose: str
    texts: list[str]


@dataclass
class RemindReport:
    """What one run planned, held back and sent."""

    plan: PlanResult
    rows: list[PlannedRow] = field(default_factory=list)
    queued: int = 0
    held: int = 0
    sent: int = 0


def plan_reminders(
    db: Database,
    transport: Transport,
    book: PolicyBook,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RemindReport:
    """Plan what is due at `now` and apply the quota; a dry run changes nothing."""
    now = now or utcnow()
    remaining = _quota_left(transport)
    session = db.sessions()
    try:
        result = plan(session, now, office_zone(), book, ReminderTexts())
        queued, held = hold_beyond_quota(session, remaining)
        report = RemindReport(plan=result, queued=queued, held=held)
        if dry_run:
            report.rows = _describe(session, result.outbox_ids)
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if held:
        log.warning("monthly quota: %d planned messages held back", held)
    return report


def remind(
    db: Database,
    transport: Transport,
    book: PolicyBook,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch: int = 500,
) -> RemindReport:
    """Plan, then send what may go now (the dispatcher applies the law again per row)."""
    report = plan_reminders(db, transport, book, now=now, dry_run=dry_run)
    if dry_run:
        return report
    replanned = True
    while replanned:
        replanned = False
        while True:
            sent = dispatch(db, transport, now=now, limit=batch)
            report.sent += sent.sent
            replanned = replanned or sent.replanned > 0
            handled = sent.sent + sent.retrying + sent.failed + sent.deferred
            if sent.quota_blocked or handled < batch:
                break
        if replanned:
            # A payment came in after planning: plan those debtors again from today's figures.
            plan_reminders(db, transport, book, now=now)
    return report


def _quota_left(transport: Transport) -> int | None:
    try:
        return transport.quota().remaining
    except LineError as exc:
        log.warning("could not read LINE's quota (%s): planning without a limit", exc)
        return None


def _describe(session, ids: list[int]) -> list[PlannedRow]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.priority, OutboxMessage.id)
    )
    return [
        PlannedRow(
            recipients=list(row.recipients),
            status=row.status,
            send_at=row.next_attempt_at,
            purpose=row.purpose or "",
            texts=[m.get("text") or m.get("altText", "") for m in row.messages],
        )
        for row in rows
    ]
