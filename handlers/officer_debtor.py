"""The debtor an officer command names: finding them, the pick and the yes/no, completing.

The debtor is found with models.debtor_lookup.find_debtor within the officer's areas
(handlers/officer_access.py says who may ask and which areas). Several candidates: a quick
reply, and the command completes on the pick, through the `officer` conversation, which also
asks yes/no before a payment that looks wrong is stored. Each command module puts its
completer in COMPLETERS. The event of the command is the `origin` of what it stores (unique),
so a pick or a yes sent twice stores it once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.i18n import _, format_date, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.conversation import END, Conversation, State
from handlers.officer_access import in_scope, scope
from models.borrower import Borrower
from models.chat_state import clear_pending, set_pending
from models.contract import Contract
from models.debtor_lookup import Lookup, find_debtor
from models.field_reports import add_report, by_origin
from models.thai_text import parse_date, parse_typed_amount
from models.types import ContractStatus

YES_WORDS = ("ใช่", "ยืนยัน", "ตกลง", "yes", "ok")
NO_WORDS = ("ไม่", "ไม่ใช่", "no")
PICK, CONFIRM = "pick", "confirm"
CANCEL = "ยกเลิก"

# name -> (ctx, borrower, contract, payload, origin, confirmed) -> None; filled by each module.
Completer = Callable[[ChatContext, Borrower, Contract | None, dict, str, bool], None]
COMPLETERS: dict[str, Completer] = {}


# ---------------------------------------------------------------------------- the debtor


@dataclass(frozen=True)
class Found:
    """The one debtor meant, and the contract when one was typed."""

    borrower: Borrower
    contract: Contract | None


def resolve(ctx: ChatContext, command: str, who: str, payload: dict) -> Found | None:
    """The debtor `who` names, or None after answering (none found, or a pick asked)."""
    lookup = find_debtor(ctx.session, scope(ctx), who)
    if lookup.exact:
        return Found(lookup.borrowers[0], lookup.contract)
    if not lookup.borrowers:
        ctx.reply(not_found(who, lookup))
        return None
    ask_pick(ctx, command, payload, lookup)
    return None


def not_found(who: str, lookup: Lookup) -> str:
    """No debtor in the officer's areas is called `who`."""
    if lookup.suggestion is not None:
        return _(
            'No debtor "%(who)s" in your areas. Did you mean %(name)s (%(village)s)?',
            who=who,
            name=lookup.suggestion.display_name,
            village=lookup.suggestion.area.name,
        )
    return _('No debtor "%(who)s" in your areas.', who=who)


def debtor_label(borrower: Borrower) -> str:
    """A debtor as officers read them: title and name, and the village."""
    return f"{borrower.display_name} ({borrower.area.path})"


def reachable(borrower: Borrower) -> bool:
    """True when the debtor can be told on LINE (linked, and has not blocked the bot)."""
    return bool(borrower.line_user_id and borrower.line_reachable)


def candidate_label(borrower: Borrower, numbers: list[str]) -> str:
    """One candidate: name, village, contract."""
    contract = numbers[0] if numbers else "-"
    return f"{borrower.display_name} ({borrower.area.name}) {contract}"


def ask_pick(ctx: ChatContext, command: str, payload: dict, lookup: Lookup) -> None:
    """Several debtors fit: a quick reply of up to 13, the command completes on the pick."""
    lines = [_("Which debtor do you mean?")]
    choices = []
    for n, borrower in enumerate(lookup.borrowers, start=1):
        label = candidate_label(borrower, lookup.contract_numbers.get(borrower.id, []))
        lines.append(f"{n}. {label}")
        choices.append((f"{n}. {borrower.display_name}", f"{n}. {label}"))
    if ctx.in_group:
        lines.append(_("Please send the command again with the contract number"))
        ctx.reply("\n".join(lines))
        return
    data = {
        "command": command,
        "payload": payload,
        "ids": [b.id for b in lookup.borrowers],
        "origin": ctx.webhook_event_id,
    }
    set_pending(ctx.session, ctx.user_id, f"officer.{PICK}", data, now=ctx.now, ttl=TTL)
    ctx.reply(line_messages.text("\n".join(lines), quick_replies=choices[:12]))


def ask_confirm(
    ctx: ChatContext,
    question: str,
    command: str,
    borrower: Borrower,
    contract: Contract | None,
    payload: dict,
    origin: str,
) -> None:
    """Ask yes/no before storing; the command completes with confirmed=True on yes."""
    data = {
        "command": command,
        "payload": payload,
        "borrower_id": borrower.id,
        "contract_id": contract.id if contract else None,
        "origin": origin,
        "nonce": secrets.token_hex(4),
    }
    set_pending(ctx.session, ctx.user_id, f"officer.{CONFIRM}", data, now=ctx.now, ttl=TTL)
    ctx.reply(line_messages.text(question, quick_replies=[(_("Yes"), "ใช่"), (_("No"), "ไม่")]))


def _picked(ctx: ChatContext, data: dict) -> int | None:
    head = ctx.text.split(".", 1)[0].strip()
    if not head.isdigit():
        return None
    index = int(head) - 1
    return data["ids"][index] if 0 <= index < len(data["ids"]) else None


def _accepts_pick(ctx: ChatContext, data: dict) -> bool:
    return _picked(ctx, data) is not None


def _on_pick(ctx: ChatContext, data: dict) -> str:
    borrower = ctx.session.get(Borrower, _picked(ctx, data))
    # Still inside the officer's areas (they may have changed since the question).
    if borrower is None or not in_scope(borrower.area.path, scope(ctx)):
        ctx.reply(_("Sorry, that debtor is no longer in your areas"))
        return END
    # Cleared first: the completer may start a new step (a yes/no).
    clear_pending(ctx.session, ctx.user_id)
    COMPLETERS[data["command"]](ctx, borrower, None, data["payload"], data["origin"], False)
    return None


