"""A small router: per event kind, handlers in the order they were registered; first match wins.

Each command family is a module with `register(router)`; `build_router()` lists them in the
order they are tried, one line each, so which handler wins is visible in one place.

An event goes, in this order, to: the observers; the sender's conversation, if they are in
one (handlers/conversation.py: its cancel word and the answer to its current step); the
routes of its kind; when none matched, the understanders (a free text such as
"ขอดูยอดหน่อยค่ะ" understood as the command "ยอด", handlers/intents.py) and the conversation
and routes again with that command; the conversation's re-prompt (or "it expired"); the
fallbacks ("did you mean ...?"). Then the finishers run on what was answered (the quick
replies for the likely next step, handlers/common.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Protocol

from handlers.context import ChatContext, normalize_text
from models.chat_state import clear_pending
from models.thai_text import thai_digits_to_arabic

if TYPE_CHECKING:
    from handlers.conversation import Conversation

log = logging.getLogger(__name__)

ANY_SOURCE = "any"
PRIVATE = "private"
GROUP = "group"


class Handler(Protocol):
    """Anything with `matches(ctx)` and `handle(ctx)`."""

    def matches(self, ctx: ChatContext) -> bool: ...

    def handle(self, ctx: ChatContext) -> None: ...


class Router:
    """Routes each event to the first registered handler of its kind that matches."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Handler]] = {}
        self._fallbacks: dict[str, list[Handler]] = {}
        self._observers: list[Callable[[ChatContext], None]] = []
        self._conversations: list[Conversation] = []
        self._understanders: list[Callable[[ChatContext], str | None]] = []
        self._finishers: list[Callable[[ChatContext], None]] = []

    def add(self, kind: str, handler: Handler) -> None:
        """Register `handler` for events of `kind` ("message.text", "follow", ...)."""
        self._routes.setdefault(kind, []).append(handler)

    def add_conversation(self, conversation: Conversation) -> None:
        """Register a multi-step conversation; its entry commands are text routes from here."""
        if any(c.name == conversation.name for c in self._conversations):
            raise ValueError(f"two conversations named {conversation.name!r}")
        self._conversations.append(conversation)
        for command in conversation.entry_commands():
            self.add("message.text", command)

    def fallback(self, kind: str, handler: Handler) -> None:
        """Register a last resort for `kind`, tried after a conversation's re-prompt."""
        self._fallbacks.setdefault(kind, []).append(handler)

    def observe(self, observer: Callable[[ChatContext], None]) -> None:
        """Run `observer` on every event before routing (e.g. learning group members)."""
        self._observers.append(observer)

    def understand(self, understander: Callable[[ChatContext], str | None]) -> None:
        """Register `understander`: a text no route matched -> the command it means, or None."""
        self._understanders.append(understander)

    def finish(self, finisher: Callable[[ChatContext], None]) -> None:
        """Run `finisher` after every event was routed (e.g. to add quick replies)."""
        self._finishers.append(finisher)

    def handlers(self, kind: str) -> list[Handler]:
        """The handlers of `kind`, in order."""
        return list(self._routes.get(kind, []))

    def conversations(self) -> list[Conversation]:
        """The registered conversations."""
        return list(self._conversations)

    def dispatch(self, ctx: ChatContext) -> bool:
        """Handle `ctx` with the first matching handler; False when none matched."""
        for observer in self._observers:
            observer(ctx)
        handled = self._route(ctx)
        for finisher in self._finishers:
            finisher(ctx)
        if not handled:
            log.info("no handler for %s event %s; ignored", ctx.kind, ctx.webhook_event_id)
        return handled

    def _route(self, ctx: ChatContext) -> bool:
        conversation = self._conversation_of(ctx)
        if conversation is not None and conversation.take(ctx):
            return True
        routes = self._routes.get(ctx.kind, [])
        if _first_match(routes, ctx):
            return True
        if self._understood(ctx):
            if conversation is not None and conversation.take(ctx):
                return True
            if _first_match(routes, ctx):
                return True
            ctx.understood = None
        if conversation is not None and conversation.answer_unhandled(ctx):
            return True
        return _first_match(self._fallbacks.get(ctx.kind, []), ctx)

    def _understood(self, ctx: ChatContext) -> bool:
        """True when an understander gave `ctx` a command other than its text."""
        if ctx.kind != "message.text":
            return False
        for understander in self._understanders:
            command = understander(ctx)
            if command is not None and normalize_text(command) != ctx.text:
                ctx.understood = command
                return True
        return False

    def _conversation_of(self, ctx: ChatContext) -> Conversation | None:
        """The conversation the sender is in (or whose time ran out), if any."""
        row = ctx.chat_state
        if row is None or row.state is None:
            return None
        for conversation in self._conversations:
            if conversation.owns(row.state):
                return conversation
        # Left by a conversation since renamed or removed: nothing may answer for it.
        log.info("chat state %r of no conversation forgotten", row.state)
        clear_pending(ctx.session, ctx.user_id)
        return None


