"""A small router: per event kind, handlers in the order they were registered; first match wins.

Each command family is a module with `register(router)`; `default_router()` loads them in
an explicit order, so which handler wins is visible in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import cache
from typing import Protocol

from handlers.context import ChatContext, normalize_text
from models.thai_text import thai_digits_to_arabic

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
        self._observers: list[Callable[[ChatContext], None]] = []

    def add(self, kind: str, handler: Handler) -> None:
        """Register `handler` for events of `kind` ("message.text", "follow", ...)."""
        self._routes.setdefault(kind, []).append(handler)

    def observe(self, observer: Callable[[ChatContext], None]) -> None:
        """Run `observer` on every event before routing (e.g. learning group members)."""
        self._observers.append(observer)

    def handlers(self, kind: str) -> list[Handler]:
        """The handlers of `kind`, in order."""
        return list(self._routes.get(kind, []))

    def dispatch(self, ctx: ChatContext) -> bool:
        """Handle `ctx` with the first matching handler; False when none matched."""
        for observer in self._observers:
            observer(ctx)
        for handler in self._routes.get(ctx.kind, []):
            if handler.matches(ctx):
                handler.handle(ctx)
                return True
        log.info("no handler for %s event %s; ignored", ctx.kind, ctx.webhook_event_id)
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
    """A router with every command family, in the order they are tried."""
    from handlers import common, debtor, group, language, linking

    router = Router()
    for module in (language, group, debtor, linking, common):
        module.register(router)
    return router


@cache
def default_router() -> Router:
    """The process-wide router (built once)."""
    return build_router()
