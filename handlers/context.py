"""What every handler receives: the event, who sent it, their language, and how to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

from sqlalchemy import String, and_, bindparam, select, union_all
from sqlalchemy.orm import Session

from bot.line import messages as line_messages
from bot.line.messenger import ReplyDraft
from bot.runtime import Runtime
from models.audit import Actor
from models.base import session_writes
from models.borrower import Borrower
from models.chat_state import ChatState, held_row, pending, pending_in
from models.inbound import event_key
from models.staff import Staff
from models.thai_text import thai_digits_to_arabic
from models.types import Source

GROUP_SOURCES = ("group", "room")


def normalize_text(text: str) -> str:
    """What commands are matched on: Thai digits as 0-9, single spaces, English case-folded."""
    return " ".join(thai_digits_to_arabic(text).split()).casefold()


def event_kind(event: dict) -> str:
    """The routing key: "message.text", "message.image", ..., or the event type itself."""
    kind = str(event.get("type") or "")
    if kind == "message":
        message = event.get("message") or {}
        return f"message.{message.get('type') or ''}"
    return kind


@dataclass
class ChatContext:
    """One event being handled, inside its own database transaction."""

    session: Session
    runtime: Runtime
    messenger: object
    event: dict
    now: datetime
    borrower: Borrower | None = None
    staff: Staff | None = None
    # The sender's chat memory row (pending exchange, chosen language), if there is one.
    chat_state: ChatState | None = None
    # True once `build` loaded the sender's rows: a chat_state row not loaded then did not exist.
    sender_loaded: bool = False
    locale: str = "th"
    # Set by a command handler that takes arguments: the text after the command word.
    args: str = ""
    replies: list[dict] = field(default_factory=list)
    # Pushes queued while handling: the webhook flushes the outbox only when there are some.
    queued: int = 0
    # The answer written by send_replies, for the pipeline to send once the event commits.
    reply_row: object = None
    # Lookups several handlers' matches() would repeat, kept for this event.
    memo: dict = field(default_factory=dict)
    # The command a free text was understood as ("ขอดูยอดหน่อยค่ะ" -> "ยอด"), once the router
    # has asked its understanders (handlers/intents.py); commands then match this instead.
    understood: str | None = None

    @classmethod
    def build(
        cls,
        session: Session,
        runtime: Runtime,
        messenger,
        event: dict,
        *,
        now: datetime,
        senders: SenderRows | None = None,
    ) -> ChatContext:
        """A context for `event`, with the sender's borrower/staff record and language (from
        `senders`, the batch's, when they still hold)."""
        ctx = cls(session=session, runtime=runtime, messenger=messenger, event=event, now=now)
        if ctx.user_id:
            rows = senders.take(ctx.user_id) if senders is not None else None
            ctx.borrower, ctx.staff, ctx.chat_state = rows or _sender_rows(session, ctx.user_id)
            ctx.sender_loaded = True
        ctx.locale = ctx._resolve_locale()
        return ctx

    def _resolve_locale(self) -> str:
        if self.staff is not None:
            return self.staff.locale
        if self.borrower is not None:
            return self.borrower.locale
        if self.chat_state is not None and self.chat_state.locale:
            return self.chat_state.locale
        return self.runtime.settings.locale

    def pending(self) -> tuple[str, dict] | None:
        """The (state, data) the sender is in now, handlers' changes included, or None.

        Without a query when `build` loaded the sender: the row is then the one loaded, or
        one a handler added in this session since.
        """
        if not self.user_id:
            return None
        if not self.sender_loaded:
            return pending(self.session, self.user_id, self.now)
        row = self.chat_state or held_row(self.session, self.user_id)
        return pending_in(row, self.now)

    # ------------------------------------------------------------------ the event

    @property
    def kind(self) -> str:
        """The routing key of the event."""
        return event_kind(self.event)

    @property
    def source(self) -> dict:
        """LINE's source object (empty when absent)."""
        source = self.event.get("source")
        return source if isinstance(source, dict) else {}

    @property
    def source_type(self) -> str | None:
        """user, group or room (or something newer)."""
        return self.source.get("type")

    @property
    def user_id(self) -> str | None:
        """The LINE user who acted (absent for some group events)."""
        return self.source.get("userId")

    @property
    def chat_id(self) -> str | None:
        """The group or room id, when the event happened in one."""
        return self.source.get("groupId") or self.source.get("roomId")

    @property
    def in_group(self) -> bool:
        """True in a group or multi-person chat, where others read the answers."""
        return self.source_type in GROUP_SOURCES

    @property
    def webhook_event_id(self) -> str:
        """The event's unique id (or the hash standing in for it)."""
        return event_key(self.event)

    @property
    def reply_token(self) -> str | None:
        """LINE's single-use token for answering this event."""
        return self.event.get("replyToken")

    @property
    def message(self) -> dict:
        """The message object of a message event (empty otherwise)."""
        message = self.event.get("message")
        return message if isinstance(message, dict) else {}

    @property
    def raw_text(self) -> str:
        """The text as typed (or the command it was understood as, once understood)."""
        if self.understood is not None:
            return self.understood
        return self.typed_text

    @property
    def typed_text(self) -> str:
        """The text exactly as typed, even once understood as a command: a yes that changes
        something must be a yes, not a thumbs-up or a dot read as "โอเค"."""
        return str(self.message.get("text") or "")

    @property
    def text(self) -> str:
        """The text normalised for matching commands."""
        return normalize_text(self.raw_text)

    @property
    def reply_target(self) -> str | None:
        """Where answers go: the group or room, else the user."""
        return self.chat_id if self.in_group else self.user_id

    @property
    def actor(self) -> Actor:
        """The sender, for the audit log."""
        return Actor(f"line:{self.user_id}", Source.LINE)

    @property
    def today(self) -> date:
        """Today in the fund's time zone."""
        return self.now.astimezone(self.runtime.settings.timezone).date()

    # ------------------------------------------------------------------ answering

    def reply(self, *messages: str | dict) -> None:
        """Answer the event; written with it (send_replies) and sent once it commits."""
        self.replies.extend(_as_message(m) for m in messages)

    def push_private(self, user_id: str, messages: list[str | dict], key: str) -> None:
        """Queue a 1:1 push (in this transaction), sent once even if queued twice."""
        self.messenger.queue_push(
            self.session, user_id, [_as_message(m) for m in messages], dedupe_key=key
        )
        self.queued += 1

    def send_replies(self) -> None:
        """Write what handlers replied to the outbox, in this event's transaction.

        The pipeline (bot/inbound.py) sends it with the reply token once the transaction
        commits, so the answer exists exactly when the event counts as handled. Without a
        reply token it waits as a push to the chat.
        """
        send_all_replies([self])

    def reply_draft(self) -> ReplyDraft | None:
        """What send_replies writes, or None when there is nothing (more) to write."""
        if not self.replies or self.reply_row is not None:
            return None
        return ReplyDraft(
            self.reply_token,
            list(self.replies),
            self.reply_target,
            f"reply:{self.webhook_event_id}",
            self.event_time,
        )

    @property
    def event_time(self) -> datetime | None:
        """When LINE says the event happened (its reply token was issued then)."""
        stamp = self.event.get("timestamp")
        if not isinstance(stamp, int) or isinstance(stamp, bool):
            return None
        try:
            return datetime.fromtimestamp(stamp / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None


def send_all_replies(contexts: list[ChatContext]) -> None:
    """`send_replies` for the events of one transaction (a handling batch): one statement."""
    pending_drafts = [(ctx, ctx.reply_draft()) for ctx in contexts]
    pending_drafts = [(ctx, draft) for ctx, draft in pending_drafts if draft is not None]
    if not pending_drafts:
        return
    first = pending_drafts[0][0]
    written = first.messenger.queue_replies(first.session, [d for _ctx, d in pending_drafts])
    for (ctx, _draft), row in zip(pending_drafts, written, strict=True):
        ctx.reply_row = row
        if ctx.reply_token is None and row is not None:
            ctx.queued += 1


class SenderRows:
    """The senders' rows of a handling batch, read in one statement before its first event.

    A user's rows serve that user's first event of the batch only, and only while the session
    has written nothing since they were read (a handler may link an account or open someone
    else's conversation); otherwise the sender is read again, as a lone event's is.
    """

    def __init__(self, session: Session, events: list[dict]) -> None:
        wanted = sorted({user_id for event in events if (user_id := sender_of(event))})
        self._session = session
        self._rows = _batch_sender_rows(session, wanted) if len(wanted) > 1 else {}
        self._writes = session_writes(session)

    def take(self, user_id: str):
        """(borrower, staff, chat_state) as read for the batch, or None: read them again."""
        rows = self._rows.pop(user_id, None)
        session = self._session
        if rows is None or session_writes(session) != self._writes:
            return None
        if session.new or session.dirty or session.deleted:
            return None
        return rows


def sender_of(event: dict) -> str | None:
    """The LINE user who sent `event`, if the event says."""
    source = event.get("source")
    user_id = source.get("userId") if isinstance(source, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def _batch_sender_rows(session: Session, user_ids: list[str]) -> dict[str, tuple]:
    parameters = {f"user_{n}": user_id for n, user_id in enumerate(user_ids)}
    found: dict[str, tuple] = {}
    repeated = set()
    for row in session.execute(_senders_statement(len(user_ids)), parameters):
        if row[0] in found:
            repeated.add(row[0])  # two records for one LINE user: the lone read says so
        found[row[0]] = (row[1], row[2], row[3])
    for user_id in repeated:
        del found[user_id]
    return found


def _sender_rows(
    session: Session, user_id: str
) -> tuple[Borrower | None, Staff | None, ChatState | None]:
    """The user's borrower, active staff and chat_state rows, each possibly None.

    One query instead of three: it runs for every event, and the router's first handlers
    need the chat_state row for every linked debtor's message anyway.
    """
    row = session.execute(_senders_statement(1), {"user_0": user_id}).one()
    return row[1], row[2], row[3]


@lru_cache(maxsize=32)
def _senders_statement(count: int):
    """Each of `count` users (bound as user_0...) with their borrower, active staff and
    chat_state rows (outer joins: any may lack). Built once per count: building it costs
    more than running it."""
    users = union_all(
        *(select(bindparam(f"user_{n}", type_=String).label("user_id")) for n in range(count))
    ).subquery()
    user_id = users.c.user_id
    return (
        select(user_id, Borrower, Staff, ChatState)
        .select_from(users)
        .outerjoin(Borrower, Borrower.line_user_id == user_id)
        .outerjoin(Staff, and_(Staff.line_user_id == user_id, Staff.active.is_(True)))
        .outerjoin(ChatState, ChatState.line_user_id == user_id)
    )


def _as_message(message: str | dict) -> dict:
    return line_messages.text(message) if isinstance(message, str) else message
