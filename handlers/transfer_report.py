"""Reporting a transfer: `แจ้งโอน [amount]`, a slip photo sent any time, or `send_slip:<id>`.

However it starts, the photo is stored the moment it arrives (instance folder, with its
hash and what its mini QR says) and the bot asks only what it cannot know: which contract,
when there are several, and how much (quick replies with the overdue and installment
amounts, and "other"). Then the transfer waits, as a payment pending verification, for
staff. A slip whose bank reference was submitted before, by anyone, is kept but flagged as
a duplicate and not counted. The photo is downloaded while the event is handled, which is
after LINE has had its answer, so a slow download delays nobody.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.i18n import _, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext, normalize_text
from handlers.conversation import END, Conversation, Entry, State
from handlers.router import ANY_SOURCE, PRIVATE, Router, When
from handlers.texts import how_to_link, not_for_staff
from models.arrears import contract_arrears
from models.chat_state import DEFAULT_TTL
from models.contract import Contract
from models.ledger import record_payment
from models.slip import MAX_SLIP_BYTES, Slip, image_extension, store_slip
from models.slip_reader import read_slip_qr
from models.thai_qr import SlipQR
from models.thai_text import parse_amount
from models.types import ContractStatus, PaymentChannel, PaymentState

log = logging.getLogger(__name__)

PAID_WORDS = ("แจ้งโอน", "paid")
CANCEL = "ยกเลิก"
OTHER_WORDS = ("อื่น ๆ", "อื่นๆ", "other")
SEND_SLIP = "send_slip"
CONTRACT, AMOUNT, SLIP = "contract", "amount", "slip"


def register(router: Router) -> None:
    """Add the transfer report, slip photos sent any time, and the send_slip postback."""
    router.add_conversation(TRANSFER_REPORT)
    router.add("message.image", When(_from_a_debtor, photo_first, where=PRIVATE))
    router.add("postback", When(_is_send_slip, send_slip_tapped, where=ANY_SOURCE))


# ---------------------------------------------------------------------- the ways in


def start(ctx: ChatContext, data: dict) -> str | None:
    """`แจ้งโอน [amount]`: ask for what is missing, or refuse."""
    if ctx.in_group:
        ctx.reply(_("Please report a transfer to me in a private chat, not in the group."))
        return None
    if ctx.borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return None
    if ctx.args:
        amount = _amount(ctx.args)
        if amount is None:
            ctx.reply(_not_an_amount(ctx.args))
            return None
        data["amount"] = str(amount)
    return _advance(ctx, data)


def photo_first(ctx: ChatContext) -> None:
    """A linked debtor's photo outside the report: a slip, stored at once; then the questions.

    A report left waiting for its contract or amount takes the photo as its slip.
    """
    pending = TRANSFER_REPORT.pending(ctx)
    data = dict(pending.data) if pending and not pending.expired else {}
    data.pop("slip_id", None)
    TRANSFER_REPORT.begin(ctx, slip, data)


def send_slip_tapped(ctx: ChatContext) -> None:
    """`send_slip:<contract id>`: the report with the contract chosen; the photo next."""
    if ctx.in_group:
        ctx.reply(_("Please send your slip to me in a private chat, not in the group."))
        return
    if ctx.borrower is None:
        ctx.reply(not_for_staff() if ctx.staff is not None else how_to_link())
        return
    contract_id = _postback_contract(ctx)
    contract = next((c for c in _active_contracts(ctx) if c.id == contract_id), None)
    data = {"contract_id": contract.id} if contract is not None else {}
    TRANSFER_REPORT.begin(ctx, _advance, data)


# ---------------------------------------------------------------------- the steps


def chose_contract(ctx: ChatContext, data: dict) -> str:
    """The contract number picked from the quick replies."""
    data["contract_id"] = _contract_named(ctx, ctx.text).id
    return _advance(ctx, data)


def gave_amount(ctx: ChatContext, data: dict) -> str | None:
    """The amount (a quick reply or typed), or "other": then it is typed."""
    if _asks_other(ctx):
        ctx.reply(
            line_messages.text(
                _("Please type the amount you transferred in baht, for example 1500."),
                quick_replies=[(_("Cancel"), CANCEL)],
            )
        )
        return None
    data["amount"] = str(_amount(ctx.raw_text))
    return _advance(ctx, data)


def slip(ctx: ChatContext, data: dict) -> str | None:
    """The slip photo: check it, store it at once, flag a duplicate; then what is missing."""
    message_id = str(ctx.message.get("id") or "")
    content = _download(ctx, message_id)
    if not content:
        ctx.reply(_("I could not receive the photo. Please send it again."))
        return None
    if len(content) > MAX_SLIP_BYTES:
        ctx.reply(_("The photo is too large. Please send a smaller photo of the slip."))
        return None
    if image_extension(content) is None:
        ctx.reply(_("That is not a photo I can read. Please send the slip as a photo."))
        return None
    stored = _store(ctx, message_id, content, read_slip_qr(content))
    if stored.duplicate:
        ctx.reply(
            _(
                "This slip has been sent before, so I have not counted it again. If you made "
                "another transfer, please send the slip of that transfer. If you think this "
                "is a mistake, please contact your officer."
            )
        )
        return END
    data["slip_id"] = stored.id
    return _advance(ctx, data)


def _advance(ctx: ChatContext, data: dict) -> str:
    """Ask for the first thing still missing (contract, amount, photo), or record it all."""
    contracts = _active_contracts(ctx)
    contract = next((c for c in contracts if c.id == data.get("contract_id")), None)
    if contract is None:
        data.pop("contract_id", None)
        if not contracts:
            ctx.reply(_("There is no active loan contract in your name to pay."))
            return END
        if len(contracts) > 1:
            choices = [(c.contract_no, c.contract_no) for c in contracts[:12]]
            ctx.reply(
                line_messages.text(
                    _slip_kept() + _("Which contract is the transfer for?")
                    if data.get("slip_id")
                    else _("Which contract is the transfer for?"),
                    quick_replies=[*choices, (_("Cancel"), CANCEL)],
                )
            )
            return CONTRACT
        contract = contracts[0]
        data["contract_id"] = contract.id
    if not data.get("amount"):
        question = _(
            "How much did you transfer for contract %(contract)s? Send the amount in baht, "
            "for example 1500.",
            contract=contract.contract_no,
        )
        if data.get("slip_id"):
            question = _slip_kept() + question
        ctx.reply(line_messages.text(question, quick_replies=_amount_choices(ctx, contract)))
        return AMOUNT
    amount = Decimal(data["amount"])
    if not data.get("slip_id"):
        ctx.reply(
            line_messages.text(
                _(
                    "Please send a photo of the transfer slip for %(amount)s "
                    "(contract %(contract)s).",
                    amount=format_money(amount),
                    contract=contract.contract_no,
                ),
                quick_replies=[(_("Cancel"), CANCEL)],
            )
        )
        return SLIP
    return _record(ctx, contract, amount, ctx.session.get(Slip, data["slip_id"]))


def _record(ctx: ChatContext, contract: Contract, amount: Decimal, stored: Slip) -> str:
    payment = record_payment(
        ctx.session,
        ctx.actor,
        contract,
        amount,
        ctx.today,
        PaymentChannel.BANK_TRANSFER,
        state=PaymentState.PENDING,
        reference=_reference(stored),
        slip_path=stored.path,
    )
    stored.payment_id = payment.id
    ctx.session.flush()
    ctx.reply(
        _(
            "Thank you. Your transfer of %(amount)s for contract %(contract)s is recorded; "
            "staff will check the slip and confirm it.",
            amount=format_money(amount),
            contract=contract.contract_no,
        )
    )
    return END


def _reference(stored: Slip) -> str:
    # The bank's own transaction reference when the slip QR was read: what staff search by.
    if stored.bank_reference:
        return f"slip-qr:{stored.bank_code}:{stored.bank_reference}"
    return f"line-message:{stored.line_message_id or stored.id}"


def _slip_kept() -> str:
    return _("I have received your slip.") + "\n"


def _amount_choices(ctx: ChatContext, contract: Contract) -> list[tuple[str, str]]:
    """The overdue amount, the next installment's, "other", and cancel."""
    rows = contract_arrears(ctx.session, ctx.today, scope=None, contract_no=contract.contract_no)
    row = next((r for r in rows if r.contract_id == contract.id), None)
    amounts: list[Decimal] = []
    if row is not None:
        for amount in (row.overdue_amount, row.next_due_amount):
            if amount > 0 and amount not in amounts:
                amounts.append(amount)
    choices = [(format_money(a), f"{a:,.2f}") for a in amounts]
    return [*choices, (_("Other amount"), OTHER_WORDS[0]), (_("Cancel"), CANCEL)]


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

