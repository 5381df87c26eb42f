"""`ตรวจสลิป` / `slips`: transfer slips of my areas awaiting verification, approved or rejected here.

Approve allocates the payment (models.ledger.confirm_payment); reject asks the reason (a
short conversation), then models.ledger.reject_payment. Both are audited by the ledger with
the officer's LINE id (source line), and the debtor is told by a push that waits for the
legal contact hours (models/slip_notice.py, queued by the ledger).
"""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import _, format_date, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.conversation import END, Conversation, State
from handlers.officer_access import (
    button,
    int_field,
    officer_command,
    on_postback,
    postback,
    postback_data,
    scope,
)
from handlers.officer_cards import action_button, card, page
from handlers.officer_debtor import reachable
from handlers.router import Command, Router
from models.chat_state import set_pending
from models.errors import DomainError
from models.ledger import confirm_payment, reject_payment
from models.payment import Payment
from models.payments_query import get_payment, transfer_slips
from models.types import PaymentState

WORDS = ("ตรวจสลิป", "slips")
PAGE = 10
REASON_LIMIT = 300
REJECT = "slipreject"
REASON = "reason"
# A reason is free text, but a command typed mid-way is not one.
_NOT_REASONS = frozenset(
    {"ตรวจสลิป", "slips", "ค้างชำระ", "overdue", "งานวันนี้", "tasks", "สรุป", "summary", "ยอด"}
)


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, officer_command(slips)))
    router.add("postback", on_postback("slip", decide))
    router.add("postback", on_postback("slips", more))
    router.add_conversation(REJECTING)


def slips(ctx: ChatContext) -> None:
    """The pending slips of my areas, oldest first, with approve / reject buttons."""
    _answer(ctx, 0)


def more(ctx: ChatContext) -> None:
    """The "more" button: the next slips."""
    _answer(ctx, int_field(ctx, "offset") or 0)


def _answer(ctx: ChatContext, offset: int) -> None:
    pending = transfer_slips(ctx.session, scope=scope(ctx), pending_only=True)
    if not pending:
        ctx.reply(_("No transfer slips are waiting for you"))
        return
    if offset >= len(pending):
        offset = 0  # handled ones left the list since: start again
    page(
        ctx,
        pending,
        offset,
        PAGE,
        title=_("Transfer slips to check (%(count)d):", count=len(pending)),
        line=_line,
        bubble=_bubble,
        more="slips",
        more_said=_("More slips"),
    )


def _bubble(number: int, payment: Payment) -> dict:
    contract = payment.contract
    return card(
        f"{number}. {contract.borrower.display_name}",
        [
            (_("Area"), contract.borrower.area.path.split("/", 1)[-1]),
            (_("Contract"), contract.contract_no),
            (_("Amount"), format_money(payment.amount)),
            (_("Transferred"), format_date(payment.paid_on)),
            (_("Reference"), payment.reference or "-"),
        ],
        [
            action_button(
                button(
                    _("Approve"),
                    postback_data("slip", act="approve", id=payment.id),
                    _("Approve slip %(n)d", n=number),
                ),
                primary=True,
            ),
            action_button(
                button(
                    _("Reject"),
                    postback_data("slip", act="reject", id=payment.id),
                    _("Reject slip %(n)d", n=number),
                )
            ),
        ],
    )


def decide(ctx: ChatContext) -> None:
    """An approve or reject button."""
    act = postback(ctx).get("act")
    payment = _pending_payment(ctx, int_field(ctx, "id"))
    if payment is None:
        return
    if act == "approve":
        _approve(ctx, payment)
    elif act == "reject":
        _ask_reason(ctx, payment)


def _pending_payment(ctx: ChatContext, payment_id: int | None) -> Payment | None:
    """The payment, locked, if it is in my areas and still pending; otherwise say why not."""
    try:
        if payment_id is None:
            raise DomainError("payment_not_found", id="-")
        payment = get_payment(ctx.session, payment_id, scope=scope(ctx), for_update=True)
    except DomainError:
        ctx.reply(_("That slip is not one of your areas'. Send ตรวจสลิป to see yours."))
        return None
    if payment.state is not PaymentState.PENDING:
        ctx.reply(
            _(
                "That slip was already handled: %(state)s",
                state=_state_label(payment.state),
            )
        )
        return None
    return payment


