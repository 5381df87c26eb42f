"""`รับชำระ <ผู้กู้> <จำนวน> [วันที่]` / `paid`: an officer records cash collected in the village.

Stored at once as a confirmed cash payment (models.ledger.record_payment, allocated), unless
it is more than the debtor owes or dated in the future: then yes/no first.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.i18n import _
from bot.line import messages as line_messages
from bot.payment_question import payment_question
from handlers.context import ChatContext
from handlers.officer_access import OfficerCommand
from handlers.officer_debtor import (
    COMPLETERS,
    active_contracts,
    ask_confirm,
    money,
    resolve,
    split_who_amount_date,
    usage,
    when_text,
)
from models.arrears import contract_arrears
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import CASE_CLOSED, PAYMENT, add_report, by_origin, open_case
from models.ledger import open_installments, payment_doubt, record_payment
from models.types import PaymentChannel

NAME = "payment"
WORDS = ("รับชำระ", "รับเงิน", "paid")


def register(router) -> None:
    """Add รับชำระ."""
    router.add("message.text", OfficerCommand(WORDS, start, staff_only=("paid",)))


def payment_usage() -> str:
    return usage(_("รับชำระ <debtor> <amount> [date]"), "รับชำระ สมศรี ใจดี 1,500 15/3/69")


def start(ctx: ChatContext) -> None:
    try:
        who, amount, paid_on = split_who_amount_date(ctx.args, ctx.today)
    except ValueError:
        ctx.reply(payment_usage())
        return
    payload = {"amount": str(amount), "paid_on": (paid_on or ctx.today).isoformat()}
    found = resolve(ctx, NAME, who, payload)
    if found is not None:
        complete(ctx, found.borrower, found.contract, payload, ctx.webhook_event_id, False)


def complete(
    ctx: ChatContext,
    borrower: Borrower,
    contract: Contract | None,
    payload: dict,
    origin: str,
    confirmed: bool,
) -> None:
    """Store the payment (after a yes when it looks wrong)."""
    if by_origin(ctx.session, origin) is not None:
        ctx.reply(_("This payment is recorded already"))
        return
    contract = contract or _contract_to_pay(ctx, borrower)
    if contract is None:
        ctx.reply(_("%(name)s has no active contract to pay", name=borrower.display_name))
        return
    amount = Decimal(payload["amount"])
    paid_on = date.fromisoformat(payload["paid_on"])
    doubt = payment_doubt(contract, amount, paid_on, ctx.today)
    if not confirmed and doubt is not None:
        question = payment_question(doubt, contract, amount, paid_on, borrower.display_name)
        ask_confirm(ctx, question, NAME, borrower, contract, payload, origin)
        return
    # The report files under the case open before the money came in: the ledger closes
    # that case when this payment clears the arrears.
    case = open_case(ctx.session, ctx.actor, borrower, ctx.today)
    payment = record_payment(
        ctx.session,
        ctx.actor,
        contract,
        amount,
        paid_on,
        PaymentChannel.CASH_OFFICER,
        reference=f"line-event:{origin}"[:100],
        note=f"officer:{ctx.staff.id}",
        today=ctx.today,
    )
    add_report(
        ctx.session,
        ctx.actor,
        ctx.staff,
        borrower,
        PAYMENT,
        ctx.today,
        contract=contract,
        payment=payment,
        origin=origin,
        case=case,
    )
    closed = case.status == CASE_CLOSED
    rows = contract_arrears(ctx.session, ctx.today, scope=None, borrower_id=borrower.id)
    mine = next((r for r in rows if r.contract_no == contract.contract_no), None)
    lines = [
        _(
            "Recorded: %(amount)s cash from %(name)s for %(contract)s, %(date)s.",
            amount=money(amount),
            name=borrower.display_name,
            contract=contract.contract_no,
            date=when_text(paid_on),
        )
    ]
    if mine is not None:
        lines.append(
            _(
                "Outstanding principal %(balance)s, overdue %(overdue)s.",
                balance=money(mine.outstanding_principal),
                overdue=money(mine.overdue_amount),
            )
        )
    if closed:
        lines.append(_("The arrears are cleared; the collection case is closed."))
    ctx.reply(line_messages.text("\n".join(lines), quick_replies=[(_("Undo"), "ยกเลิก")]))


def _contract_to_pay(ctx: ChatContext, borrower: Borrower) -> Contract | None:
    """The contract typed, else the one whose oldest unpaid installment is oldest."""
    contracts = active_contracts(ctx, borrower)
    if len(contracts) <= 1:
        return contracts[0] if contracts else None

    def oldest_due(contract: Contract):
        due = open_installments(contract)
        return (due[0].due_date if due else date.max, contract.id)

    return min(contracts, key=oldest_due)


COMPLETERS[NAME] = complete
