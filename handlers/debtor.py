"""Debtor self-service: balance, next installment, how to pay, the officer's phone
(reporting a transfer: transfer_report.py).

Asked in a group, balance and next installment are pushed to the debtor 1:1; the group
only hears "sent to you privately".
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import _, format_date, format_money, use_locale
from handlers import intents
from handlers.balance_card import PAID_OFF, balance_facts, balance_message
from handlers.common import set_next_steps
from handlers.context import ChatContext
from handlers.router import ANY_SOURCE, PRIVATE, Command, Router
from handlers.texts import how_to_link, not_for_staff
from models.arrears import ContractArrears, contract_arrears
from models.errors import DomainError
from models.reminder_policy import load_policy

BALANCE_WORDS = ("ยอด", "ยอดเงิน", "ยอดหนี้", "เช็คยอด", "balance")
NEXT_WORDS = ("งวดถัดไป", "next")
PAY_WORDS = ("ชำระเงิน", "pay")
OFFICER_WORDS = ("ติดต่อพัฒนากร", "officer")


def register(router: Router) -> None:
    """Add `ยอด`, `งวดถัดไป`, `ชำระเงิน` and `ติดต่อพัฒนากร`."""
    router.add("message.text", Command(BALANCE_WORDS, balance, where=ANY_SOURCE))
    router.add("message.text", Command(NEXT_WORDS, next_installment, where=ANY_SOURCE))
    router.add("message.text", Command(PAY_WORDS, how_to_pay, where=PRIVATE))
    router.add("message.text", Command(OFFICER_WORDS, my_officer, where=PRIVATE))


# ---------------------------------------------------------------------- balance, next


def balance(ctx: ChatContext) -> None:
    """`ยอด`: a card per contract (handlers/balance_card.py)."""
    set_next_steps(ctx, intents.PAY, intents.PAID, intents.NEXT, intents.OFFICER, intents.HELP)
    _answer_debtor(ctx, _balance_card, "balance")


def next_installment(ctx: ChatContext) -> None:
    """`งวดถัดไป`: per contract, the next due date and amount."""
    set_next_steps(ctx, intents.PAY, intents.PAID, intents.BALANCE, intents.HELP)
    _answer_debtor(ctx, _next_text, "next")


def how_to_pay(ctx: ChatContext) -> None:
    """`ชำระเงิน` ("ขอเลขบัญชีหน่อยค่ะ"): how to pay, and the cards with their pay buttons."""
    if _not_a_debtor(ctx):
        return
    facts = [f for f in balance_facts(ctx) if f.row.debtor_class != PAID_OFF]
    if not facts:
        ctx.reply(_("You have nothing to pay right now. Thank you!"))
        return
    lines = [
        _(
            "To pay, tap Pay now on your contract below for a PromptPay QR code. After you "
            "transfer, tap Send a slip, or send แจ้งโอน, and send the slip photo."
        )
    ]
    for kind in sorted({f.row.fund for f in facts}):
        where = _pay_to(ctx, kind)
        if where:
            lines.append(_("You can also transfer to %(where)s.", where=where))
    ctx.reply("\n".join(lines), balance_message(ctx, facts))
    set_next_steps(ctx, intents.PAID, intents.BALANCE, intents.OFFICER, intents.HELP)


def my_officer(ctx: ChatContext) -> None:
    """`ติดต่อพัฒนากร`: the name and phone of the officer of each of the debtor's contracts."""
    if _not_a_debtor(ctx):
        return
    lines = []
    seen = set()
    for fact in balance_facts(ctx):
        officer = fact.officer
        if officer is None or officer.id in seen:
            continue
        seen.add(officer.id)
        if officer.phone:
            lines.append(
                _(
                    "Your community development officer is %(name)s, phone %(phone)s. "
                    "Tap the number to call.",
                    name=officer.name,
                    phone=officer.phone,
                )
            )
        else:
            lines.append(_("Your community development officer is %(name)s.", name=officer.name))
    if not lines:
        lines.append(
            _(
                "No officer is assigned to your contract yet. Please call your district "
                "community development office."
            )
        )
    ctx.reply("\n".join(lines))
    set_next_steps(ctx, intents.BALANCE, intents.PAY, intents.HELP)


def _pay_to(ctx: ChatContext, kind: str) -> str:
    try:
        return load_policy(ctx.runtime.settings.instance_path).for_fund(kind).pay_to
    except DomainError:
        return ""  # a broken policy file is the staff's to fix; the QR still works


def _not_a_debtor(ctx: ChatContext) -> bool:
    if ctx.borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return True
    return False


def _answer_debtor(ctx: ChatContext, render: Callable[[ChatContext], str | dict], key: str) -> None:
    borrower = ctx.borrower
    if ctx.in_group:
        if borrower is None or not borrower.line_reachable:
            ctx.reply(
                _(
                    "To see your own figures, add me as a friend and link your account in a "
                    "private chat first. I never show figures in a group."
                )
            )
            return
        with use_locale(borrower.locale):
            private = render(ctx)
        ctx.push_private(ctx.user_id, [private], key=f"{key}:{ctx.webhook_event_id}")
        ctx.reply(_("I have sent the answer to you in a private chat."))
        return
    if borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return
    ctx.reply(render(ctx))


def _contracts(ctx: ChatContext) -> list[ContractArrears]:
    # The debtor's own contracts only: the borrower id is the scope (area scopes are for staff).
    return contract_arrears(ctx.session, ctx.today, scope=None, borrower_id=ctx.borrower.id)


def _balance_card(ctx: ChatContext) -> str | dict:
    facts = balance_facts(ctx)
    if not facts:
        return _("There is no loan contract in your name.")
    return balance_message(ctx, facts)


def _next_text(ctx: ChatContext) -> str:
    rows = _contracts(ctx)
    if not rows:
        return _("There is no loan contract in your name.")
    lines = []
    for row in rows:
        if row.debtor_class == PAID_OFF:
            lines.append(
                _(
                    "Contract %(contract)s is paid off. Thank you for paying every installment!",
                    contract=row.contract_no,
                )
            )
            continue
        if row.next_due_date is None:
            lines.append(_("Contract %(contract)s: no installment left", contract=row.contract_no))
        else:
            lines.append(
                _(
                    "Contract %(contract)s: next installment %(date)s, %(amount)s",
                    contract=row.contract_no,
                    date=format_date(row.next_due_date),
                    amount=format_money(row.next_due_amount),
                )
            )
        if row.overdue_amount > 0:
            lines.append(_("  plus %(amount)s overdue", amount=format_money(row.overdue_amount)))
    return "\n".join(lines)
