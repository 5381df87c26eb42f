"""The inbound pipeline: store webhook events once each, then handle them in timestamp order.

`ingest` runs inside the webhook request (one short transaction, each event checked on its
own); handling runs on the handler pool (bot/handler_pool.py, `handle_next`), or in-process
with `process` (the chat simulator, tests). Storing first means a crash between the two
loses nothing: a stored event waits, pending, until a handler takes it. Each event is handled
in one transaction that also writes its answer to the outbox, so an event is handled and
answered, or neither; `process_pending` (the scheduler) gives up on an event that keeps
killing its worker.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, exists, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.errors import UserError, explain
from bot.i18n import _, use_locale
from bot.line.webhook_shape import check_event, storable
from bot.runtime import Runtime
from models.base import Database, utcnow
from models.errors import DomainError
from models.inbound import (
    DONE,
    FAILED,
    IGNORED,
    PENDING,
    REJECTED,
    InboundEvent,
    event_key,
    is_pending,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
KNOWN_SOURCES = {"user", "group", "room"}
# The reply tokens of the LINE console's "Verify" events: nobody is there to answer.
VERIFY_REPLY_TOKENS = {"0" * 32, "f" * 32}
# Events a handler claims and handles in one transaction: fewer statements, commits and lock
# turns per event, at the cost of the first answer waiting for the batch.
HANDLE_BATCH = 8
# How often a writer waiting for SQLite's lock asks again: the webhook (someone waits for its
# answer) more often than the handlers (a backlog that waits stored anyway).
WEBHOOK_POLL = 0.0005
HANDLER_POLL = 0.002


def ingest(db: Database, events: Iterable[object], *, received_at: datetime) -> list[int]:
    """Store new events, each checked on its own; the ids of the new rows to handle, by time.

    An event that is not LINE's shape (bot/line/webhook_shape.py) is stored as `rejected`
    with the reason and never handled; it never keeps the others out. Duplicates are skipped.
    """
    rows = _rows(events, received_at)
    if not rows:
        return []
    statement = _insert_statement(db.engine.dialect.name)
    try:
        new = _insert(db, statement, rows)
    except SQLAlchemyError:
        # Something the checks let through and the database refused: store each event in its
        # own transaction, so the one bad event is the only one kept out.
        log.exception("storing %d webhook events together failed: one by one", len(rows))
        new = []
        for row in rows:
            try:
                new.extend(_insert(db, statement, [row]))
            except SQLAlchemyError as exc:
                reason = f"the database refused it: {exc.__class__.__name__}: {exc}"
                _insert(db, statement, [_rejected_row(row["payload"], row, received_at, reason)])
    return [event_id for _ts, event_id, state in sorted(new) if state == PENDING]


def _insert(db: Database, statement, rows: list[dict]) -> list[tuple[int, int, str]]:
    new = []
    if len(rows) == 1 and not db.is_sqlite:
        # One statement is its own transaction: no BEGIN and COMMIT round trips on PostgreSQL,
        # on the thread's own autocommit connection. The insert skips an event stored
        # already, so one that met a dead connection is simply tried again on a fresh one.
        try:
            return _insert_rows(db.autocommit_connection(), statement, rows, new)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("the webhook's connection was dead: storing on a fresh one")
            return _insert_rows(db.autocommit_connection(), statement, rows, [])
    # The webhook's answer waits for this insert: on SQLite it waits in the writers' line
    # (models/sqlite_writers.py), asking every half millisecond should an outside writer hold
    # the lock.
    with db.write_connection(poll=WEBHOOK_POLL) as connection:
        return _insert_rows(connection, statement, rows, new)


def _insert_rows(connection, statement, rows: list[dict], new: list) -> list:
    for row in rows:
        event_id = connection.execute(statement, row).scalar()
        if event_id is not None:
            new.append((row["timestamp"], event_id, row["state"]))
        else:
            log.info("duplicate webhook event %s skipped", row["webhook_event_id"])
    return new


def reject_body(db: Database, body: bytes, reason: str, *, received_at: datetime) -> None:
    """Keep a signed body we could not read as events (it was JSON, but not LINE's shape)."""
    text = body.decode("utf-8", "replace")[:20000]
    event = {"body": text}
    key = "sha256:" + hashlib.sha256(body).hexdigest()
    row = _rejected_row(event, {"webhook_event_id": key}, received_at, reason)
    _insert(db, _insert_statement(db.engine.dialect.name), [row])
    log.warning("webhook body rejected: %s", reason)


@cache
def _insert_statement(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once: it runs for every event."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InboundEvent.__table__)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(InboundEvent.id)
    )


def _rows(events: Iterable[object], received_at: datetime) -> list[dict]:
    seen: set[str] = set()
    rows = []
    for event in events:
        reason = check_event(event)
        if reason is None:
            key = event_key(event)
            row = _row(event, key, received_at)
        else:
            row = _rejected_row(event, {}, received_at, reason)
            key = row["webhook_event_id"]
            log.warning("webhook event %s rejected: %s", key, reason)
        if key in seen:
            continue
        seen.add(key)
        rows.append(row)
    return rows


def _rejected_row(event: object, row: dict, received_at: datetime, reason: str) -> dict:
    """A row that keeps a refused event, its reason, and nothing a database could refuse."""
    kept = storable(event)
    payload = kept if isinstance(kept, dict) else {"event": kept}
    key = row.get("webhook_event_id")
    if key is None:
        given = event.get("webhookEventId") if isinstance(event, dict) else None
        if isinstance(given, str) and given and storable(given) == given:
            key = given[:80]
        else:
            key = event_key(payload)
    return {
        "webhook_event_id": key,
        "event_type": str(payload.get("type") or "")[:40] if isinstance(payload, dict) else "",
        "source_type": None,
        "user_id": None,
        "chat_id": None,
        "timestamp": int(received_at.timestamp() * 1000),
        "is_redelivery": False,
        "payload": payload,
        "received_at": received_at,
        "state": REJECTED,
        "attempts": 0,
        "error": reason[:4000],
        "processed_at": received_at,
    }


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
        "error": None,
        "processed_at": None,
    }


