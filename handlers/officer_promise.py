"""`นัดชำระ <ผู้กู้> <วันที่> <จำนวน>` / `promise`: a promise to pay.

The reminder planner reminds the debtor the day before; the promise ends as kept, partial
or broken from the payments (models.field_reports.settle_promises).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.i18n import _
from handlers.context import ChatContext
from handlers.officer_access import OfficerCommand
from handlers.officer_debtor import (
    COMPLETERS,
    money,
    resolve,
    split_who_date_amount,
    usage,
    when_text,
)
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import PROMISE, add_report, by_origin

NAME = "promise"
WORDS = ("นัดชำระ", "promise")


def register(router) -> None:
    """Add นัดชำระ."""
    router.add("message.text", OfficerCommand(WORDS, start))


def promise_usage() -> str:
    return usage(_("นัดชำระ <debtor> <date> <amount>"), "นัดชำระ สมศรี ใจดี 30/3/69 2,000")


def start(ctx: ChatContext) -> None:
    try:
        who, when, amount = split_who_date_amount(ctx.args, ctx.today)
    except ValueError:
        ctx.reply(promise_usage())
        return
    if when < ctx.today:
        ctx.reply(_("A promise date cannot be in the past"), promise_usage())
        return
    payload = {"date": when.isoformat(), "amount": str(amount)}
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
    """Store the promise."""
    when = date.fromisoformat(payload["date"])
    amount = Decimal(payload["amount"])
    if by_origin(ctx.session, origin) is None:
        add_report(
            ctx.session,
            ctx.actor,
            ctx.staff,
            borrower,
            PROMISE,
            ctx.today,
            contract=contract,
            promise_date=when,
            promise_amount=amount,
            origin=origin,
        )
    ctx.reply(
        _(
            "Promise recorded: %(name)s will pay %(amount)s by %(date)s; I will remind "
            "them the day before.",
            name=borrower.display_name,
            amount=money(amount),
            date=when_text(when),
        )
    )


COMPLETERS[NAME] = complete
