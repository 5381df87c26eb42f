"""Greetings, thanks, help, cancel, the answer to anything not understood (the fallbacks), and
the quick replies every answer to a debtor ends with (`next_steps`, `add_next_steps`)."""

from __future__ import annotations

import logging

from bot.i18n import _, normalize, use_locale
from bot.line import messages as line_messages
from handlers import intents
from handlers.context import ChatContext
from handlers.router import PRIVATE, Command, Router, When, always
from handlers.texts import help_message, how_to_link
from models.audit import audit
from models.chat_state import clear_pending, preferred_locale, set_preferred_locale

log = logging.getLogger(__name__)

HELP_WORDS = ("ช่วยเหลือ", "help", "วิธีใช้", "เมนู", "menu")
CANCEL_WORDS = ("ยกเลิก", "cancel")
GREETING_WORDS = (intents.COMMAND[intents.GREETING],)
THANKS_WORDS = (intents.COMMAND[intents.THANKS],)
ACK_WORDS = (intents.COMMAND[intents.ACK],)
OTHER_MESSAGES = ("image", "video", "audio", "file", "location", "sticker")

# The main actions, in the order their quick replies appear.
MAIN_STEPS = (
    intents.BALANCE,
    intents.PAY,
    intents.PAID,
    intents.NEXT,
    intents.OFFICER,
    intents.HELP,
)


def register(router: Router) -> None:
    """Add follow/unfollow, greetings, thanks, help, cancel, the fallbacks and quick replies."""
    router.add("follow", When(always, follow))
    router.add("unfollow", When(always, unfollow))
    router.add("message.text", Command(HELP_WORDS, show_help))
    router.add("message.text", Command(GREETING_WORDS, greet, where=PRIVATE))
    router.add("message.text", Command(THANKS_WORDS, thanks, where=PRIVATE))
    router.add("message.text", Command(ACK_WORDS, acknowledge, where=PRIVATE))
    # A conversation takes its own cancel word; this is `ยกเลิก` when none is going on.
    router.add("message.text", Command(CANCEL_WORDS, cancel, where=PRIVATE))
    router.understand(understand_private_text)
    router.finish(add_next_steps)
    # In a group people talk among themselves: anything else there is not for the bot.
    router.fallback("message.text", When(always, not_understood, where=PRIVATE))
    for kind in OTHER_MESSAGES:
        router.fallback(f"message.{kind}", When(always, not_understood, where=PRIVATE))


def follow(ctx: ChatContext) -> None:
    """Added as a friend (or unblocked): greet, and say how to link if not linked."""
    borrower = ctx.borrower
    if borrower is not None:
        if not borrower.line_reachable:
            borrower.line_reachable = True
            audit(
                ctx.session,
                ctx.actor,
                "line_reachable",
                "borrower",
                borrower.id,
                {"line_reachable": False},
                {"line_reachable": True},
            )
        ctx.reply(
            _("Welcome back, %(name)s! Send ยอด to see your balance.", name=borrower.display_name)
        )
        set_next_steps(ctx, *MAIN_STEPS)
        return
    if ctx.staff is not None:
        ctx.reply(_("Welcome back, %(name)s!", name=ctx.staff.name))
        return
    locale = _profile_locale(ctx)
    with use_locale(locale):
        ctx.reply(
            _(
                "Hello! I am the repayment assistant of the community development funds. "
                "I can tell you your loan balance and next installment, and take your "
                "transfer slips."
            ),
            how_to_link(),
        )


def _profile_locale(ctx: ChatContext) -> str:
    """The language of the user's LINE app, asked once (a LINE call, made after the ack)."""
    chosen = preferred_locale(ctx.session, ctx.user_id) if ctx.user_id else None
    if chosen or not ctx.user_id:
        return chosen or ctx.locale
    try:
        profile = ctx.messenger.profile(ctx.user_id)
    except Exception:  # noqa: BLE001 - a greeting in the default language is fine
        log.warning("profile of %s not available", ctx.user_id, exc_info=True)
        return ctx.locale
    language = _language_of(profile)
    if not language:
        return ctx.locale
    locale = normalize(language)
    set_preferred_locale(ctx.session, ctx.user_id, locale)
    ctx.locale = locale
    return locale


def _language_of(profile) -> str | None:
    if profile is None:
        return None
    if isinstance(profile, dict):
        return profile.get("language")
    return getattr(profile, "language", None)