def _short(value: object, length: int) -> str | None:
    return str(value)[:length] if value else None


def process(runtime: Runtime, messenger, ids: Iterable[int], *, router=None) -> int:
    """Handle stored events in timestamp order, each in its own transaction, and answer them.

    Each event's answer is an outbox row written in the transaction that marks the event
    handled, and sent right after it commits; by the time this returns the replies have
    reached LINE (or wait in the outbox as pushes). Returns how many pushes the handlers
    queued (flush the outbox when there are any). `router` defaults to every command family.
    """
    queued = 0
    answers = Answers(messenger)
    for event_id in _in_time_order(runtime.db, list(ids)):
        queued += _handle(runtime, messenger, event_id, router, answers)
    answers.settle()
    return queued


def handle_next(runtime: Runtime, messenger, answers: Answers, *, router=None) -> int | None:
    """Take the oldest pending events nobody is handling and handle them (the pool's step).

    Up to HANDLE_BATCH events are claimed and handled in one transaction, marked handled
    together at its end, and their answers sent once it commits: a few statements per event
    and one commit per batch. Should any of them fail (or be refused), the batch is rolled
    back whole, claim included, and its events handled one at a time (`_handle`, where each
    failure is answered on its own). An event waits while an earlier one of the same user is
    pending or being handled elsewhere, so a user's events are handled in order even with
    many handlers. Returns the pushes queued, or None when there was nothing to take.
    """
    from handlers.context import ChatContext, SenderRows, send_all_replies
    from handlers.router import default_router

    router = router or default_router()
    db = runtime.db
    ids: list[int] = []
    try:
        with db.write_session(poll=HANDLER_POLL) as session:
            began = utcnow()
            claimed = _claim_batch(session, answers.batch_size())
            if not claimed:
                return None
            ids = [event_id for event_id, _event in claimed]
            handled = []
            senders = SenderRows(session, [event for _event_id, event in claimed])
            for event_id, event in claimed:
                ctx = ChatContext.build(
                    session, runtime, messenger, event, now=utcnow(), senders=senders
                )
                state = _dispatch(ctx, router)
                handled.append((event_id, state, ctx))
            # The batch's answers in one statement, in the transaction that marks it handled.
            send_all_replies([ctx for _event_id, _state, ctx in handled])
            _finish_all(session, [(event_id, state) for event_id, state, _ctx in handled], began)
    except Exception as exc:  # noqa: BLE001 - one bad event must not stop the others
        if not ids:
            raise
        log.info("%s in a batch of %d events: one at a time", exc.__class__.__name__, len(ids))
        return sum(_handle(runtime, messenger, event_id, router, answers) for event_id in ids)
    for _event_id, _state, ctx in handled:
        answers.add(ctx.reply_row)
    return sum(ctx.queued for _event_id, _state, ctx in handled)


