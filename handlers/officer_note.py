"""`บันทึก <ผู้กู้> <ข้อความ>` / `note`: a free note about a debtor, in their collection case."""

from __future__ import annotations

from bot.i18n import _
from handlers.context import ChatContext
from handlers.officer_access import OfficerCommand
from handlers.officer_debtor import (
    COMPLETERS,
    start_with_text,
    store_report_once,
    usage,
)
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import NOTE

NAME = "note"
WORDS = ("บันทึก", "note")


def register(router) -> None:
    """Add บันทึก."""
    router.add("message.text", OfficerCommand(WORDS, start))


def note_usage() -> str:
    return usage(_("บันทึก <debtor> <text>"), "บันทึก สมศรี ใจดี ขอเลื่อนไปสิ้นเดือน")


def start(ctx: ChatContext) -> None:
    start_with_text(ctx, NAME, note_usage)


def complete(
    ctx: ChatContext,
    borrower: Borrower,
    contract: Contract | None,
    payload: dict,
    origin: str,
    _confirmed: bool,
) -> None:
    """Store the note."""
    store_report_once(ctx, borrower, contract, NOTE, payload["text"], origin)
    ctx.reply(_("Note about %(name)s recorded", name=borrower.display_name))


COMPLETERS[NAME] = complete
