"""`บันทึก <ผู้กู้> <ข้อความ>` / `note`: a free note about a debtor, in their collection case."""

from __future__ import annotations

from bot.i18n import _
from handlers.context import ChatContext
from handlers.officer_common import COMPLETERS, OfficerCommand, resolve, split_who_text, usage
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import NOTE, add_report, by_origin

NAME = "note"
WORDS = ("บันทึก", "note")


def register(router) -> None:
    """Add บันทึก."""
    router.add("message.text", OfficerCommand(WORDS, start))


def note_usage() -> str:
    return usage(_("บันทึก <debtor> <text>"), "บันทึก สมศรี ใจดี ขอเลื่อนไปสิ้นเดือน")


def start(ctx: ChatContext) -> None:
    try:
        who, text = split_who_text(ctx, ctx.args)
    except ValueError:
        ctx.reply(note_usage())
        return
    payload = {"text": text}
    found = resolve(ctx, NAME, who, payload)
    if found is not None:
        complete(ctx, found.borrower, found.contract, payload, ctx.webhook_event_id, False)


def complete(
    ctx: ChatContext,
    borrower: Borrower,
    contract: Contract | None,
    payload: dict,
    origin: str,
    _confirmed: bool,
) -> None:
    """Store the note."""
    if by_origin(ctx.session, origin) is None:
        add_report(
            ctx.session,
            ctx.actor,
            ctx.staff,
            borrower,
            NOTE,
            ctx.today,
            text=payload["text"],
            contract=contract,
            origin=origin,
        )
    ctx.reply(_("Note about %(name)s recorded", name=borrower.display_name))


COMPLETERS[NAME] = complete
