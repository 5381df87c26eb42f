"""`ขอผ่อนผัน <ผู้กู้> <เหตุผล>` / `hardship`: a request for relief, for staff to decide.

An officer names a debtor of their areas, then the reason (namesakes get the officers' pick,
handlers/officer_debtor.py); a debtor sends `ขอผ่อนผัน <เหตุผล>` for themselves. The
request is stored (models/hardship.py, audited); nothing about the loan changes until staff
decide it (`ผ่อนผัน`, handlers/staff_hardship.py, or `fundbot hardship approve|reject`).
"""

from __future__ import annotations

from bot.errors import explain
from bot.i18n import _
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.officer_access import allowed
from handlers.officer_debtor import COMPLETERS, debtor_label, start_with_text
from handlers.router import Command, Router
from models.borrower import Borrower
from models.contract import Contract
from models.errors import DomainError
from models.hardship import request_hardship

NAME = "hardship"
WORDS = ("ขอผ่อนผัน", "hardship")


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, hardship, takes_args=True))


def hardship(ctx: ChatContext) -> None:
    """Officers file for a debtor; debtors for themselves (privately)."""
    if ctx.staff is None and ctx.borrower is not None:
        _for_myself(ctx)
        return
    if allowed(ctx):
        start_with_text(ctx, NAME, usage)


def complete(
    ctx: ChatContext,
    borrower: Borrower,
    _contract: Contract | None,
    payload: dict,
    _origin: str,
    _confirmed: bool,
) -> None:
    """File the request for the debtor named (or picked among namesakes)."""
    if not _file(ctx, borrower, payload["text"]):
        return
    ctx.reply(
        _(
            "The request for %(name)s is recorded for the fund staff to decide: %(reason)s",
            name=debtor_label(borrower),
            reason=payload["text"],
        )
    )


def _for_myself(ctx: ChatContext) -> None:
    if ctx.in_group:
        ctx.reply(_("Please send your request to me in a private chat"))
        return
    reason = ctx.args.strip()
    if not reason:
        ctx.reply(
            _("Send ขอผ่อนผัน and why you need relief, for example: ขอผ่อนผัน น้ำท่วมนา ขอพักชำระ 3 เดือน")
        )
        return
    if _file(ctx, ctx.borrower, reason):
        ctx.reply(
            line_messages.text(
                _(
                    "Thank you. Your request is recorded; the fund staff will look at it "
                    "and your officer will contact you. Until then, please keep paying what "
                    "you can."
                ),
                quick_replies=[(_("Balance"), "ยอด")],
            )
        )


def _file(ctx: ChatContext, borrower: Borrower, reason: str) -> bool:
    try:
        request_hardship(ctx.session, ctx.actor, borrower, reason, now=ctx.now)
    except DomainError as error:
        ctx.reply(explain(error))
        return False
    return True


def usage() -> str:
    """How the command is written, with an example."""
    return _(
        "Send ขอผ่อนผัน, the debtor's name or contract number, then the reason, for "
        "example: ขอผ่อนผัน W-001 น้ำท่วมนา ขอพักชำระ"
    )


COMPLETERS[NAME] = complete