def _finish_all(session, finished: list[tuple[int, str]], began: datetime) -> None:
    """Mark a batch's events handled: one statement per end state (usually one)."""
    by_state: dict[str, list[int]] = {}
    for event_id, state in finished:
        by_state.setdefault(state, []).append(event_id)
    connection = session.connection()
    for state, ids in by_state.items():
        parameters = {"ids": ids, "state": state, "claimed_at": began, "processed_at": utcnow()}
        connection.execute(_FINISH_ALL, parameters)


def process_pending(
    runtime: Runtime, messenger, *, older_than: timedelta = timedelta(seconds=60)
) -> int:
    """Handle events stored at least `older_than` ago and never finished; how many were taken.

    Each is counted as an attempt first, in a transaction of its own, so that an event that
    kills its worker every time is given up after MAX_ATTEMPTS (and answered with an apology)
    instead of looping forever.
    """
    now = utcnow()
    answers = Answers(messenger)
    with runtime.db.session() as session:
        ids = list(
            session.scalars(
                select(InboundEvent.id)
                .where(is_pending(), InboundEvent.received_at <= now - older_than)
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
            worn_out = select(InboundEvent.id, InboundEvent.payload).where(
                InboundEvent.id.in_(ids), InboundEvent.attempts > MAX_ATTEMPTS
            )
            for event_id, payload in list(session.execute(worn_out)):
                _finish(session, event_id, FAILED, f"abandoned after {MAX_ATTEMPTS} attempts")
                answers.add(_queue_apology(runtime, messenger, session, payload, None))
                ids.remove(event_id)
    answers.settle()
    if ids:
        process(runtime, messenger, ids)
    messenger.flush(runtime.db)
    return len(ids)


class Answers:
    """Replies written to the outbox by handling transactions, sent once those commit.

    `add` sends at once (the user is waiting); the rows LINE took are marked sent together
    in `settle`. A process killed in between leaves them `sending`: once their short lease
    runs out the dispatcher tries the token again, and LINE's "invalid reply token" for a
    token that young means our earlier request got through (see bot/line/dispatcher.py).
    """

    def __init__(self, messenger) -> None:
        self.messenger = messenger
        self.sent: list[int] = []
        # How long a reply has taken lately (seconds, a moving average).
        self.reply_seconds = 0.0

    def add(self, reply) -> None:
        if reply is not None:
            started = time.perf_counter()
            self.sent.extend(self.messenger.send_reply(reply))
            elapsed = time.perf_counter() - started
            if self.reply_seconds:
                self.reply_seconds += (elapsed - self.reply_seconds) / 4
            else:
                self.reply_seconds = elapsed

    def batch_size(self) -> int:
        """How many events to handle in one transaction: HANDLE_BATCH while LINE is quick.

        A batch's answers are born leased to this sender and sent one after another once it
        commits; they must all be sent well within that lease (else the dispatcher would take
        them too), so a slow LINE means smaller batches, down to one event.
        """
        from bot.line import messenger as line_messenger

        budget = line_messenger.REPLY_LEASE.total_seconds() / 4
        if self.reply_seconds <= 0:
            return 1  # nothing measured yet
        return max(1, min(HANDLE_BATCH, int(budget / self.reply_seconds)))

    def settle(self) -> None:
        if self.sent:
            self.messenger.mark_replies_sent(self.sent)
            self.sent = []


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


# The statements run for every event are built once (with bound parameters), sparing the
# per-event work of building them and computing their cache keys: Core on the table, as the
# ORM adds nothing here.
_TABLE = InboundEvent.__table__
# An event is claimed by its handling transaction (a row lock on PostgreSQL, the write lock
# on SQLite) and marked handled when it commits: it is pending until then, to everyone else,
# and pending again if the transaction dies. No state is written for the claim itself: each
# write of a row is a new row version and new index entries (PostgreSQL), and the claim was
# a third of the database's work per event.
_CLAIM = (
    select(_TABLE.c.id, _TABLE.c.payload)
    .where(_TABLE.c.id == bindparam("event_id"), is_pending())
    .with_for_update()
)
_FINISH = update(_TABLE).where(_TABLE.c.id == bindparam("event_id"))
_FINISH_ALL = (
    update(_TABLE).where(_TABLE.c.id.in_(bindparam("ids", expanding=True))).values(error=None)
)


# The advisory-lock class of "a handler holds this user's events" (two-key form: its own space).
USER_LOCK_CLASS = 7


@cache
def _claim_batch_statement(dialect: str):
    """Lock the oldest pending events (up to `batch`) whose users nobody else is handling.

    PostgreSQL: the oldest pending rows nobody has locked (SKIP LOCKED) are the window; of
    those, the handler takes each whose user's advisory lock it gets for its transaction and
    that no earlier pending event of the same user precedes. So handlers in many processes
    never wait on each other, never hold events of one user at once, and take a user's events
    in order. The user locks are tried on the window only: tried on every pending row (as the
    planner does when the test sits beside the ORDER BY), one handler would lock every user
    with a backlog and leave the others idle. SQLite has one writer at a time: a handler
    claims only once the last one committed, so the oldest pending events are always next.
    """
    candidate = _TABLE.alias("candidate")
    pick = (
        select(candidate.c.id, candidate.c.payload, candidate.c.timestamp)
        .where(is_pending(candidate))
        .order_by(candidate.c.timestamp, candidate.c.id)
        .limit(bindparam("batch"))
    )
    if dialect != "postgresql":
        return pick
    window = (
        pick.add_columns(candidate.c.user_id)
        .with_for_update(skip_locked=True, of=candidate)
        .cte("window")
        .prefix_with("MATERIALIZED")
    )
    earlier = _TABLE.alias("earlier")
    # A row comparison, so the index on (user_id, timestamp, id) reads only the earlier
    # entries (an OR of the two cases was a filter over all of the user's entries).
    earlier_pending = exists().where(
        earlier.c.user_id == window.c.user_id,
        is_pending(earlier),
        tuple_(earlier.c.timestamp, earlier.c.id) < tuple_(window.c.timestamp, window.c.id),
    )
    user_lock = func.pg_try_advisory_xact_lock(
        literal(USER_LOCK_CLASS), func.hashtext(window.c.user_id)
    )
    return select(window.c.id, window.c.payload, window.c.timestamp).where(
        or_(window.c.user_id.is_(None), and_(user_lock, ~earlier_pending))
    )


def _claim_batch(session, batch: int) -> list[tuple[int, dict]]:
    """Claim up to `batch` events in the handling transaction; (id, payload) by time."""
    connection = session.connection()
    statement = _claim_batch_statement(connection.dialect.name)
    rows = connection.execute(statement, {"batch": batch}).all()
    return [(row[0], row[1]) for row in sorted(rows, key=lambda row: (row[2], row[0]))]


def _claim(session, event_id: int) -> tuple[int, dict] | None:
    """Take the event inside the handling transaction; None if it is no longer pending.

    The claim ends with the handling itself: one write transaction per event. A worker that
    dies mid-way leaves the event pending, for any handler to take.
    """
    row = session.connection().execute(_CLAIM, {"event_id": event_id}).first()
    return (row[0], row[1]) if row is not None else None


def _handle(runtime: Runtime, messenger, event_id: int, router, answers: Answers) -> int:
    from handlers.context import ChatContext
    from handlers.router import default_router

    started = time.perf_counter()
    ctx = None
    event: dict = {}
    try:
        with runtime.db.write_session(poll=HANDLER_POLL) as session:
            began = utcnow()
            claimed = _claim(session, event_id)
            if claimed is None:
                return 0
            event_id, event = claimed
            ctx = ChatContext.build(session, runtime, messenger, event, now=utcnow())
            state = _dispatch(ctx, router or default_router())
            # The answer is written in the transaction that marks the event handled: a
            # crash after the commit cannot lose it, nor one before it send it.
            ctx.send_replies()
            _finish(session, event_id, state, began=began)
        answers.add(ctx.reply_row)
        return ctx.queued
    except (UserError, DomainError) as exc:
        # A refused action: nothing was changed; the message is for the user.
        with use_locale(ctx.locale if ctx is not None else runtime.settings.locale):
            message = explain(exc) if isinstance(exc, DomainError) else str(exc)
        _finish_with_apology(runtime, messenger, event_id, event, ctx, DONE, message, answers)
    except Exception as exc:  # noqa: BLE001 - one bad event must not stop the others
        log.exception("handling webhook event %s failed", event_id)
        error = f"{exc.__class__.__name__}: {exc}"
        _finish_with_apology(runtime, messenger, event_id, event, ctx, FAILED, error, answers)
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


def _finish(
    session, event_id: int, state: str, error: str | None = None, began: datetime | None = None
) -> None:
    now = utcnow()
    parameters = {
        "event_id": event_id,
        "state": state,
        "claimed_at": began or now,
        "processed_at": now,
        "error": error,
    }
    session.connection().execute(_FINISH, parameters)


def _finish_with_apology(
    runtime: Runtime, messenger, event_id, event: dict, ctx, state: str, note: str, answers
) -> None:
    """Record how the event ended and, in the same transaction, the words the user gets.

    A refused action (state done) tells the user why; a failure says only "Sorry, something
    went wrong": never the details.
    """
    if not event_id:
        return
    message = note if state == DONE else None
    try:
        with runtime.db.session() as session:
            # Nothing of the failed transaction was kept: take the event again (a handler
            # elsewhere may have finished it meanwhile, then its answer stands).
            if _claim(session, event_id) is None:
                return
            _finish(session, event_id, state, note[:4000])
            reply = _queue_apology(runtime, messenger, session, event, ctx, message)
        answers.add(reply)
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        log.exception("could not record the end of webhook event %s", event_id)


def _queue_apology(runtime: Runtime, messenger, session, event: dict, ctx, message=None):
    """Queue the words for a user whose event could not be handled, in `session`."""
    from bot.line import messages as line_messages
    from handlers.context import ChatContext

    if ctx is None:
        ctx = ChatContext(
            session=session, runtime=runtime, messenger=messenger, event=event, now=utcnow()
        )
        ctx.locale = runtime.settings.locale
    if event.get("mode") == "standby" or (not ctx.reply_token and not ctx.reply_target):
        return None
    with use_locale(ctx.locale):
        body = message or _("Sorry, something went wrong. Please try again later.")
    return messenger.queue_reply(
        session,
        ctx.reply_token,
        [line_messages.text(body)],
        fallback_to=ctx.reply_target,
        dedupe_key=f"sorry:{event_key(event)}",
        issued_at=ctx.event_time,
    )
