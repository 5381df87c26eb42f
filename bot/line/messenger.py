"""The Messenger that handlers and jobs send through.

The answer to a webhook event is an outbox row of kind reply, written in the transaction that
marks the event handled (`queue_reply`) and sent with the reply token (free) as soon as that
commits (`send_reply`); a token that is spent, expired or refused turns it into a push with
the row's retry key. Pushes are rows in the outbox, written in the caller's transaction and
sent by bot/line/dispatcher.py, so nothing is lost while LINE is down and nothing is sent
twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.line.client import LineError, QuotaStatus, SendResult
from bot.line.dispatcher import dispatch, keep_for_push, mark_replies_sent, reply_with_token
from bot.line.transport import LineTransport, SimulatorTransport, Transport
from models.base import Database, utcnow
from models.outbox import OutboxKind, OutboxMessage, enqueue, enqueue_replies, reply_values

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = [
    "LineError",
    "Messenger",
    "QuotaStatus",
    "ReplyDraft",
    "SendResult",
    "Transport",
    "build_messenger",
]

log = logging.getLogger(__name__)

# A reply that had to become a push: the user is waiting for it.
FALLBACK_PRIORITY = 2
# Sent at once, in priority order: the fallback (priority 2) and little else, so a slow LINE
# cannot hold the caller for long; the scheduler sends the rest.
FALLBACK_FLUSH = 5
_CACHE = "_fundbot_messenger"
# A reply row written but not marked sent is left to the dispatcher after this: longer than
# two tries of the reply (client timeout 5 s each), short enough to reuse a live token.
REPLY_LEASE = timedelta(seconds=15)
# LINE honours a reply token for about a minute after the event: up to this age a refusal
# of a token we may have used means we did.
TOKEN_SURELY_VALID = timedelta(seconds=50)


@dataclass(frozen=True)
class ReplyDraft:
    """An answer to an event, to write to the outbox (`Messenger.queue_replies`)."""

    reply_token: str | None
    messages: list[dict]
    fallback_to: str | None
    dedupe_key: str
    issued_at: datetime | None = None


@dataclass(frozen=True)
class QueuedReply:
    """An answer written to the outbox, to send once its transaction commits."""

    row_id: int
    reply_token: str | None
    messages: list[dict]
    fallback_to: str | None


class Messenger:
    """What handlers and jobs send through; one per process (see build_messenger)."""

    def __init__(self, transport: Transport, db: Database) -> None:
        self.transport = transport
        self.db = db

    @property
    def simulated(self) -> bool:
        """True when messages go to the chat simulator, not LINE."""
        return isinstance(self.transport, SimulatorTransport)

    def reply(
        self,
        reply_token: str,
        messages: list[dict],
        *,
        fallback_to: str | None,
        dedupe_key: str,
    ) -> None:
        """Reply (free); what the token cannot carry is queued as a push to `fallback_to`.

        More than 5 messages: the rest follow as a push. A refused token (expired after about
        a minute, or used) or a reply that keeps failing: everything goes as a push. Never
        raises for LINE's errors.
        """
        used, rest = reply_with_token(self.transport, reply_token, messages, maybe_sent=False)
        if not rest:
            return
        if fallback_to is None:
            log.error(
                "reply %s: %d message(s) lost: no chat to push them to", dedupe_key, len(rest)
            )
            return
        with self.db.session() as session:
            enqueue(
                session,
                OutboxKind.PUSH,
                [fallback_to],
                rest,
                dedupe_key=dedupe_key,
                priority=FALLBACK_PRIORITY,
            )
        self.flush(limit=FALLBACK_FLUSH)

    def queue_reply(
        self,
        session: Session,
        reply_token: str | None,
        messages: list[dict],
        *,
        fallback_to: str | None,
        dedupe_key: str,
        issued_at: datetime | None = None,
    ) -> QueuedReply | None:
        """Write the answer to an event in the caller's transaction; send it after the commit.

        `issued_at` is when LINE issued the token (the event's time). Without a token the
        answer is queued as a push to `fallback_to`.
        """
        draft = ReplyDraft(reply_token, list(messages), fallback_to, dedupe_key, issued_at)
        return self.queue_replies(session, [draft])[0]

    def queue_replies(self, session: Session, drafts: list[ReplyDraft]) -> list[QueuedReply | None]:
        """`queue_reply` for the events of a handling batch, in one statement."""
        now = utcnow()
        rows = [
            reply_values(
                draft.reply_token,
                draft.fallback_to,
                draft.messages,
                draft.dedupe_key,
                fresh_until=min(draft.issued_at or now, now) + TOKEN_SURELY_VALID,
                lease_until=now + REPLY_LEASE,
                priority=FALLBACK_PRIORITY,
            )
            for draft in drafts
        ]
        written = enqueue_replies(session, [row for row in rows if row is not None])
        queued: list[QueuedReply | None] = []
        for draft, row in zip(drafts, rows, strict=True):
            row_id = written.get(draft.dedupe_key) if row is not None else None
            queued.append(
                None
                if row_id is None
                else QueuedReply(row_id, draft.reply_token, draft.messages, draft.fallback_to)
            )
        return queued

    def send_reply(self, reply: QueuedReply) -> list[int]:
        """Send a committed answer now; the ids of rows LINE took by token (mark them sent).

        What the token cannot carry (spent, expired, refused, or beyond 5 messages) is pushed
        at once with the row's retry key, or stays queued for the dispatcher.
        """
        if reply.reply_token is None:
            self.flush(limit=FALLBACK_FLUSH)
            return []
        used, rest = reply_with_token(
            self.transport, reply.reply_token, reply.messages, maybe_sent=False
        )
        if not rest:
            return [reply.row_id]
        if reply.fallback_to is None:
            log.error(
                "reply #%d: %d message(s) lost: no chat to push them to", reply.row_id, len(rest)
            )
            mark_replies_sent(self.db, [reply.row_id])
            return []
        keep_for_push(self.db, reply.row_id, rest)
        self.flush(limit=FALLBACK_FLUSH)
        return []

    def mark_replies_sent(self, row_ids: list[int]) -> None:
        """Record, in one statement, that LINE took these answers with their tokens."""
        try:
            mark_replies_sent(self.db, row_ids)
        except Exception:  # noqa: BLE001 - the dispatcher settles them after their lease
            log.exception("recording %d replies as sent failed", len(row_ids))

    def queue_push(
        self,
        session: Session,
        to: str,
        messages: list[dict],
        *,
        dedupe_key: str,
        priority: int = 5,
    ) -> OutboxMessage | None:
        """Queue a push in the caller's transaction; a known dedupe_key returns its row."""
        return enqueue(session, OutboxKind.PUSH, [to], messages, dedupe_key, priority)

    def queue_multicast(
        self,
        session: Session,
        to: list[str],
        messages: list[dict],
        *,
        dedupe_key: str,
        priority: int = 5,
    ) -> OutboxMessage | None:
        """Queue one message for many users (sent 500 ids a request)."""
        return enqueue(session, OutboxKind.MULTICAST, list(to), messages, dedupe_key, priority)

    def flush(self, db: Database | None = None, limit: int = 100) -> int:
        """Send the queued messages that are due now; returns how many were sent."""
        try:
            return dispatch(db or self.db, self.transport, limit=limit).sent
        except Exception:  # noqa: BLE001 - the rows stay queued for the scheduler
            log.exception("flushing the outbox failed")
            return 0

    def profile(self, user_id: str) -> dict | None:
        """LINE's profile JSON for a user (displayName, language...), or None."""
        return self.transport.profile(user_id)

    def group_member_count(self, group_id: str) -> int | None:
        """Members of a group, or None."""
        return self.transport.group_member_count(group_id)

    def content(self, message_id: str) -> bytes:
        """The bytes of an image a user sent; raises LineError."""
        return self.transport.content(message_id)

    def quota(self) -> QuotaStatus:
        """This month's quota; raises LineError."""
        return self.transport.quota()


def build_messenger(runtime: Runtime) -> Messenger:
    """The runtime's Messenger: LINE when credentials are set, else the chat simulator.

    Built once per runtime and kept on it, so callers that ask again (every scheduler tick)
    share one connection pool.
    """
    cached = getattr(runtime, _CACHE, None)
    if cached is not None:
        return cached
    settings = runtime.settings
    if settings.line_configured:
        messenger = Messenger(LineTransport(settings), runtime.db)
    else:
        log.info("no LINE credentials: messages go to the chat simulator")
        messenger = Messenger(SimulatorTransport(runtime.db, settings.instance_path), runtime.db)
    setattr(runtime, _CACHE, messenger)
    return messenger
