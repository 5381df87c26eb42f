"""Sends the outbox: claims due rows, pushes each once with its retry key, records the answer.

Several processes may dispatch at once. A row is claimed with a lease (status "sending" until
claimed_until); PostgreSQL claims with SELECT ... FOR UPDATE SKIP LOCKED, SQLite with a single
UPDATE (it has one writer at a time). A sender that dies mid-send leaves a row that is claimed
again once its lease runs out; LINE answers the repeat with 409 because the retry key is the
row's own, so the message still arrives once.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update

from bot.config import office_zone
from bot.line.client import LineError, SendResult
from bot.line.messages import split_for_line
from models.base import Database, utcnow
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus, QuotaBlock
from models.reminders import DROP, REPLAN, WAIT, release_for_replanning, send_check

if TYPE_CHECKING:
    from bot.line.transport import Transport

log = logging.getLogger(__name__)

BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=10)
# LINE remembers a retry key for 24 hours; retrying later could deliver a message twice.
RETRY_WINDOW = timedelta(hours=12)
LEASE = timedelta(minutes=5)
QUOTA_RECHECK = timedelta(minutes=10)
CLAIM_BATCH = 50


@dataclass
class DispatchReport:
    """What one dispatch run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cost: int = 0  # messages counted against the monthly quota
    quota_blocked: bool = False
    deferred: int = 0  # planned reminders that wait for the contact hours, or were dropped
    replanned: int = 0  # reminders whose figures changed: the next planning run redoes them


def dispatch(
    db: Database, transport: Transport, *, now: datetime | None = None, limit: int = 100
) -> DispatchReport:
    """Send up to `limit` due rows, most urgent (lowest priority number) first."""
    report = DispatchReport()
    if quota_blocked(db, now=now) and not _quota_recovered(db, transport, now or utcnow()):
        report.quota_blocked = True
        return report
    seen: list[int] = []
    while len(seen) < limit:
        moment = now or utcnow()
        claimed = _claim(db, moment, min(CLAIM_BATCH, limit - len(seen)), seen)
        if not claimed:
            break
        seen.extend(claimed)
        if not _send_batch(db, transport, claimed, now, report):
            report.quota_blocked = True
            return report
    return report


@dataclass
class _Outgoing:
    row_id: int
    kind: str
    recipients: list[str]
    messages: list[dict]
    retry_key: str


def _send_batch(db: Database, transport: Transport, claimed: list[int], now, report) -> bool:
    """Send claimed rows: read them in one transaction, push each (no transaction open while
    LINE answers), record every answer in one more. False when the monthly quota ran out."""
    outgoing: list[_Outgoing | int] = []
    contacts: set[str] = set()
    with db.session() as session:
        rows = {
            r.id: r
            for r in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed)))
        }
        for row_id in claimed:
            row = rows.get(row_id)
            if row is None:
                continue
            if row.purpose and not _may_send(session, row, now or utcnow(), report):
                report.deferred += 1
                continue
            if row.contact_key and row.contact_key in contacts:
                # One contact a day: the row checked after this batch's send sees it and waits.
                row.status, row.claimed_until = OutboxStatus.QUEUED, None
                row.next_attempt_at = (now or utcnow()) + timedelta(seconds=1)
                report.deferred += 1
                continue
            if row.contact_key:
                contacts.add(row.contact_key)
            if row.kind == OutboxKind.REPLY and row.reply_token:
                outgoing.append(row_id)  # rare: the one-row path below handles the token
                continue
            outgoing.append(
                _Outgoing(row_id, row.kind, list(row.recipients), list(row.messages), row.retry_key)
            )
    answers: list[tuple[int, SendResult, int]] = []
    blocked = False
    for position, item in enumerate(outgoing):
        if isinstance(item, int):
            if not _send(db, transport, item, now or utcnow(), report):
                blocked = True
        else:
            cost = _cost(transport, item.kind, item.recipients, item.messages)
            try:
                if item.kind == OutboxKind.MULTICAST:
                    result = transport.multicast(item.recipients, item.messages, item.retry_key)
                else:
                    result = transport.push(item.recipients[0], item.messages, item.retry_key)
            except Exception as exc:  # noqa: BLE001 - a transport bug must not strand the row
                log.exception("outbox #%d: the transport failed", item.row_id)
                result = SendResult(
                    ok=False, error_message=f"{type(exc).__name__}: {exc}", retryable=True
                )
            answers.append((item.row_id, result, cost))
            blocked = result.quota_exhausted
        if blocked:
            rest = outgoing[position + 1 :]
            _release(db, [i if isinstance(i, int) else i.row_id for i in rest])
            break
    if answers:
        _record_all(db, answers, now or utcnow(), report)
    return not blocked


