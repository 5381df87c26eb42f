""" "Pay now": the amount due, the fund's account in words, and a Thai QR Payment image.

Started by the balance card's postback `pay_now:<contract id>` (or `ชำระเงิน`, which asks
which contract when there are several). Figures and the QR only ever go to the debtor 1:1:
asked in a group, the answer is pushed privately and the group hears only that.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.i18n import _, format_money, use_locale
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.router import ANY_SOURCE, Command, Router, When
from handlers.texts import how_to_link, not_for_staff
from models.arrears import contract_arrears
from models.base import to_satang
from models.contract import Contract
from models.payment_target import BILLER, PaymentTarget, target_of
from models.qr_link import qr_path
from models.thai_qr import PROMPTPAY_MOBILE, PROMPTPAY_NATIONAL_ID, bill_reference
from models.types import ContractStatus

PAY_NOW = "pay_now"
SEND_SLIP = "send_slip"
PAY_WORDS = ("ชำระเงิน", "จ่ายเงิน", "pay now")


def register(router: Router) -> None:
    """Add the pay-now postback and command."""
    router.add("postback", When(_is_pay_now, tapped, where=ANY_SOURCE))
    router.add("message.text", Command(PAY_WORDS, asked, takes_args=True, where=ANY_SOURCE))


def postback_contract(ctx: ChatContext, action: str) -> int | None:
    """The contract id of a `<action>:<id>` postback, or None."""
    if ctx.kind != "postback":
        return None
    data = str((ctx.event.get("postback") or {}).get("data") or "")
    name, _sep, rest = data.partition(":")
    if name != action or not rest.isdigit():
        return None
    return int(rest)


def _is_pay_now(ctx: ChatContext) -> bool:
    data = str((ctx.event.get("postback") or {}).get("data") or "")
    return data.startswith(f"{PAY_NOW}:")


def tapped(ctx: ChatContext) -> None:
    """`pay_now:<contract id>`."""
    _answer(ctx, postback_contract(ctx, PAY_NOW))


def asked(ctx: ChatContext) -> None:
    """`ชำระเงิน [contract no]`: the one contract, or which one."""
    if ctx.borrower is None or ctx.in_group:
        _answer(ctx, None)
        return
    contracts = _active(ctx)
    if ctx.args:
        contracts = [c for c in contracts if c.contract_no.casefold() == ctx.args.casefold()]
    if len(contracts) == 1:
        _answer(ctx, contracts[0].id)
        return
    if not contracts:
        ctx.reply(_("There is no active loan contract in your name to pay."))
        return
    choices = [(c.contract_no, f"{PAY_WORDS[0]} {c.contract_no}") for c in contracts[:12]]
    ctx.reply(line_messages.text(_("Which contract do you want to pay?"), quick_replies=choices))


def _answer(ctx: ChatContext, contract_id: int | None) -> None:
    borrower = ctx.borrower
    if ctx.in_group:
        if borrower is None or not borrower.line_reachable:
            ctx.reply(
                _(
                    "To pay by QR, add me as a friend and link your account in a private "
                    "chat first. I never show figures in a group."
                )
            )
            return
        with use_locale(borrower.locale):
            private = _pay_messages(ctx, contract_id)
        ctx.push_private(ctx.user_id, private, key=f"pay_now:{ctx.webhook_event_id}")
        ctx.reply(_("I have sent the payment details to you in a private chat."))
        return
    if borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return
    ctx.reply(*_pay_messages(ctx, contract_id))


def _pay_messages(ctx: ChatContext, contract_id: int | None) -> list[str | dict]:
    contract = ctx.session.get(Contract, contract_id) if contract_id is not None else None
    if contract is None or contract.borrower_id != ctx.borrower.id:
        return [_("That contract is not one of yours. Send ยอด to see your contracts.")]
    rows = contract_arrears(ctx.session, ctx.today, scope=None, contract_no=contract.contract_no)
    row = next((r for r in rows if r.contract_id == contract.id), None)
    if row is None or contract.status is not ContractStatus.ACTIVE:
        return [_("Contract %(contract)s has nothing left to pay.", contract=contract.contract_no)]
    if row.overdue_amount > 0:
        amount = row.overdue_amount
        what = _(
            "Contract %(contract)s: %(amount)s is overdue.",
            contract=contract.contract_no,
            amount=format_money(amount),
        )
    elif row.next_due_amount > 0:
        amount = row.next_due_amount
        what = _(
            "Contract %(contract)s: the next installment is %(amount)s.",
            contract=contract.contract_no,
            amount=format_money(amount),
        )
    else:
        return [_("Contract %(contract)s has nothing left to pay.", contract=contract.contract_no)]
    target = target_of(ctx.session, contract.fund_id)
    if target is None:
        return [
            what
            + "\n"
            + _(
                "This fund does not take QR payments yet. Please pay your officer or at the "
                "office, then send the slip photo to me."
            )
        ]
    body = "\n".join([what, _account_words(target, contract), _after_paying()])
    slip_button = [
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": line_messages.truncate(_("Send the slip"), line_messages.LABEL_LIMIT),
                "data": f"{SEND_SLIP}:{contract.id}",
                "displayText": _("Send the slip"),
            },
        }
    ]
    image = _qr_image(ctx, contract, amount)
    messages: list[str | dict] = [line_messages.text(body)]
    if image is not None:
        messages.append(image)
    messages[-1] = dict(messages[-1], quickReply={"items": slip_button})
    return messages


def _account_words(target: PaymentTarget, contract: Contract) -> str:
    fund = contract.fund.name
    if target.kind == BILLER:
        return _(
            "Pay by bill payment to %(fund)s: biller ID %(biller)s, reference 1: %(ref)s. "
            "Scan the QR below with your bank app.",
            fund=fund,
            biller=target.value,
            ref=bill_reference(contract.contract_no),
        )
    return _(
        "Transfer by PromptPay to %(fund)s: %(id)s. Scan the QR below with your bank app.",
        fund=fund,
        id=promptpay_words(target.id_type, target.value),
    )


def _after_paying() -> str:
    return _("After paying, send the slip photo here; staff will check it.")


def promptpay_words(id_type: str, value: str) -> str:
    """A PromptPay ID as people write it: 081-234-5678, 0-9940-00165-51-0."""
    if id_type == PROMPTPAY_MOBILE:
        return f"{value[:3]}-{value[3:6]}-{value[6:]}"
    if id_type == PROMPTPAY_NATIONAL_ID:
        return f"{value[0]}-{value[1:5]}-{value[5:10]}-{value[10:12]}-{value[12]}"
    return value


def _qr_image(ctx: ChatContext, contract: Contract, amount: Decimal) -> dict | None:
    settings = ctx.runtime.settings
    path = qr_path(settings.secret_key, contract.id, to_satang(amount), ctx.now)
    if settings.public_url:
        url = settings.public_url + path
    elif not settings.line_configured:
        # The chat simulator runs on this server: the browser fetches the image from it.
        url = path
    else:
        # LINE only fetches images over HTTPS from a public address: none is configured.
        return None
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def _active(ctx: ChatContext) -> list[Contract]:
    return list(
        ctx.session.scalars(
            select(Contract)
            .where(
                Contract.borrower_id == ctx.borrower.id,
                Contract.status == ContractStatus.ACTIVE,
            )
            .order_by(Contract.contract_no, Contract.id)
        )
    )
