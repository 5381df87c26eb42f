"""`แจ้งโอน [amount]`: a debtor reports a bank transfer, a conversation of up to three steps.

Which contract (quick replies, when there are several), how much (unless given with the
command), then the photo of the slip, which becomes a payment pending verification by staff.
The photo is downloaded while the event is handled, which is after LINE has had its answer,
so a slow download delays nobody.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.i18n import _, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext, normalize_text
from handlers.conversation import END, Conversation, Entry, State
from handlers.router import ANY_SOURCE, Router
from handlers.texts import how_to_link, not_for_staff
from models.chat_state import DEFAULT_TTL
from models.contract import Contract
from models.ledger import record_payment
from models.thai_text import parse_amount
from models.types import ContractStatus, PaymentChannel, PaymentState

log = logging.getLogger(__name__)

PAID_WORDS = ("แจ้งโอน", "paid")
CANCEL = "ยกเลิก"
CONTRACT, AMOUNT, SLIP = "contract", "amount", "slip"


def register(router: Router) -> None:
    """Add the transfer report."""
    router.add_conversation(TRANSFER_REPORT)


# ---------------------------------------------------------------------- the steps


def start(ctx: ChatContext, data: dict) -> str | None:
    """`แจ้งโอน [amount]`: ask for what is missing, or refuse."""
    if ctx.in_group:
        ctx.reply(_("Please report a transfer to me in a private chat, not in the group."))
        return None
    if ctx.borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return None
    amount = None
    if ctx.args:
        amount = _amount(ctx.args)
        if amount is None:
            ctx.reply(_not_an_amount(ctx.args))
            return None
    contracts = _active_contracts(ctx)
    if not contracts:
        ctx.reply(_("There is no active loan contract in your name to pay."))
        return None
    if len(contracts) == 1:
        return _ask_next(ctx, data, contracts[0], amount)
    data["amount"] = str(amount) if amount is not None else None
    choices = [(c.contract_no, c.contract_no) for c in contracts[:12]]
    ctx.reply(
        line_messages.text(
            _("Which contract is the transfer for?"),
            quick_replies=[*choices, (_("Cancel"), CANCEL)],
        )
    )
    return CONTRACT


def chose_contract(ctx: ChatContext, data: dict) -> str:
    """The contract number picked from the quick replies."""
    amount = Decimal(data["amount"]) if data.get("amount") else None
    return _ask_next(ctx, data, _contract_named(ctx, ctx.text), amount)


def gave_amount(ctx: ChatContext, data: dict) -> str:
    """The amount, when `แจ้งโอน` came without one."""
    contract = ctx.session.get(Contract, data["contract_id"])
    return _ask_next(ctx, data, contract, _amount(ctx.raw_text))


def _ask_next(ctx: ChatContext, data: dict, contract: Contract, amount: Decimal | None) -> str:
    cancel = [(_("Cancel"), CANCEL)]
    data.clear()
    data["contract_id"] = contract.id
    if amount is None:
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
        return AMOUNT
    data["amount"] = str(amount)
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
    return SLIP


def slip(ctx: ChatContext, data: dict) -> str | None:
    """The slip photo: store it and record a payment pending verification."""
    contract = ctx.session.get(Contract, data["contract_id"])
    if contract is None or contract.borrower_id != ctx.borrower.id:
        ctx.reply(_("Sorry, something went wrong. Please send แจ้งโอน again."))
        return END
    message_id = str(ctx.message.get("id") or "")
    content = _download(ctx, message_id)
    if not content:
        ctx.reply(_("I could not receive the photo. Please send it again."))
        return None
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
    ctx.reply(
        _(
            "Thank you. Your transfer of %(amount)s for contract %(contract)s is recorded; "
            "staff will check the slip and confirm it.",
            amount=format_money(amount),
            contract=contract.contract_no,
        )
    )
    return END


# ---------------------------------------------------------------------- re-prompts


def pick_the_contract(_ctx: ChatContext, _data: dict) -> str:
    """Anything but a contract number while choosing the contract."""
    return _("Please pick the contract from the buttons, or send ยกเลิก to cancel.")


def send_an_amount(_ctx: ChatContext, _data: dict) -> str:
    """Anything but an amount while the amount is awaited."""
    return _("Please send the amount in baht as a number, for example 1500, or ยกเลิก to cancel.")


def send_the_slip(_ctx: ChatContext, _data: dict) -> str:
    """Anything but a photo while the slip is awaited."""
    return _("Please send the photo of the transfer slip, or ยกเลิก to cancel.")


def expired(_ctx: ChatContext, _data: dict) -> str:
    """The report was left unfinished for longer than its time-to-live."""
    return _(
        "Your transfer report was not finished within %(minutes)d minutes and has expired. "
        "Send แจ้งโอน to start again.",
        minutes=int(TRANSFER_REPORT.ttl.total_seconds() // 60),
    )


# ---------------------------------------------------------------------- helpers


def _names_a_contract(ctx: ChatContext, _data: dict) -> bool:
    return _contract_named(ctx, ctx.text) is not None


def _is_an_amount(ctx: ChatContext, _data: dict) -> bool:
    return _amount(ctx.raw_text) is not None


def _active_contracts(ctx: ChatContext) -> list[Contract]:
    if "active_contracts" not in ctx.memo:
        ctx.memo["active_contracts"] = list(
            ctx.session.scalars(
                select(Contract)
                .where(
                    Contract.borrower_id == ctx.borrower.id,
                    Contract.status == ContractStatus.ACTIVE,
                )
                .order_by(Contract.contract_no, Contract.id)
            )
        )
    return ctx.memo["active_contracts"]


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


TRANSFER_REPORT = Conversation(
    name="paid",
    entries=[Entry(PAID_WORDS, start, takes_args=True, where=ANY_SOURCE)],
    states={
        CONTRACT: State(chose_contract, pick_the_contract, accepts=_names_a_contract),
        AMOUNT: State(gave_amount, send_an_amount, accepts=_is_an_amount),
        SLIP: State(slip, send_the_slip, kind="message.image"),
    },
    expired=expired,
    ttl=DEFAULT_TTL,
    # Only a linked debtor reports transfers; someone unlinked mid-way is out of it.
    allowed=lambda ctx: ctx.borrower is not None,
)
