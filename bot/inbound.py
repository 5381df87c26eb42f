"""The inbound pipeline: store webhook events once each, then handle them in timestamp order.

`ingest` runs inside the webhook request (one short transaction); `process` runs after the
200 has gone back to LINE. Storing first means a crash between the two loses nothing:
`process_pending` picks up what was stored but never handled (the webhook calls it at most
once a minute per worker, after its response; the scheduler may call it too).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import UserError, explain
from bot.i18n import _, use_locale
from bot.runtime import Runtime
from models.base import Database, utcnow
from models.errors import DomainError
from models.inbound import DONE, FAILED, IGNORED, PENDING, PROCESSING, InboundEvent, event_key

log = logging.getLogger(__name__)

# A worker that claimed an event and did not finish within this time is presumed dead.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
KNOWN_SOURCES = {"user", "group", "room"}
# The reply tokens of the LINE console's "Verify" events: nobody is there to answer.
VERIFY_REPLY_TOKENS = {"0" * 32, "f" * 32}


def ingest(db: Database, events: Iterable[dict], *, received_at: datetime) -> list[int]:
    """Store new events (duplicates are skipped); the ids of the new rows, by event time."""
    rows = _rows(events, received_at)
    if not rows:
        return []
    statement = _insert_statement(db.engine.dialect.name)
    new: list[tuple[int, int]] = []
    with db.session() as session:
        for row in rows:
            event_id = session.connection().execute(statement, row).scalar()
            if event_id is not None:
                new.append((row["timestamp"], event_id))
            else:
                log.info("duplicate webhook event %s skipped", row["webhook_event_id"])
    return [event_id for _ts, event_id in sorted(new)]


@cache
def _insert_statement(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once: it runs for every event."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InboundEvent.__table__)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(InboundEvent.id)
    )


def _rows(events: Iterable[dict], received_at: datetime) -> list[dict]:
    seen: set[str] = set()
    rows = []
    for event in events:
        if not isinstance(event, dict):
            log.warning("webhook event that is not an object ignored: %r", event)
            continue
        key = event_key(event)
        if key in seen:
            continue
        seen.add(key)
        rows.append(_row(event, key, received_at))
    return rows


def _row(event: dict, key: str, received_at: datetime) -> dict:
    source = event.get("source") if isinstance(event.get("source"), dict) else {}
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, int):
        timestamp = int(received_at.timestamp() * 1000)
    delivery = (
        event.get("deliveryContext") if isinstance(event.get("deliveryContext"), dict) else {}
    )
    return {
        "webhook_event_id": key,
        "event_type": str(event.get("type") or "")[:40],
        "source_type": _short(source.get("type"), 16),
        "user_id": _short(source.get("userId"), 64),
        "chat_id": _short(source.get("groupId") or source.get("roomId"), 64),
        "timestamp": timestamp,
        "is_redelivery": bool(delivery.get("isRedelivery")),
        "payload": event,
        "received_at": received_at,
        "state": PENDING,
        "attempts": 0,
    }


def _short(value: object, length: int) -> str | None:
    return str(value)[:length] if value else None


def process(runtime: Runtime, messenger, ids: Iterable[int], *, router=None) -> int:
    """Handle stored events in timestamp order, each in its own transaction.

    Returns how many pushes the handlers queued (flush the outbox when there are any).
    `router` defaults to every command family (handlers.router.default_router()).
    """
    queued = 0
    for event_id in _in_time_order(runtime.db, list(ids)):
        queued += _handle(runtime, messenger, event_id, router)
    return queued


def process_pending(
    runtime: Runtime, messenger, *, older_than: timedelta = timedelta(seconds=60)
) -> int:
    """Handle events stored at least `older_than` ago and never finished; how many were taken.

    Each is counted as an attempt first, in a transaction of its own, so that an event that
    kills its worker every time is given up after MAX_ATTEMPTS instead of looping forever.
    """
    now = utcnow()
    with runtime.db.session() as session:
        ids = list(
            session.scalars(
                select(InboundEvent.id)
                .where(_claimable(now), InboundEvent.received_at <= now - older_than)
                .order_by(InboundEvent.timestamp, InboundEvent.id)
                .limit(500)
            )
        )
        if ids:
            session.execute(
                update(InboundEvent)
                .where(InboundEvent.id.in_(ids))
                .values(attempts=InboundEvent.attempts + 1)
            )
            worn_out = select(InboundEvent.id).where(
                InboundEvent.id.in_(ids), InboundEvent.attempts > MAX_ATTEMPTS
            )
            for event_id in list(session.scalars(worn_out)):
                _finish(session, event_id, FAILED, f"abandoned after {MAX_ATTEMPTS} attempts")
                ids.remove(event_id)
    if ids:
        process(runtime, messenger, ids)
        messenger.flush(runtime.db)
    return len(ids)


def _in_time_order(db: Database, ids: list[int]) -> list[int]:
    if len(ids) < 2:
        return ids
    with db.session() as session:
        rows = session.execute(
            select(InboundEvent.id)
            .where(InboundEvent.id.in_(ids))
            .order_by(InboundEvent.timestamp, InboundEvent.id)
        )
        return [row.id for row in rows]


def _claimable(now: datetime):
    return _claimable_if_claimed_before(now - CLAIM_LEASE)


def _claimable_if_claimed_before(lease_start):
    stale = and_(InboundEvent.state == PROCESSING, InboundEvent.claimed_at < lease_start)
    return or_(InboundEvent.state == PENDING, stale)


# The statements run for every event are built once (with bound parameters), sparing the
# per-event work of building them and computing their cache keys: Core on the table, as the
# ORM adds nothing here.
_TABLE = InboundEvent.__table__
_CLAIM = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("event_id"),
        _claimable_if_claimed_before(bindparam("lease_start", type_=_TABLE.c.claimed_at.type)),
    )
    .values(state=PROCESSING, claimed_at=bindparam("now", type_=_TABLE.c.claimed_at.type))
    .returning(_TABLE.c.payload)
)
_FINISH = update(_TABLE).where(_TABLE.c.id == bindparam("event_id"))


def _claim(session, event_id: int, now: datetime) -> dict | None:
    """Take the event inside the handling transaction: its payload, or None if taken.

    The claim commits (or rolls back) with the handling itself: one write transaction per
    event. A worker that dies mid-way leaves the event pending for process_pending.
    """
    parameters = {"event_id": event_id, "now": now, "lease_start": now - CLAIM_LEASE}
    return session.connection().execute(_CLAIM, parameters).scalar()


def _handle(runtime: Runtime, messenger, event_id: int, router) -> int:
    from handlers.context import ChatContext
    from handlers.router import default_router

    started = time.perf_counter()
    ctx = None
    event: dict = {}
    try:
        with runtime.db.session() as session:
            event = _claim(session, event_id, utcnow())
            if event is None:
                return 0
            ctx = ChatContext.build(session, runtime, messenger, event, now=utcnow())
            state = _dispatch(ctx, router or default_router())
            _finish(session, event_id, state)
        ctx.send_replies()
        return ctx.queued
    except (UserError, DomainError) as exc:
        # A refused action: nothing was changed; the message is for the user.
        with use_locale(ctx.locale if ctx is not None else runtime.settings.locale):
            message = explain(exc) if isinstance(exc, DomainError) else str(exc)
        _mark_done_with(runtime.db, event_id, message)
        _apologise(runtime, messenger, event, ctx, message=message)
    except Exception as exc:  # noqa: BLE001 - one bad event must not stop the others
        log.exception("handling webhook event %s failed", event_id)
        _mark_failed(runtime.db, event_id, exc)
        _apologise(runtime, messenger, event, ctx)
    finally:
        log.debug("event %s handled in %.1f ms", event_id, (time.perf_counter() - started) * 1000)
    return 0


def _dispatch(ctx, router) -> str:
    if ctx.event.get("mode") == "standby":
        # Another channel is in control of this chat: we may watch but must not answer.
        log.info("standby event %s (%s) not acted on", ctx.webhook_event_id, ctx.kind)
        return IGNORED
    if ctx.reply_token in VERIFY_REPLY_TOKENS:
        log.info("the LINE console's verify event %s: nothing to do", ctx.webhook_event_id)
        return IGNORED
    if ctx.source_type is not None and ctx.source_type not in KNOWN_SOURCES:
        log.info("event %s from unknown source type %r ignored", ctx.kind, ctx.source_type)
        return IGNORED
    with use_locale(ctx.locale):
        return DONE if router.dispatch(ctx) else IGNORED


def _finish(session, event_id: int, state: str, error: str | None = None) -> None:
    session.connection().execute(
        _FINISH,
        {"event_id": event_id, "state": state, "processed_at": utcnow(), "error": error},
    )


def _mark_done_with(db: Database, event_id: int, note: str) -> None:
    with db.session() as session:
        _finish(session, event_id, DONE, note[:4000])


def _mark_failed(db: Database, event_id: int, exc: Exception) -> None:
    try:
        with db.session() as session:
            _finish(session, event_id, FAILED, f"{exc.__class__.__name__}: {exc}"[:4000])
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        log.exception("could not mark webhook event %s as failed", event_id)


def _apologise(runtime: Runtime, messenger, event: dict, ctx, message: str | None = None) -> None:
    """Tell the user something went wrong, in their language, never with the details."""
    from bot.line import messages as line_messages

    reply_token = event.get("replyToken")
    target = ctx.reply_target if ctx is not None else None
    if not reply_token or event.get("mode") == "standby":
        return
    locale = ctx.locale if ctx is not None else runtime.settings.locale
    try:
        with use_locale(locale):
            body = message or _("Sorry, something went wrong. Please try again later.")
        messenger.reply(
            reply_token,
            [line_messages.text(body)],
            fallback_to=target,
            dedupe_key=f"sorry:{event_key(event)}",
        )
    except Exception:  # noqa: BLE001 - nothing more we can do for this user now
        log.exception("could not send the apology for event %s", event_key(event))
