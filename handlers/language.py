"""Switching language: `ภาษา อังกฤษ` / `language english`, `ภาษา ไทย` / `language thai`."""

from __future__ import annotations

from functools import partial

from bot.i18n import _, use_locale
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.router import Command, Router
from models.audit import audit
from models.chat_state import set_preferred_locale

ENGLISH = ("ภาษา อังกฤษ", "ภาษาอังกฤษ", "ภาษา english", "language english", "language en")
THAI = ("ภาษา ไทย", "ภาษาไทย", "language thai", "language th", "ภาษา thai")
CHOOSE = ("ภาษา", "language")


def register(router: Router) -> None:
    """Add the two language commands, and `ภาษา` alone (which asks which)."""
    router.add("message.text", Command(ENGLISH, partial(switch, locale="en")))
    router.add("message.text", Command(THAI, partial(switch, locale="th")))
    router.add("message.text", Command(CHOOSE, choose))


def choose(ctx: ChatContext) -> None:
    """`ภาษา`: which language, as two buttons."""
    ctx.reply(
        line_messages.text(
            _("Which language would you like me to answer in?"),
            quick_replies=[("ไทย", "ภาษา ไทย"), ("English", "language english")],
        )
    )


def switch(ctx: ChatContext, *, locale: str) -> None:
    """Keep the user's language on their borrower/staff record (audited), else in chat state."""
    for entity, record in (("borrower", ctx.borrower), ("staff", ctx.staff)):
        if record is not None and record.locale != locale:
            before = {"locale": record.locale}
            record.locale = locale
            audit(ctx.session, ctx.actor, "locale", entity, record.id, before, {"locale": locale})
    if ctx.user_id:
        set_preferred_locale(ctx.session, ctx.user_id, locale)
    ctx.locale = locale
    with use_locale(locale):
        ctx.reply(
            _("From now on I will answer you in Thai.")
            if locale == "th"
            else _("From now on I will answer you in English.")
        )