def _record_all(db: Database, answers: list[tuple[int, SendResult, int]], now, report) -> None:
    """Record LINE's answers to a batch in one transaction (rows still ours only)."""
    with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.id.in_([a[0] for a in answers]))
        if not db.is_sqlite:
            query = query.with_for_update()
        rows = {r.id: r for r in session.scalars(query)}
        for row_id, result, cost in answers:
            row = rows.get(row_id)
            if row is None or row.status != OutboxStatus.SENDING:
                # Our lease ran out and another sender finished the row; its answer stands.
                continue
            _record(session, row, result, cost, now, report)


def quota_blocked(db: Database, *, now: datetime | None = None) -> bool:
    """True while LINE's last answer this month (offices' time zone) was "monthly limit"."""
    with db.session() as session:
        block = session.scalar(
            select(QuotaBlock.id).where(
                QuotaBlock.month == _month(now or utcnow()), QuotaBlock.cleared_at.is_(None)
            )
        )
    return block is not None


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full-jitter exponential backoff: anywhere up to 2 s doubling per attempt, 10 min at most."""
    doublings = min(max(attempts - 1, 0), 30)  # past 30 the cap has long been reached
    ceiling = min(MAX_DELAY, BASE_DELAY * 2**doublings)
    return timedelta(seconds=(rng or random).uniform(0, ceiling.total_seconds()))


def _claimable(now: datetime):
    lease_expired = and_(
        OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now
    )
    return and_(
        or_(OutboxMessage.status == OutboxStatus.QUEUED, lease_expired),
        OutboxMessage.next_attempt_at <= now,
    )


def _claim(db: Database, now: datetime, count: int, seen: list[int]) -> list[int]:
    """Mark up to `count` due rows as ours for a lease; their ids in sending order."""
    order = (OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
    due = (
        select(OutboxMessage.id)
        .where(_claimable(now), OutboxMessage.id.not_in(seen))
        .order_by(*order)
        .limit(count)
    )
    claim = update(OutboxMessage).values(status=OutboxStatus.SENDING, claimed_until=now + LEASE)
    with db.session() as session:
        if db.is_sqlite:
            ids = session.scalars(
                claim.where(OutboxMessage.id.in_(due.scalar_subquery()), _claimable(now))
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
        else:
            ids = session.scalars(due.with_for_update(skip_locked=True)).all()
            if ids:
                session.execute(
                    claim.where(OutboxMessage.id.in_(ids)).execution_options(
                        synchronize_session=False
                    )
                )
        if not ids:
            return []
        return list(
            session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.id.in_(ids)).order_by(*order)
            )
        )


def _send(db: Database, transport: Transport, row_id: int, now: datetime, report) -> bool:
    """Send one claimed row and record LINE's answer; False when the monthly quota ran out."""
    with db.session() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None:
            return True
        if row.purpose and not _may_send(session, row, now, report):
            report.deferred += 1
            return True
        kind, recipients, messages = row.kind, list(row.recipients), list(row.messages)
        retry_key, reply_token = row.retry_key, row.reply_token
        fresh_until = row.reply_token_fresh_until
    # No transaction is open while we wait for LINE.
    if kind == OutboxKind.REPLY and reply_token:
        # A reply row reaches the dispatcher only when whoever wrote it did not record the
        # outcome: its request may have got through before a crash.
        fresh = fresh_until is not None and now < fresh_until
        used, messages = reply_with_token(transport, reply_token, messages, maybe_sent=fresh)
        if not messages or not recipients:
            if messages:
                log.error(
                    "reply #%d: %d message(s) lost: no chat to push them to", row_id, len(messages)
                )
            return _reply_recorded(db, row_id, now, report)
        _keep_for_push(db, row_id, messages)
    cost = _cost(transport, kind, recipients, messages)
    try:
        if kind == OutboxKind.MULTICAST:
            result = transport.multicast(recipients, messages, retry_key)
        else:
            result = transport.push(recipients[0], messages, retry_key)
    except Exception as exc:  # noqa: BLE001 - a transport bug must not strand the row
        log.exception("outbox #%d: the transport failed", row_id)
        result = SendResult(ok=False, error_message=f"{type(exc).__name__}: {exc}", retryable=True)
    with db.session() as session:
        row = session.get(OutboxMessage, row_id, with_for_update=not db.is_sqlite)
        if row is None or row.status != OutboxStatus.SENDING:
            # Our lease ran out and another sender finished the row; its answer stands.
            return True
        _record(session, row, result, cost, now, report)
    return not result.quota_exhausted