def _accepts_yes_no(ctx: ChatContext, _data: dict) -> bool:
    return ctx.text in YES_WORDS or ctx.text in NO_WORDS


def _on_confirm(ctx: ChatContext, data: dict) -> str:
    if ctx.text in NO_WORDS:
        ctx.reply(_("Not recorded"))
        return END
    borrower = ctx.session.get(Borrower, data["borrower_id"])
    contract = ctx.session.get(Contract, data["contract_id"]) if data["contract_id"] else None
    clear_pending(ctx.session, ctx.user_id)
    COMPLETERS[data["command"]](ctx, borrower, contract, data["payload"], data["origin"], True)
    return None


def _pick_again(_ctx: ChatContext, _data: dict) -> str:
    return _("Please pick the debtor from the buttons, or send ยกเลิก to cancel")


def _yes_or_no(_ctx: ChatContext, _data: dict) -> str:
    return _("Please answer ใช่ (yes) or ไม่ (no), or send ยกเลิก to cancel")


def _expired(_ctx: ChatContext, _data: dict) -> str:
    return _("That question has expired; nothing was recorded. Please send the command again")


TTL = timedelta(minutes=15)
OFFICER_FLOW = Conversation(
    name="officer",
    entries=[],
    states={
        PICK: State(_on_pick, _pick_again, accepts=_accepts_pick),
        CONFIRM: State(_on_confirm, _yes_or_no, accepts=_accepts_yes_no),
    },
    expired=_expired,
    ttl=TTL,
    allowed=lambda ctx: ctx.staff is not None,
)


# ---------------------------------------------------------------------------- reading args


def split_who_amount_date(args: str, today: date) -> tuple[str, Decimal, date | None]:
    """`<who> <amount> [date]`; ValueError when it is not that."""
    tokens = args.split()
    for date_len in (3, 2, 1, 0):
        for amount_len in (2, 1):
            cut = len(tokens) - date_len - amount_len
            if cut < 1:
                continue
            try:
                when = (
                    parse_date(" ".join(tokens[cut + amount_len :]), today=today)
                    if (date_len)
                    else None
                )
                amount = parse_typed_amount(" ".join(tokens[cut : cut + amount_len]))
            except ValueError:
                continue
            return " ".join(tokens[:cut]), amount, when
    raise ValueError("no amount")


def split_who_date_amount(args: str, today: date) -> tuple[str, date, Decimal]:
    """`<who> <date> <amount>`; ValueError when it is not that."""
    tokens = args.split()
    for amount_len in (2, 1):
        for date_len in (3, 2, 1):
            cut = len(tokens) - date_len - amount_len
            if cut < 1:
                continue
            try:
                amount = parse_typed_amount(" ".join(tokens[len(tokens) - amount_len :]))
                when = parse_date(" ".join(tokens[cut : cut + date_len]), today=today)
            except ValueError:
                continue
            return " ".join(tokens[:cut]), when, amount
    raise ValueError("no date and amount")


def split_who_text(ctx: ChatContext, args: str) -> tuple[str, str]:
    """`<who> <text>`: the longest opening words that name exactly one debtor, else the
    shortest that name anyone (a pick follows), else the first word."""
    tokens = args.split()
    if len(tokens) < 2:
        raise ValueError("no text")
    limits = range(min(4, len(tokens) - 1), 0, -1)
    some = None
    for k in limits:
        lookup = find_debtor(ctx.session, scope(ctx), " ".join(tokens[:k]))
        if lookup.exact:
            return " ".join(tokens[:k]), " ".join(tokens[k:])
        if lookup.borrowers:
            some = k
    k = some or 1
    return " ".join(tokens[:k]), " ".join(tokens[k:])


# ---------------------------------------------------------------------------- words


def usage(line: str, example: str) -> str:
    """The short answer to a mistyped command: its usage and an example."""
    return _("Usage: %(line)s\nFor example: %(example)s", line=line, example=example)


def active_contracts(ctx: ChatContext, borrower: Borrower) -> list[Contract]:
    """The debtor's active contracts, oldest first."""
    return list(
        ctx.session.scalars(
            select(Contract)
            .where(Contract.borrower_id == borrower.id, Contract.status == ContractStatus.ACTIVE)
            .order_by(Contract.contract_date, Contract.id)
        )
    )


def when_text(day: date) -> str:
    """A date as officers read it (Buddhist Era)."""
    return format_date(day)


def money(amount: Decimal) -> str:
    """`1,234.50 บาท`."""
    return format_money(amount)


def register(router) -> None:
    """The pick and yes/no steps the officer commands share."""
    router.add_conversation(OFFICER_FLOW)


def start_with_text(ctx: ChatContext, command: str, usage_line: Callable[[], str]) -> None:
    """`<command> <debtor> <text>`: find the debtor (or ask which), then the command completes."""
    try:
        who, text = split_who_text(ctx, ctx.args)
    except ValueError:
        ctx.reply(usage_line())
        return
    payload = {"text": text}
    found = resolve(ctx, command, who, payload)
    if found is not None:
        COMPLETERS[command](
            ctx, found.borrower, found.contract, payload, ctx.webhook_event_id, False
        )


def store_report_once(
    ctx: ChatContext,
    borrower: Borrower,
    contract: Contract | None,
    kind: str,
    text: str,
    origin: str,
) -> None:
    """A field report of `kind`, unless this command's event stored it already (a repeat)."""
    if by_origin(ctx.session, origin) is None:
        add_report(
            ctx.session,
            ctx.actor,
            ctx.staff,
            borrower,
            kind,
            ctx.today,
            text=text,
            contract=contract,
            origin=origin,
        )
