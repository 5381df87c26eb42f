"""Linking in chat: a debtor's or officer's one-time code, and unlinking."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import _, use_locale
from bot.line import messages as line_messages
from handlers import intents
from handlers.context import ChatContext
from handlers.conversation import END, Conversation, Entry, State
from handlers.router import GROUP, PRIVATE, Command, Router, When
from handlers.texts import how_to_link, local_time, role_label
from models.linking import (
    SLOW_INTERVAL,
    GuessingAlert,
    LinkResult,
    LinkStatus,
    alert_recipients,
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
    router.add_conversation(UNLINKING)
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
    if result.replaced_line_user_id is not None:
        _tell_replaced_account(ctx, result)
    if result.alert is not None:
        _alert_administrators(ctx, result.alert)


def _tell_replaced_account(ctx: ChatContext, result: LinkResult) -> None:
    """The account linked before learns it no longer is: a stolen code shows at once."""
    with use_locale(result.replaced_locale or ctx.runtime.settings.locale):
        when = local_time(ctx, ctx.now)
        if result.staff is not None:
            text = _(
                "This LINE account is no longer registered as staff: another LINE account "
                "was registered with a new code on %(time)s. If that was not you, tell your "
                "administrator at once.",
                time=when,
            )
        else:
            text = _(
                "This LINE account is no longer linked to your loan: another LINE account was "
                "linked with a new code on %(time)s. If that was not you, call your community "
                "development officer at once.",
                time=when,
            )
    ctx.push_private(result.replaced_line_user_id, [text], key=f"relinked:{ctx.webhook_event_id}")


def _alert_administrators(ctx: ChatContext, alert: GuessingAlert) -> None:
    """One push per administrator per hour while codes are being guessed (the domain logs it)."""
    hour = alert.raised_at.strftime("%Y%m%d%H")
    for admin in alert_recipients(ctx.session):
        with use_locale(admin.locale):
            text = _(
                "Someone may be guessing LINE link codes: %(count)d wrong codes from LINE "
                "users since %(since)s. Until %(until)s the bot checks at most one code every "
                "%(minutes)d minutes, for everyone, so people linking now may be asked to try "
                "again later.",
                count=alert.failures,
                since=local_time(ctx, alert.since),
                until=local_time(ctx, alert.slow_until),
                minutes=int(SLOW_INTERVAL.total_seconds() // 60),
            )
        ctx.push_private(admin.line_user_id, [text], key=f"link-guessing:{hour}:{admin.id}")


def _answer(ctx: ChatContext, result: LinkResult) -> str:
    status = result.status
    if status is LinkStatus.LOCKED:
        return _(
            "Too many wrong codes. For your safety, codes from this account are refused "
            "until %(time)s.",
            time=local_time(ctx, result.locked_until),
        )
    if status is LinkStatus.THROTTLED:
        return _(
            "Many wrong codes have been sent to me in the last hour, so I check codes slowly "
            "for now. Please send your code again after %(time)s.",
            time=local_time(ctx, result.retry_at),
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


# ---------------------------------------------------------------------- unlinking, confirmed


def _linked(ctx: ChatContext) -> bool:
    return ctx.borrower is not None or ctx.staff is not None


def ask_to_unlink(ctx: ChatContext, _data: dict) -> str | None:
    """`ยกเลิกการเชื่อมต่อ`: nothing happens before a yes (a tap too many is easily made)."""
    if not _linked(ctx):
        ctx.reply(how_to_link())
        return END
    ctx.reply(_confirm_question(ctx))
    return "confirm"


def _confirm_question(ctx: ChatContext) -> dict:
    if ctx.borrower is not None:
        question = _(
            "Do you really want to unlink this LINE account from %(name)s? You will no "
            "longer get reminders or see your balance here.",
            name=ctx.borrower.display_name,
        )
    else:
        question = _("Do you really want to unlink this LINE account from your staff record?")
    return line_messages.text(
        question,
        quick_replies=[(_("Yes, unlink"), "ใช่"), (_("No, keep it"), "ไม่")],
    )


def _an_answer(ctx: ChatContext, _data: dict) -> bool:
    """A yes or a no as typed, or a mere "okay" (an emoji, a dot, a stray character are read
    as one), which is asked again: only a typed yes unlinks anyone."""
    typed = ctx.typed_text
    return intents.is_yes(typed) or intents.is_no(typed) or intents.intent_of(typed) == intents.ACK


def confirmed(ctx: ChatContext, _data: dict) -> str:
    """The answer: yes unlinks, no keeps things as they are, anything else asks again."""
    if intents.is_no(ctx.typed_text):
        ctx.reply(_("All right, your LINE account stays linked."))
        return END
    if not intents.is_yes(ctx.typed_text):
        ctx.reply(_confirm_question(ctx))
        return "confirm"
    unlink(ctx)
    return END


def unlinking_expired(_ctx: ChatContext, _data: dict) -> str:
    return _("Nothing was changed. To unlink, send ยกเลิกการเชื่อมต่อ again.")


UNLINKING = Conversation(
    name="unlink",
    entries=[Entry(UNLINK_WORDS, ask_to_unlink, where=PRIVATE)],
    states={
        "confirm": State(
            step=confirmed,
            reprompt=lambda ctx, _data: _confirm_question(ctx),
            accepts=_an_answer,
        )
    },
    expired=unlinking_expired,
    # A "ใช่" long after the question must not unlink anyone.
    ttl=timedelta(minutes=5),
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