def _may_send(session, row: OutboxMessage, now: datetime, report: DispatchReport) -> bool:
    """A planned reminder goes only inside the contact hours and while it still applies."""
    verdict, when, why = send_check(session, row, now, office_zone())
    if verdict == REPLAN:
        release_for_replanning(session, row, why)
        report.replanned += 1
        log.info("outbox #%d: %s", row.id, why)
        row.claimed_until = None
        return False
    if verdict == WAIT:
        row.status, row.next_attempt_at = OutboxStatus.QUEUED, when
    elif verdict == DROP:
        row.status = OutboxStatus.DROPPED
        log.info("outbox #%d dropped: %s", row.id, why)
    else:
        return True
    row.claimed_until, row.last_error = None, why
    return False


def reply_with_token(
    transport: Transport, reply_token: str, messages: list[dict], *, maybe_sent: bool
) -> tuple[bool, list[dict]]:
    """Reply with the token: (whether it carried the first 5 messages, what is left to push).

    A 5xx or a timeout may still have delivered, so a failed try is tried once more, and a
    token then refused as invalid was used by the first. `maybe_sent`: an earlier request
    (before a crash) may have used the token while it was surely still valid, so a refusal
    now means it did.
    """
    batches = split_for_line(messages)
    if not batches:
        return True, []
    first, rest = batches[0], [m for batch in batches[1:] for m in batch]
    result = _try_reply(transport, reply_token, first)
    if result.ok:
        return True, rest
    if result.retryable:
        second = _try_reply(transport, reply_token, first)
        if second.ok:
            return True, rest
        if second.invalid_reply_token:
            log.warning("reply token used by the first attempt: taking it as delivered")
            return True, rest
        log.warning("reply failed twice (%s): sending as a push", second.error_message)
        return False, first + rest
    if result.invalid_reply_token and maybe_sent:
        log.warning("reply token already used by an earlier attempt: taking it as delivered")
        return True, rest
    log.warning("reply refused (%s): sending as a push", result.error_message)
    return False, first + rest


def _try_reply(transport: Transport, reply_token: str, batch: list[dict]) -> SendResult:
    try:
        return transport.reply(reply_token, batch)
    except LineError as exc:
        return exc.result
    except Exception as exc:  # noqa: BLE001 - a transport bug: count it as LINE failing
        log.exception("the transport failed on a reply")
        return SendResult(ok=False, error_message=f"{type(exc).__name__}: {exc}", retryable=True)


def mark_replies_sent(db: Database, ids: list[int], now: datetime | None = None) -> None:
    """Record that LINE took these reply rows with their tokens (one statement for all)."""
    now = now or utcnow()
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.SENT,
                sent_at=now,
                first_attempt_at=now,
                attempts=OutboxMessage.attempts + 1,
                claimed_until=None,
                reply_token=None,
                cost=0,
            )
            .execution_options(synchronize_session=False)
        )


def keep_for_push(db: Database, row_id: int, messages: list[dict]) -> None:
    """The token is spent: the row now pushes `messages` (with its own retry key), at once."""
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(
                reply_token=None,
                messages=messages,
                status=OutboxStatus.QUEUED,
                claimed_until=None,
                next_attempt_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )


