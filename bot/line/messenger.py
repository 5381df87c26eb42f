"""The Messenger that handlers and jobs send through.

Replies go out at once with the reply token (free). Pushes are rows in the outbox, written in
the caller's transaction and sent by bot/line/dispatcher.py, so nothing is lost while LINE
is down and nothing is sent twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.line.client import LineError, QuotaStatus, SendResult
from bot.line.dispatcher import dispatch
from bot.line.messages import split_for_line
from bot.line.transport import LineTransport, SimulatorTransport, Transport
from models.base import Database
from models.outbox import OutboxKind, OutboxMessage, enqueue

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = [
    "LineError",
    "Messenger",
    "QuotaStatus",
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
        batches = split_for_line(messages)
        if not batches:
            return
        first, rest = batches[0], [m for batch in batches[1:] for m in batch]
        if not self._reply(reply_token, first):
            rest = first + rest
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

    def _reply(self, reply_token: str, batch: list[dict]) -> bool:
        """True when the user got the reply (as far as we can tell)."""
        result = self._try_reply(reply_token, batch)
        if result.ok or not result.retryable:
            if not result.ok:
                log.warning("reply refused (%s): sending as a push", result.error_message)
            return result.ok
        # A 5xx or a timeout may still have delivered: a second try tells us.
        second = self._try_reply(reply_token, batch)
        if second.ok:
            return True
        if second.invalid_reply_token:
            log.warning("reply token used by the first attempt: taking it as delivered")
            return True
        log.warning("reply failed twice (%s): sending as a push", second.error_message)
        return False

    def _try_reply(self, reply_token: str, batch: list[dict]) -> SendResult:
        try:
            return self.transport.reply(reply_token, batch)
        except LineError as exc:
            return exc.result


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
