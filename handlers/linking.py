"""Linking in chat: a debtor's or officer's one-time code, and unlinking."""

from __future__ import annotations

from bot.i18n import _
from handlers.context import ChatContext
from handlers.router import GROUP, PRIVATE, Command, Router, When
from handlers.texts import how_to_link, local_time, role_label
from models.linking import (
    LinkResult,
    LinkStatus,
    looks_like_code,
    redeem,
    revoke,
    unlink_borrower,
    unlink_staff,
)

REGISTER_WORDS = ("ลงทะเบียน", "register")
UNLINK_WORDS = ("ยกเลิกการเชื่อมต่อ", "unlink")


def register(router: Router) -> None:
    """Add the linking commands: `ลงทะเบียน CODE`, a bare code, `ยกเลิกการเชื่อมต่อ`."""
    router.add(
        "message.text", Command(REGISTER_WORDS, send_code_privately, where=GROUP, takes_args=True)
    )
    router.add(
        "message.text", Command(REGISTER_WORDS, link_with_code, takes_args=True, where=PRIVATE)
    )
    router.add("message.text", Command(UNLINK_WORDS, unlink, where=PRIVATE))
    router.add(
        "message.text", When(lambda ctx: looks_like_code(ctx.text), bare_code, where=PRIVATE)
    )


def send_code_privately(ctx: ChatContext) -> None:
    """A code sent in a group is not used: anyone there could read it."""
    if not looks_like_code(ctx.args):
        return  # someone just said "register ..." in the group: not for the bot
    settings = ctx.runtime.settings
    revoke(ctx.session, ctx.args, now=ctx.now, secret_key=settings.secret_key)
    ctx.reply(
        _(
            "Please send your code to me in a private chat, never in a group. Others have "
            "seen this one, so it no longer works: ask your officer for a new one."
        )
    )


def link_with_code(ctx: ChatContext) -> None:
    """`ลงทะเบียน ABC234`."""
    if not ctx.args:
        ctx.reply(_("Send ลงทะเบียน followed by the 6-character code, for example: ลงทะเบียน ABC234"))
        return
    _redeem(ctx, ctx.args)


def bare_code(ctx: ChatContext) -> None:
    """A code sent on its own."""
    _redeem(ctx, ctx.raw_text)


def _redeem(ctx: ChatContext, code: str) -> None:
    settings = ctx.runtime.settings
    result = redeem(ctx.session, ctx.user_id, code, now=ctx.now, secret_key=settings.secret_key)
    if result.ok:
        ctx.borrower = result.borrower or ctx.borrower
        ctx.staff = result.staff or ctx.staff
    ctx.reply(_answer(ctx, result))


def _answer(ctx: ChatContext, result: LinkResult) -> str:
    status = result.status
    if status is LinkStatus.LOCKED:
        return _(
            "Too many wrong codes. For your safety, codes from this account are refused "
            "until %(time)s.",
            time=local_time(ctx, result.locked_until),
        )
    if status is LinkStatus.INVALID:
        return _("That code is not valid. Check it and send it again.")
    if status is LinkStatus.EXPIRED:
        return _("That code has expired. Ask your officer for a new one.")
    if status is LinkStatus.USED:
        return _("That code has already been used. Ask your officer for a new one.")
    if status is LinkStatus.USER_TAKEN:
        return _(
            "This LINE account is already linked to someone else. Send ยกเลิกการเชื่อมต่อ "
            "first, or ask your officer."
        )
    if result.staff is not None:
        areas = ", ".join(result.staff.area_paths) or "-"
        return _(
            "Registered: %(name)s, %(role)s for %(areas)s.",
            name=result.staff.name,
            role=role_label(result.staff.role),
            areas=areas,
        )
    return _(
        "Linked: this LINE account now belongs to %(name)s. Send ยอด to see your balance.",
        name=result.borrower.display_name,
    )


def unlink(ctx: ChatContext) -> None:
    """`ยกเลิกการเชื่อมต่อ`: the debtor (or officer) unlinks their own LINE account."""
    if ctx.borrower is not None:
        unlink_borrower(ctx.session, ctx.actor, ctx.borrower)
        ctx.reply(
            _(
                "Your LINE account is no longer linked to %(name)s. To link again, ask your "
                "officer for a new code.",
                name=ctx.borrower.display_name,
            )
        )
    elif ctx.staff is not None:
        unlink_staff(ctx.session, ctx.actor, ctx.staff)
        ctx.reply(_("Your LINE account is no longer registered as staff."))
    else:
        ctx.reply(how_to_link())