def _keep_for_push(db: Database, row_id: int, messages: list[dict]) -> None:
    # The row stays ours (sending) while we push it now.
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(reply_token=None, messages=messages)
            .execution_options(synchronize_session=False)
        )


def _reply_recorded(db: Database, row_id: int, now: datetime, report) -> bool:
    mark_replies_sent(db, [row_id], now)
    report.sent += 1
    return True


def _record(session, row: OutboxMessage, result: SendResult, cost: int, now, report) -> None:
    row.claimed_until = None
    if result.quota_exhausted:
        row.status = OutboxStatus.QUEUED
        row.last_error = result.error_message
        session.add(QuotaBlock(month=_month(now), blocked_at=now, message=result.error_message))
        log.warning("outbox #%d: %s; pushing stops until the quota allows", row.id, row.last_error)
        return
    row.attempts += 1
    # The retry window runs from the first request LINE may have accepted.
    row.first_attempt_at = row.first_attempt_at or now
    if result.ok:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.line_request_id = result.request_id
        row.cost = cost
        row.last_error = None
        report.sent += 1
        report.cost += cost
        note = " (accepted by an earlier attempt)" if result.duplicate else ""
        log.info(
            "outbox #%d %s to %s: sent, cost %d message(s), request %s%s",
            row.id,
            row.kind,
            _recipients(row),
            cost,
            result.request_id,
            note,
        )
        return
    row.last_error = f"{result.status or ''} {result.error_message or ''}".strip()
    if result.retryable and now - row.first_attempt_at < RETRY_WINDOW:
        row.status = OutboxStatus.QUEUED
        row.next_attempt_at = now + max(backoff(row.attempts), _retry_after(result))
        report.retrying += 1
        log.warning(
            "outbox #%d: %s; attempt %d, next at %s",
            row.id,
            row.last_error,
            row.attempts,
            row.next_attempt_at.isoformat(),
        )
        return
    row.status = OutboxStatus.FAILED
    report.failed += 1
    log.error("outbox #%d to %s failed: %s", row.id, _recipients(row), row.last_error)


def _retry_after(result: SendResult) -> timedelta:
    """What LINE asked us to wait (Retry-After), capped like the backoff."""
    return min(timedelta(seconds=result.retry_after or 0), MAX_DELAY)


def _cost(transport: Transport, kind: str, recipients: list[str], messages: list[dict]) -> int:
    """Messages LINE counts: one per recipient and request; a group counts its members."""
    requests = max(len(split_for_line(messages)), 1)
    if kind == OutboxKind.MULTICAST:
        return len(recipients) * requests
    if kind == OutboxKind.REPLY and not recipients:
        return 0
    to = recipients[0]
    members = None
    if to.startswith("C"):
        try:
            members = transport.group_member_count(to)
        except LineError:
            members = None
    return (members or 1) * requests


def _quota_recovered(db: Database, transport: Transport, now: datetime) -> bool:
    """Whether LINE's quota has room again (more was bought); asks at most every 10 minutes."""
    with db.session() as session:
        blocks = session.scalars(
            select(QuotaBlock).where(
                QuotaBlock.month == _month(now), QuotaBlock.cleared_at.is_(None)
            )
        ).all()
        if any(now - (b.checked_at or b.blocked_at) < QUOTA_RECHECK for b in blocks):
            return False
        for block in blocks:
            block.checked_at = now
    try:
        quota = transport.quota()
    except LineError as exc:
        log.warning("quota check failed: %s", exc)
        return False
    if quota.remaining == 0:
        return False
    with db.session() as session:
        session.execute(
            update(QuotaBlock)
            .where(QuotaBlock.month == _month(now), QuotaBlock.cleared_at.is_(None))
            .values(cleared_at=now)
        )
    log.info("LINE quota has room again (%s of %s used): pushing resumes", quota.used, quota.limit)
    return True


def _release(db: Database, ids: list[int]) -> None:
    """Give claimed rows back to the queue unsent."""
    if not ids:
        return
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.QUEUED, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def _month(moment: datetime) -> str:
    return moment.astimezone(office_zone()).strftime("%Y-%m")


def _recipients(row: OutboxMessage) -> str:
    if len(row.recipients) == 1:
        return row.recipients[0]
    return f"{len(row.recipients)} users"