def unfollow(ctx: ChatContext) -> None:
    """Blocked: the borrower can no longer be reached on LINE until they follow again."""
    borrower = ctx.borrower
    if borrower is not None and borrower.line_reachable:
        borrower.line_reachable = False
        audit(
            ctx.session,
            ctx.actor,
            "line_reachable",
            "borrower",
            borrower.id,
            {"line_reachable": True},
            {"line_reachable": False},
        )
    if ctx.user_id:
        clear_pending(ctx.session, ctx.user_id)


def show_help(ctx: ChatContext) -> None:
    """`ช่วยเหลือ`: the commands."""
    ctx.reply(help_message(ctx))


def cancel(ctx: ChatContext) -> None:
    """`ยกเลิก` with no conversation going on: nothing to drop, but say it is done."""
    clear_pending(ctx.session, ctx.user_id)
    ctx.reply(_("Cancelled."))


def greet(ctx: ChatContext) -> None:
    """`สวัสดี` (and "หวัดดีค่ะ", "hello"): a friendly hello and the main actions."""
    if ctx.borrower is not None:
        ctx.reply(
            _(
                "Hello, %(name)s! How can I help you today? Tap a button below, or send ยอด "
                "to see your balance.",
                name=ctx.borrower.display_name,
            )
        )
    elif ctx.staff is not None:
        ctx.reply(_("Hello, %(name)s! Send ช่วยเหลือ to see what I can do.", name=ctx.staff.name))
    else:
        ctx.reply(_("Hello! I am the repayment assistant of the community funds."), how_to_link())


def thanks(ctx: ChatContext) -> None:
    """`ขอบคุณ`: you are welcome."""
    ctx.reply(_("You are welcome! I am here whenever you need me."))


def acknowledge(ctx: ChatContext) -> None:
    """ "โอเค", "ครับ", "ค่ะ" on their own: acknowledged, and what else we can do."""
    ctx.reply(_("Noted. Is there anything else I can help you with?"))


def understand_private_text(ctx: ChatContext) -> str | None:
    """The command a free text in a 1:1 chat means (handlers/intents.py), if it is clear.

    Never in a group: there people talk among themselves, and "ยอดเยี่ยม" is not a question.
    """
    if ctx.in_group:
        return None
    understood = intents.understand(ctx.raw_text)
    return understood.command if understood else None


def not_understood(ctx: ChatContext) -> None:
    """Anything else in a private chat (a conversation going on has re-prompted already)."""
    if ctx.borrower is None and ctx.staff is None:
        ctx.reply(how_to_link())
    elif ctx.kind == "message.image":
        ctx.reply(_("If this is a transfer slip, send แจ้งโอน first, then the photo."))
        set_next_steps(ctx, intents.PAID, intents.BALANCE, intents.HELP)
    else:
        ctx.reply(
            _(
                "Sorry, I am not sure what you mean. Did you mean one of these? Tap a button "
                "below, or send ช่วยเหลือ to see everything I can do."
            )
        )


# ---------------------------------------------------------------------- quick replies


def next_steps(*steps: str) -> list[tuple[str, str]]:
    """Quick replies (label, command) for intents (handlers/intents.py), in the given order."""
    labels = {
        intents.BALANCE: _("Balance"),
        intents.NEXT: _("Next installment"),
        intents.PAY: _("Pay"),
        intents.PAID: _("Send a slip"),
        intents.OFFICER: _("Call my officer"),
        intents.HELP: _("Help"),
        intents.LANGUAGE: _("Language"),
        intents.CANCEL: _("Cancel"),
    }
    return [(labels[step], intents.COMMAND[step]) for step in steps if step in labels]


def set_next_steps(ctx: ChatContext, *steps: str) -> None:
    """Choose the quick replies the answer to this event ends with (default: the main ones)."""
    ctx.memo["next_steps"] = steps


def add_next_steps(ctx: ChatContext) -> None:
    """Every answer to a linked debtor in a 1:1 chat ends with quick replies for the next step.

    An answer that brings its own (a choice of contracts) keeps them. In the middle of an
    exchange the first one is "cancel".
    """
    if ctx.in_group or not ctx.replies or ctx.borrower is None or ctx.borrower.line_user_id is None:
        return
    last = ctx.replies[-1]
    if last.get("quickReply"):
        return
    steps = tuple(ctx.memo.get("next_steps") or MAIN_STEPS)
    if ctx.pending() is not None:
        steps = (intents.CANCEL, *[s for s in steps if s != intents.CANCEL])
    with use_locale(ctx.locale):
        ctx.replies[-1] = line_messages.with_quick_replies(last, next_steps(*steps))
