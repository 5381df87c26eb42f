"""Multi-step chats as registered objects, in the way of python-telegram-bot's ConversationHandler.

A `Conversation` has entry commands, states (each a step handler for the input it waits for
and a re-prompt for anything else), cancel words, a time-to-live, and data carried from step
to step in the sender's chat state (models/chat_state.py), stored as "<name>.<state>".

Entry and step handlers take `(ctx, data)`: `data` is the conversation's dict, which they may
change, and they return what comes next: a state name (remembered with `data`, and the
time-to-live starts again), `END` (the conversation is over), or None (leave the stored
state as it was: the input was answered but changes nothing, e.g. "send it again").

The router asks the sender's conversation first, in a 1:1 chat only:
- a cancel word ends it with "Cancelled.";
- input its current state accepts goes to that state's step;
- anything else goes to the other commands (so `ยอด` still answers mid-way), and what none of
  them understands gets the current state's re-prompt.
Once its time-to-live has passed, a conversation takes no more steps; the first input nobody
understands is told that it expired and what to send to start again. A stored state that no
registered conversation knows is forgotten, never answered with another one's prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from bot.i18n import _
from handlers.context import ChatContext, normalize_text
from handlers.router import ANY_SOURCE, Command
from models.chat_state import DEFAULT_TTL, clear_pending, set_pending

END = "__end__"
CANCEL_WORDS = ("ยกเลิก", "cancel")

# A step or entry: (ctx, data) -> the next state, END, or None to leave things as they are.
Step = Callable[[ChatContext, dict], str | None]
# What to send: (ctx, data) -> a text or a LINE message.
Prompt = Callable[[ChatContext, dict], str | dict]


def _anything(_ctx: ChatContext, _data: dict) -> bool:
    return True


@dataclass(frozen=True)
class State:
    """One step of a conversation: what it waits for, what it does with it, how it asks again.

    `kind` is the event kind it takes ("message.text", "message.image", "postback"), and
    `accepts(ctx, data)` says whether this input is an answer (an amount, a contract number).
    """

    step: Step
    reprompt: Prompt
    kind: str = "message.text"
    accepts: Callable[[ChatContext, dict], bool] = _anything


@dataclass(frozen=True)
class Entry:
    """A command that starts (or restarts) the conversation: `start(ctx, data)` with data {}."""

    words: tuple[str, ...]
    start: Step
    takes_args: bool = False
    where: str = ANY_SOURCE


@dataclass(frozen=True)
class Pending:
    """Where the sender is in a conversation, as stored in their chat state."""

    state: str
    data: dict
    expired: bool


@dataclass
class Conversation:
    """A registered multi-step chat (see the module docstring); add it with Router.add_conversation.

    `expired(ctx, data)` words the notice that it ran out of time (say what to send to start
    again); `allowed(ctx)` says who may be in it (e.g. linked debtors): for anyone else it
    stays out of the way.
    """

    name: str
    entries: Iterable[Entry]
    states: dict[str, State]
    expired: Prompt
    ttl: timedelta = DEFAULT_TTL
    cancel_words: Iterable[str] = CANCEL_WORDS
    allowed: Callable[[ChatContext], bool] = field(default=lambda ctx: True)

    def __post_init__(self) -> None:
        self.entries = tuple(self.entries)
        self.cancel_words = frozenset(normalize_text(w) for w in self.cancel_words)
        if "." in self.name or any("." in s or s == END for s in self.states):
            raise ValueError(f"conversation {self.name!r}: names may not contain '.'")

    # ------------------------------------------------------------------ for the router

    def entry_commands(self) -> list[Command]:
        """The commands that start it, for the router's text routes."""
        return [
            Command(e.words, partial(self._start, e), takes_args=e.takes_args, where=e.where)
            for e in self.entries
        ]

    def owns(self, stored_state: str) -> bool:
        """True when `stored_state` ("<name>.<state>") is one of this conversation's states."""
        name, _dot, state = stored_state.partition(".")
        return name == self.name and state in self.states

    def take(self, ctx: ChatContext) -> bool:
        """Handle `ctx` if it is the sender's cancel word or an answer to the current step."""
        pending = self.pending(ctx)
        if pending is None:
            return False
        if ctx.kind == "message.text" and ctx.text in self.cancel_words:
            clear_pending(ctx.session, ctx.user_id)
            ctx.reply(_("Cancelled."))
            return True
        if pending.expired:
            return False
        state = self.states[pending.state]
        if ctx.kind != state.kind or not state.accepts(ctx, pending.data):
            return False
        data = dict(pending.data)
        self._go(ctx, state.step(ctx, data), data)
        return True

    def answer_unhandled(self, ctx: ChatContext) -> bool:
        """Input nobody understood: ask again for what the current step waits for."""
        pending = self.pending(ctx)
        if pending is None or not _is_input(ctx):
            return False
        if pending.expired:
            clear_pending(ctx.session, ctx.user_id)
            ctx.reply(self.expired(ctx, pending.data))
        else:
            ctx.reply(self.states[pending.state].reprompt(ctx, pending.data))
        return True

    def pending(self, ctx: ChatContext) -> Pending | None:
        """Where the sender is in this conversation (expired or not); None when not in it."""
        row = ctx.chat_state
        if ctx.in_group or not ctx.user_id or row is None or row.state is None:
            return None
        if not self.owns(row.state) or not self.allowed(ctx):
            return None
        expired = row.expires_at is None or row.expires_at <= ctx.now
        return Pending(row.state.partition(".")[2], dict(row.data or {}), expired)

    def begin(self, ctx: ChatContext, start: Step, data: dict | None = None) -> None:
        """Start (or restart) it from another kind of input (a photo, a postback): `start`
        runs with `data` and its answer moves the conversation on as an entry's would."""
        data = dict(data or {})
        self._go(ctx, start(ctx, data), data)

    # ------------------------------------------------------------------ moving on

    def _start(self, entry: Entry, ctx: ChatContext) -> None:
        data: dict = {}
        self._go(ctx, entry.start(ctx, data), data)

    def _go(self, ctx: ChatContext, following: str | None, data: dict) -> None:
        if following is None:
            return
        if following == END:
            clear_pending(ctx.session, ctx.user_id)
            return
        if following not in self.states:
            raise ValueError(f"conversation {self.name!r} has no state {following!r}")
        key = f"{self.name}.{following}"
        set_pending(ctx.session, ctx.user_id, key, data, now=ctx.now, ttl=self.ttl)

    def __repr__(self) -> str:
        return f"<Conversation {self.name!r}>"


def _is_input(ctx: ChatContext) -> bool:
    # What a person sends (a message, a tap), not follow/unfollow or group membership.
    return ctx.kind.startswith("message.") or ctx.kind == "postback"