def _first_match(handlers: list[Handler], ctx: ChatContext) -> bool:
    for handler in handlers:
        if handler.matches(ctx):
            handler.handle(ctx)
            return True
    return False


class Command:
    """A text command given by any of `words` (Thai and English), optionally with arguments."""

    def __init__(
        self,
        words: Iterable[str],
        action: Callable[[ChatContext], None],
        *,
        takes_args: bool = False,
        where: str = ANY_SOURCE,
    ) -> None:
        # Longest first, so "ภาษา อังกฤษ" is tried before "ภาษา".
        self.words = sorted({normalize_text(w) for w in words}, key=len, reverse=True)
        self.action = action
        self.takes_args = takes_args
        self.where = where

    def matches(self, ctx: ChatContext) -> bool:
        if not _source_allowed(self.where, ctx):
            return False
        text = ctx.text
        for word in self.words:
            if text == word:
                ctx.args = ""
                return True
            if self.takes_args and text.startswith(word):
                rest = text[len(word) :]
                # Thai is written without spaces between words; English needs one.
                if rest.startswith(" ") or not word[-1].isascii():
                    ctx.args = _original_args(ctx.raw_text, rest)
                    return True
        return False

    def handle(self, ctx: ChatContext) -> None:
        self.action(ctx)

    def __repr__(self) -> str:
        return f"<Command {self.words[0]!r}>"


class When:
    """A handler for events that satisfy `predicate`."""

    def __init__(
        self,
        predicate: Callable[[ChatContext], bool],
        action: Callable[[ChatContext], None],
        *,
        where: str = ANY_SOURCE,
    ) -> None:
        self.predicate = predicate
        self.action = action
        self.where = where

    def matches(self, ctx: ChatContext) -> bool:
        return _source_allowed(self.where, ctx) and bool(self.predicate(ctx))

    def handle(self, ctx: ChatContext) -> None:
        self.action(ctx)

    def __repr__(self) -> str:
        return f"<When {getattr(self.action, '__name__', self.action)}>"


def always(_ctx: ChatContext) -> bool:
    """A predicate that matches every event."""
    return True


def _source_allowed(where: str, ctx: ChatContext) -> bool:
    if where == PRIVATE:
        return not ctx.in_group
    if where == GROUP:
        return ctx.in_group
    return True


def _original_args(raw: str, normalised_rest: str) -> str:
    # Arguments keep their case (area names, codes), but with Thai digits and spaces tidied.
    tidy = " ".join(raw.split())
    tidy_digits = normalize_text(tidy)
    cut = len(tidy_digits) - len(normalised_rest)
    return thai_digits_to_arabic(tidy)[cut:].strip()


def build_router() -> Router:
    """A router with every command family, in the order they are tried: one line each.

    A new command or conversation is a module with `register(router)`, added here.
    """
    from handlers import (
        common,
        debtor,
        group,
        language,
        linking,
        officer_code,
        officer_debtor,
        officer_hardship,
        officer_help,
        officer_note,
        officer_overdue,
        officer_payment,
        officer_promise,
        officer_slips,
        officer_status,
        officer_summary,
        officer_tasks,
        officer_undo,
        officer_visit,
        pay_now,
        staff_hardship,
        transfer_report,
    )

    router = Router()
    language.register(router)  # ภาษา อังกฤษ / language thai
    group.register(router)  # the bot in groups; ผูกกลุ่มทีม before ผูกกลุ่ม
    officer_debtor.register(router)  # officers' pick and yes/no steps
    officer_payment.register(router)  # รับชำระ (before แจ้งโอน: `paid` from staff is theirs)
    officer_visit.register(router)  # เยี่ยม, with the photos and location after it
    officer_promise.register(router)  # นัดชำระ
    officer_note.register(router)  # บันทึก
    officer_status.register(router)  # สถานะ
    officer_undo.register(router)  # ยกเลิก / undo from staff, before the general cancel
    officer_help.register(router)  # ช่วยเหลือ from staff, before the general help
    debtor.register(router)  # ยอด, งวดถัดไป
    pay_now.register(router)  # pay_now:<contract> postback, ชำระเงิน: the Thai QR
    transfer_report.register(router)  # the แจ้งโอน conversation, slip photos, send_slip:<id>
    linking.register(router)  # link codes, ยกเลิกการเชื่อมต่อ
    officer_overdue.register(router)  # ค้างชำระ, its "more" button
    officer_tasks.register(router)  # งานวันนี้, its "done" buttons
    officer_summary.register(router)  # สรุป
    officer_code.register(router)  # รหัส (1:1 only)
    officer_slips.register(router)  # ตรวจสลิป, approve / reject (a conversation)
    officer_hardship.register(router)  # ขอผ่อนผัน (officers and debtors)
    staff_hardship.register(router)  # ผ่อนผัน: staff decide hardship requests (a conversation)
    common.register(router)  # follow, help, cancel; the fallbacks
    return router


@cache
def default_router() -> Router:
    """The process-wide router (built once)."""
    return build_router()
