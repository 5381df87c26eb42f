"""`ยกเลิก` / `undo` for officers: with nothing in progress (a question going on is cancelled
by the conversation first), reverse the officer's own last entry of the last 24 hours, after
a yes/no. Payments get their reversing payment; reports are marked reversed, never deleted.
"""

from __future__ import annotations

from bot.i18n import _
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.conversation import END, Conversation, State
from handlers.officer_access import OfficerCommand
from handlers.officer_debtor import (
    NO_WORDS,
    YES_WORDS,
    cancel_group_question,
    money,
    when_text,
)
from models.chat_state import set_pending
from models.errors import DomainError
from models.field_reports import FieldReport, last_entry, reverse_report

WORDS = ("ยกเลิก", "undo")


def register(router) -> None:
    """Add undo (before the general `ยกเลิก`)."""
    router.add_conversation(UNDO)
    router.add("message.text", OfficerCommand(WORDS, start, staff_only=WORDS))


def describe(report: FieldReport) -> str:
    """The entry, as the question names it."""
    name = report.borrower.display_name
    if report.kind == "payment" and report.payment is not None:
        return _(
            "the payment of %(amount)s from %(name)s",
            amount=money(report.payment.amount),
            name=name,
        )
    if report.kind == "promise":
        return _(
            "the promise of %(name)s to pay %(amount)s by %(date)s",
            name=name,
            amount=money(report.promise_amount),
            date=when_text(report.promise_date),
        )
    if report.kind == "visit":
        return _("the visit to %(name)s", name=name)
    return _("the note about %(name)s", name=name)


def start(ctx: ChatContext) -> None:
    if ctx.in_group:
        if cancel_group_question(ctx):
            ctx.reply(_("Cancelled: nothing was recorded"))
        else:
            ctx.reply(_("Please undo entries in a 1:1 chat with me"))
        return
    report = last_entry(ctx.session, ctx.staff, ctx.now)
    if report is None:
        ctx.reply(_("Nothing to cancel: you have no entry of the last 24 hours"))
        return
    set_pending(
        ctx.session,
        ctx.user_id,
        "undo.confirm",
        {"report_id": report.id},
        now=ctx.now,
        ttl=UNDO.ttl,
    )
    ctx.reply(
        line_messages.text(
            _("Reverse %(what)s?", what=describe(report)),
            quick_replies=[(_("Yes"), "ใช่"), (_("No"), "ไม่")],
        )
    )


def _yes_no(ctx: ChatContext, _data: dict) -> bool:
    return ctx.text in YES_WORDS or ctx.text in NO_WORDS


def answered(ctx: ChatContext, data: dict) -> str:
    if ctx.text in NO_WORDS:
        ctx.reply(_("Kept as it was"))
        return END
    report = ctx.session.get(FieldReport, data["report_id"])
    if report is None or report.officer_id != ctx.staff.id:
        ctx.reply(_("Sorry, that entry cannot be reversed"))
        return END
    try:
        reverse_report(ctx.session, ctx.actor, report, ctx.now, "undo on LINE")
    except DomainError:
        ctx.reply(_("Sorry, that entry cannot be reversed"))
        return END
    ctx.reply(_("Reversed: %(what)s", what=describe(report)))
    return END


def _ask_again(_ctx: ChatContext, _data: dict) -> str:
    return _("Please answer ใช่ (yes) or ไม่ (no), or send ยกเลิก to cancel")


def _expired(_ctx: ChatContext, _data: dict) -> str:
    return _("That question has expired; nothing was reversed")


UNDO = Conversation(
    name="undo",
    entries=[],
    states={"confirm": State(answered, _ask_again, accepts=_yes_no)},
    expired=_expired,
    allowed=lambda ctx: ctx.staff is not None,
)