def _approve(ctx: ChatContext, payment: Payment) -> None:
    confirm_payment(ctx.session, ctx.actor, payment, today=ctx.today)
    borrower = payment.contract.borrower
    amount = payment.amount
    # The ledger tells the debtor (models/slip_notice.py), whoever approves.
    told = reachable(borrower)
    ctx.reply(
        line_messages.text(
            _(
                "Approved: %(amount)s from %(name)s (%(contract)s), allocated to the installments",
                amount=format_money(amount),
                name=borrower.display_name,
                contract=payment.contract.contract_no,
            )
            + "\n"
            + _told(told),
            quick_replies=[(_("More slips"), "ตรวจสลิป")],
        )
    )


def _ask_reason(ctx: ChatContext, payment: Payment) -> None:
    set_pending(
        ctx.session,
        ctx.user_id,
        f"{REJECT}.{REASON}",
        {"payment_id": payment.id},
        now=ctx.now,
        ttl=REJECTING.ttl,
    )
    ask = _(
        "Why is the slip of %(amount)s from %(name)s refused? Your words are sent to the "
        "debtor (ยกเลิก to cancel)",
        amount=format_money(payment.amount),
        name=payment.contract.borrower.display_name,
    )
    if ctx.in_group:
        ask = _("Send me the reason in our private chat") + "\n" + ask
    ctx.reply(ask)


def _got_reason(ctx: ChatContext, data: dict) -> str | None:
    reason = " ".join(ctx.raw_text.split())
    if len(reason) > REASON_LIMIT:
        ctx.reply(_("Please keep the reason under %(limit)d characters", limit=REASON_LIMIT))
        return None
    payment = _pending_payment(ctx, data.get("payment_id"))
    if payment is None:
        return END
    reject_payment(ctx.session, ctx.actor, payment, reason)
    borrower = payment.contract.borrower
    amount = payment.amount
    told = reachable(borrower)
    ctx.reply(
        line_messages.text(
            _(
                "Rejected: the slip of %(amount)s from %(name)s",
                amount=format_money(amount),
                name=borrower.display_name,
            )
            + "\n"
            + _told(told),
            quick_replies=[(_("More slips"), "ตรวจสลิป")],
        )
    )
    return END


def _is_reason(ctx: ChatContext, _data: dict) -> bool:
    return bool(ctx.text) and ctx.text not in _NOT_REASONS


def _reprompt(ctx: ChatContext, _data: dict) -> str:
    return _("Send the reason the slip is refused, or ยกเลิก to cancel")


REJECTING = Conversation(
    name=REJECT,
    entries=[],
    states={REASON: State(_got_reason, _reprompt, accepts=_is_reason)},
    expired=lambda ctx, data: _("The rejection expired. Send ตรวจสลิป to start again."),
    ttl=timedelta(minutes=30),
    allowed=lambda ctx: ctx.staff is not None,
)


def _told(told: bool) -> str:
    if told:
        return _("The debtor is told on LINE (within the legal contact hours)")
    return _("The debtor is not on LINE: please tell them yourself")


def _line(number: int, payment: Payment) -> str:
    contract = payment.contract
    ref = " (" + payment.reference + ")" if payment.reference else ""
    return _(
        "%(n)d. %(name)s (%(area)s), %(contract)s: %(amount)s transferred on %(date)s%(ref)s",
        n=number,
        name=contract.borrower.display_name,
        area=contract.borrower.area.path.split("/", 1)[-1],
        contract=contract.contract_no,
        amount=format_money(payment.amount),
        date=format_date(payment.paid_on),
        ref=ref,
    )


def _state_label(state: PaymentState) -> str:
    labels = {
        PaymentState.CONFIRMED: _("approved"),
        PaymentState.REJECTED: _("rejected"),
        PaymentState.REVERSED: _("reversed"),
    }
    return labels.get(state, str(state))
