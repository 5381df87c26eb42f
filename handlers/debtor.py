"""Debtor self-service: balance, next installment, and reporting a transfer with its slip.

Asked in a group, balance and next installment are pushed to the debtor 1:1; the group
only hears "sent to you privately". Reporting a transfer is a short exchange remembered in
chat state: which contract (if several), how much, then the slip photo, which becomes a
payment pending verification by staff. The photo is downloaded while the event is handled,
which is after LINE has had its answer, so a slow download delays nobody.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.i18n import _, format_date, format_money, use_locale
from bot.line import messages as line_messages
from handlers.context import ChatContext, normalize_text
from handlers.router import ANY_SOURCE, PRIVATE, Command, Router, When
from handlers.texts import fund_label, how_to_link, not_for_staff
from models.arrears import ContractArrears, contract_arrears
from models.chat_state import clear_pending, pending, pending_in, set_pending
from models.contract import Contract
from models.ledger import record_payment
from models.thai_text import parse_amount
from models.types import ContractStatus, PaymentChannel, PaymentState

log = logging.getLogger(__name__)

BALANCE_WORDS = ("ยอด", "ยอดเงิน", "ยอดหนี้", "เช็คยอด", "balance")
NEXT_WORDS = ("งวดถัดไป", "next")
PAID_WORDS = ("แจ้งโอน", "paid")
CANCEL = "ยกเลิก"
AWAIT_CONTRACT = "paid.contract"
AWAIT_AMOUNT = "paid.amount"
AWAIT_SLIP = "paid.slip"


def register(router: Router) -> None:
    """Add the debtor commands and the steps of reporting a transfer."""
    router.add("message.text", When(_choosing_contract, chose_contract, where=PRIVATE))
    router.add("message.text", When(_giving_amount, gave_amount, where=PRIVATE))
    router.add("message.text", Command(BALANCE_WORDS, balance, where=ANY_SOURCE))
    router.add("message.text", Command(NEXT_WORDS, next_installment, where=ANY_SOURCE))
    router.add("message.text", Command(PAID_WORDS, paid, takes_args=True, where=ANY_SOURCE))
    router.add("message.image", When(_awaiting(AWAIT_SLIP), slip, where=PRIVATE))


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


# ---------------------------------------------------------------------- reporting a transfer


def paid(ctx: ChatContext) -> None:
    """`แจ้งโอน [amount]`: start reporting a transfer."""
    if ctx.in_group:
        ctx.reply(_("Please report a transfer to me in a private chat, not in the group."))
        return
    if ctx.borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return
    amount = None
    if ctx.args:
        amount = _amount(ctx.args)
        if amount is None:
            ctx.reply(_not_an_amount(ctx.args))
            return
    contracts = _active_contracts(ctx)
    if not contracts:
        ctx.reply(_("There is no active loan contract in your name to pay."))
    elif len(contracts) == 1:
        _ask_next(ctx, contracts[0], amount)
    else:
        data = {"amount": str(amount) if amount is not None else None}
        set_pending(ctx.session, ctx.user_id, AWAIT_CONTRACT, data, now=ctx.now)
        choices = [(c.contract_no, c.contract_no) for c in contracts[:12]]
        ctx.reply(
            line_messages.text(
                _("Which contract is the transfer for?"),
                quick_replies=[*choices, (_("Cancel"), CANCEL)],
            )
        )


def chose_contract(ctx: ChatContext) -> None:
    """The contract number picked from the quick replies."""
    _state, data = pending(ctx.session, ctx.user_id, ctx.now)
    contract = _contract_named(ctx, ctx.text)
    amount = Decimal(data["amount"]) if data.get("amount") else None
    _ask_next(ctx, contract, amount)


def gave_amount(ctx: ChatContext) -> None:
    """The amount, when `แจ้งโอน` came without one."""
    _state, data = pending(ctx.session, ctx.user_id, ctx.now)
    contract = ctx.session.get(Contract, data["contract_id"])
    _ask_next(ctx, contract, _amount(ctx.raw_text))


def _ask_next(ctx: ChatContext, contract: Contract, amount: Decimal | None) -> None:
    cancel = [(_("Cancel"), CANCEL)]
    if amount is None:
        set_pending(
            ctx.session, ctx.user_id, AWAIT_AMOUNT, {"contract_id": contract.id}, now=ctx.now
        )
        ctx.reply(
            line_messages.text(
                _(
                    "How much did you transfer for contract %(contract)s? Send the amount in "
                    "baht, for example 1500.",
                    contract=contract.contract_no,
                ),
                quick_replies=cancel,
            )
        )
        return
    data = {"contract_id": contract.id, "amount": str(amount)}
    set_pending(ctx.session, ctx.user_id, AWAIT_SLIP, data, now=ctx.now)
    ctx.reply(
        line_messages.text(
            _(
                "Please send a photo of the transfer slip for %(amount)s (contract %(contract)s).",
                amount=format_money(amount),
                contract=contract.contract_no,
            ),
            quick_replies=cancel,
        )
    )


def slip(ctx: ChatContext) -> None:
    """The slip photo: store it and record a payment pending verification."""
    _state, data = pending(ctx.session, ctx.user_id, ctx.now)
    contract = ctx.session.get(Contract, data["contract_id"])
    if contract is None or contract.borrower_id != ctx.borrower.id:
        clear_pending(ctx.session, ctx.user_id)
        ctx.reply(_("Sorry, something went wrong. Please send แจ้งโอน again."))
        return
    message_id = str(ctx.message.get("id") or "")
    content = _download(ctx, message_id)
    if not content:
        ctx.reply(_("I could not receive the photo. Please send it again."))
        return
    relative = _store_slip(ctx, message_id, content)
    amount = Decimal(data["amount"])
    record_payment(
        ctx.session,
        ctx.actor,
        contract,
        amount,
        ctx.today,
        PaymentChannel.BANK_TRANSFER,
        state=PaymentState.PENDING,
        reference=f"line-message:{message_id}",
        slip_path=relative,
    )
    clear_pending(ctx.session, ctx.user_id)
    ctx.reply(
        _(
            "Thank you. Your transfer of %(amount)s for contract %(contract)s is recorded; "
            "staff will check the slip and confirm it.",
            amount=format_money(amount),
            contract=contract.contract_no,
        )
    )


def _download(ctx: ChatContext, message_id: str) -> bytes | None:
    try:
        return ctx.messenger.content(message_id)
    except Exception:  # noqa: BLE001 - LINE down or the content expired: ask again
        log.warning("could not download the content of message %s", message_id, exc_info=True)
        return None


def _store_slip(ctx: ChatContext, message_id: str, content: bytes) -> str:
    """Write the photo under instance/slips/<yyyy>/<mm>/; the path relative to the instance."""
    safe_id = re.sub(r"[^0-9A-Za-z_-]", "", message_id) or "slip"
    relative = Path("slips") / f"{ctx.today:%Y}" / f"{ctx.today:%m}" / f"{safe_id}.jpg"
    target = Path(ctx.runtime.settings.instance_path) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return relative.as_posix()


# ---------------------------------------------------------------------- helpers


def _awaiting(state: str) -> Callable[[ChatContext], bool]:
    def check(ctx: ChatContext) -> bool:
        if ctx.borrower is None or not ctx.user_id:
            return False
        if "pending" not in ctx.memo:
            ctx.memo["pending"] = pending_in(ctx.chat_state, ctx.now)
        current = ctx.memo["pending"]
        return current is not None and current[0] == state

    return check


def _choosing_contract(ctx: ChatContext) -> bool:
    return _awaiting(AWAIT_CONTRACT)(ctx) and _contract_named(ctx, ctx.text) is not None


def _giving_amount(ctx: ChatContext) -> bool:
    return _awaiting(AWAIT_AMOUNT)(ctx) and _amount(ctx.raw_text) is not None


def _active_contracts(ctx: ChatContext) -> list[Contract]:
    return list(
        ctx.session.scalars(
            select(Contract)
            .where(
                Contract.borrower_id == ctx.borrower.id, Contract.status == ContractStatus.ACTIVE
            )
            .order_by(Contract.contract_no, Contract.id)
        )
    )


def _contract_named(ctx: ChatContext, text: str) -> Contract | None:
    for contract in _active_contracts(ctx):
        if normalize_text(contract.contract_no) == text:
            return contract
    return None


def _amount(text: str) -> Decimal | None:
    try:
        amount = parse_amount(text)
    except ValueError:
        return None
    return amount if amount > 0 else None


def _not_an_amount(text: str) -> str:
    return _(
        "%(text)s is not an amount. Send แจ้งโอน with the amount in baht, for example: แจ้งโอน 1,500",
        text=text,
    )
