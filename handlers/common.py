"""Greetings, help, cancel, and the answer to anything not understood (the fallbacks)."""

from __future__ import annotations

import logging

from bot.i18n import _, normalize, use_locale
from handlers.context import ChatContext
from handlers.router import PRIVATE, Command, Router, When, always
from handlers.texts import help_message, how_to_link
from models.audit import audit
from models.chat_state import clear_pending, preferred_locale, set_preferred_locale

log = logging.getLogger(__name__)

HELP_WORDS = ("ช่วยเหลือ", "help", "วิธีใช้", "เมนู", "menu")
CANCEL_WORDS = ("ยกเลิก", "cancel")
OTHER_MESSAGES = ("image", "video", "audio", "file", "location", "sticker")


def register(router: Router) -> None:
    """Add follow/unfollow, help, cancel and the fallbacks."""
    router.add("follow", When(always, follow))
    router.add("unfollow", When(always, unfollow))
    router.add("message.text", Command(HELP_WORDS, show_help))
    # A conversation takes its own cancel word; this is `ยกเลิก` when none is going on.
    router.add("message.text", Command(CANCEL_WORDS, cancel, where=PRIVATE))
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


def not_understood(ctx: ChatContext) -> None:
    """Anything else in a private chat (a conversation going on has re-prompted already)."""
    if ctx.borrower is None and ctx.staff is None:
        ctx.reply(how_to_link())
    elif ctx.kind == "message.image":
        ctx.reply(_("If this is a transfer slip, send แจ้งโอน first, then the photo."))
    else:
        ctx.reply(_("Sorry, I did not understand. Send ช่วยเหลือ to see what I can do."))
