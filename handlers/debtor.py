"""Debtor self-service: balance and next installment (reporting a transfer: transfer_report.py).

Asked in a group, balance and next installment are pushed to the debtor 1:1; the group
only hears "sent to you privately".
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import _, format_date, format_money, use_locale
from handlers.context import ChatContext
from handlers.router import ANY_SOURCE, Command, Router
from handlers.texts import fund_label, how_to_link, not_for_staff
from models.arrears import ContractArrears, contract_arrears

BALANCE_WORDS = ("ยอด", "ยอดเงิน", "ยอดหนี้", "เช็คยอด", "balance")
NEXT_WORDS = ("งวดถัดไป", "next")


def register(router: Router) -> None:
    """Add `ยอด` and `งวดถัดไป`."""
    router.add("message.text", Command(BALANCE_WORDS, balance, where=ANY_SOURCE))
    router.add("message.text", Command(NEXT_WORDS, next_installment, where=ANY_SOURCE))


# ---------------------------------------------------------------------- balance, next


def balance(ctx: ChatContext) -> None:
    """`ยอด`: per contract, outstanding principal, overdue amount, next due date and amount."""
    _answer_debtor(ctx, _balance_text, "balance")


def next_installment(ctx: ChatContext) -> None:
    """`งวดถัดไป`: per contract, the next due date and amount."""
    _answer_debtor(ctx, _next_text, "next")


def _answer_debtor(ctx: ChatContext, render: Callable[[ChatContext], str], key: str) -> None:
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


def _balance_text(ctx: ChatContext) -> str:
    rows = _contracts(ctx)
    if not rows:
        return _("There is no loan contract in your name.")
    parts = [_("Your balance on %(date)s", date=format_date(ctx.today))]
    for row in rows:
        lines = [
            _(
                "Contract %(contract)s (%(fund)s)",
                contract=row.contract_no,
                fund=fund_label(row.fund),
            ),
            _("Outstanding principal: %(amount)s", amount=format_money(row.outstanding_principal)),
        ]
        if row.overdue_amount > 0:
            lines.append(
                _(
                    "Overdue: %(amount)s (%(days)d days late)",
                    amount=format_money(row.overdue_amount),
                    days=row.days_past_due,
                )
            )
        else:
            lines.append(_("Overdue: none"))
        lines.append(_next_line(row))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _next_text(ctx: ChatContext) -> str:
    rows = _contracts(ctx)
    if not rows:
        return _("There is no loan contract in your name.")
    lines = []
    for row in rows:
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


def _next_line(row: ContractArrears) -> str:
    if row.next_due_date is None:
        return _("Next installment: none")
    return _(
        "Next installment: %(date)s, %(amount)s",
        date=format_date(row.next_due_date),
        amount=format_money(row.next_due_amount),
    )