_OTHER = frozenset(normalize_text(w) for w in OTHER_WORDS)


def _from_a_debtor(ctx: ChatContext) -> bool:
    return ctx.borrower is not None


def _is_send_slip(ctx: ChatContext) -> bool:
    data = str((ctx.event.get("postback") or {}).get("data") or "")
    return data.startswith(f"{SEND_SLIP}:")


def _postback_contract(ctx: ChatContext) -> int | None:
    data = str((ctx.event.get("postback") or {}).get("data") or "")
    rest = data.partition(":")[2]
    return int(rest) if rest.isdigit() else None


def _names_a_contract(ctx: ChatContext, _data: dict) -> bool:
    return _contract_named(ctx, ctx.text) is not None


def _is_an_amount(ctx: ChatContext, _data: dict) -> bool:
    return _asks_other(ctx) or _amount(ctx.raw_text) is not None


def _asks_other(ctx: ChatContext) -> bool:
    # The quick reply's word, or its label typed out in the debtor's language.
    return ctx.text in _OTHER or ctx.text == normalize_text(_("Other amount"))


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


def _store(ctx: ChatContext, message_id: str, content: bytes, qr: SlipQR | None) -> Slip:
    """The photo in instance/slips/<yyyy>/<mm>/, recorded with its hash and slip QR."""
    local = ctx.now.astimezone(ctx.runtime.settings.timezone)
    instance = Path(ctx.runtime.settings.instance_path)
    return store_slip(
        ctx.session, instance, ctx.borrower, content, qr, message_id=message_id, now=local
    )


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
