"""The debtor an officer command names: finding them, the pick and the yes/no, completing.

The debtor is found with models.debtor_lookup.find_debtor within the officer's areas
(handlers/officer_access.py says who may ask and which areas). Several candidates: a quick
reply, and the command completes on the pick, through the `officer` conversation, which also
asks yes/no before a payment that looks wrong is stored. In a working-team group the pick and
the yes/no are postback buttons (`group_step`), remembered per (group, officer) and answered
only by the officer who asked. Each command module puts its
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
from handlers.conversation import Conversation, State
from handlers.officer_access import (
    allowed,
    button,
    in_scope,
    int_field,
    is_postback_of,
    postback,
    postback_data,
    scope,
)
from handlers.router import When
from models.borrower import Borrower
from models.chat_state import clear_pending, group_key, pending, set_pending
from models.contract import Contract
from models.debtor_lookup import Lookup, find_debtor
from models.field_reports import add_report, by_origin
from models.staff import Staff
from models.thai_text import parse_date, parse_typed_amount
from models.types import ContractStatus

YES_WORDS = ("ใช่", "ยืนยัน", "ตกลง", "yes", "ok")
NO_WORDS = ("ไม่", "ไม่ใช่", "no")
PICK, CONFIRM = "pick", "confirm"
OFFICER_FLOW_NAME = "officer"
# The buttons of a pick or yes/no in a group: officer=step&s=<staff id>&t=<nonce>&a=<answer>.
STEP = "step"
YES, NO = "yes", "no"
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
    """Several debtors fit: a quick reply of up to 13, the command completes on the pick.

    1:1 the choices are texts ("2. สมศรี"), answered through the `officer` conversation; in a
    working-team group they are buttons only the officer who asked may tap (group_step).
    """
    lines = [_("Which debtor do you mean?")]
    labels = []
    for n, borrower in enumerate(lookup.borrowers, start=1):
        label = candidate_label(borrower, lookup.contract_numbers.get(borrower.id, []))
        lines.append(f"{n}. {label}")
        labels.append((f"{n}. {borrower.display_name}", f"{n}. {label}"))
    data = {
        "command": command,
        "payload": payload,
        "ids": [b.id for b in lookup.borrowers],
        "origin": ctx.webhook_event_id,
    }
    nonce = _wait_for(ctx, PICK, data)
    if ctx.in_group:
        choices = [
            _step_button(ctx, nonce, str(n), short, said)
            for n, (short, said) in enumerate(labels, start=1)
        ]
    else:
        choices = labels
    ctx.reply(
        line_messages.text(
            "\n".join(lines), quick_replies=choices[: line_messages.QUICK_REPLY_ITEMS]
        )
    )


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
    }
    nonce = _wait_for(ctx, CONFIRM, data)
    if ctx.in_group:
        choices = [
            _step_button(ctx, nonce, YES, _("Yes"), "ใช่"),
            _step_button(ctx, nonce, NO, _("No"), "ไม่"),
        ]
    else:
        choices = [(_("Yes"), "ใช่"), (_("No"), "ไม่")]
    ctx.reply(line_messages.text(question, quick_replies=choices))


def _memory_key(ctx: ChatContext) -> str:
    """Where a step waits: the officer's own chat memory 1:1; in a group, their memory in
    that group, so two officers of one team group never answer each other's question."""
    return group_key(ctx.chat_id, ctx.user_id) if ctx.in_group else ctx.user_id


def _wait_for(ctx: ChatContext, state: str, data: dict) -> str:
    """Remember the step (with a fresh nonce, which a button of an older question lacks)."""
    data["nonce"] = secrets.token_hex(4)
    key = _memory_key(ctx)
    set_pending(ctx.session, key, f"{OFFICER_FLOW_NAME}.{state}", data, now=ctx.now, ttl=TTL)
    return data["nonce"]


def cancel_group_question(ctx: ChatContext) -> bool:
    """Forget the officer's open pick or yes/no in this group; False when none was open.

    In a group the question waits under (group, officer), where the router's conversations
    (keyed by the sender alone) do not see it, so `ยกเลิก` there comes here.
    """
    if not ctx.in_group or pending(ctx.session, _memory_key(ctx), ctx.now) is None:
        return False
    clear_pending(ctx.session, _memory_key(ctx))
    return True


def _step_button(ctx: ChatContext, nonce: str, answer: str, label: str, said: str) -> dict:
    data = postback_data(STEP, s=ctx.staff.id, t=nonce, a=answer)
    return button(label, data, said)


def group_step(ctx: ChatContext) -> None:
    """A pick or yes/no button in a group: only the officer who asked may answer it."""
    fields = postback(ctx)
    owner = int_field(ctx, "s")
    if ctx.staff is None or ctx.staff.id != owner:
        officer = ctx.session.get(Staff, owner) if owner is not None else None
        ctx.reply(
            _(
                "Sorry, this question is for %(name)s, who sent the command. Please send "
                "your own command if you need one.",
                name=officer.name if officer is not None else "-",
            )
        )
        return
    if not allowed(ctx):
        return
    waiting = pending(ctx.session, _memory_key(ctx), ctx.now)
    if waiting is None or waiting[1].get("nonce") != fields.get("t"):
        ctx.reply(_("That question is no longer open (answered, replaced or expired)"))
        return
    state, data = waiting
    answer = fields.get("a", "")
    if state == f"{OFFICER_FLOW_NAME}.{PICK}":
        index = int(answer) - 1 if answer.isdigit() else -1
        _pick_done(ctx, data, data["ids"][index] if 0 <= index < len(data["ids"]) else None)
    elif state == f"{OFFICER_FLOW_NAME}.{CONFIRM}":
        _confirm_done(ctx, data, answer == YES)


def _picked(ctx: ChatContext, data: dict) -> int | None:
    head = ctx.text.split(".", 1)[0].strip()
    if not head.isdigit():
        return None
    index = int(head) - 1
    return data["ids"][index] if 0 <= index < len(data["ids"]) else None


def _accepts_pick(ctx: ChatContext, data: dict) -> bool:
    return _picked(ctx, data) is not None


def _on_pick(ctx: ChatContext, data: dict) -> None:
    _pick_done(ctx, data, _picked(ctx, data))


def _pick_done(ctx: ChatContext, data: dict, borrower_id: int | None) -> None:
    # Forgotten first: the completer may ask a new step (a yes/no).
    clear_pending(ctx.session, _memory_key(ctx))
    borrower = ctx.session.get(Borrower, borrower_id) if borrower_id is not None else None
    # Still inside the officer's areas (they may have changed since the question).
    if borrower is None or not in_scope(borrower.area.path, scope(ctx)):
        ctx.reply(_("Sorry, that debtor is no longer in your areas"))
        return
    COMPLETERS[data["command"]](ctx, borrower, None, data["payload"], data["origin"], False)


def _accepts_yes_no(ctx: ChatContext, _data: dict) -> bool:
    return ctx.text in YES_WORDS or ctx.text in NO_WORDS


def _on_confirm(ctx: ChatContext, data: dict) -> None:
    _confirm_done(ctx, data, ctx.text in YES_WORDS)


def _confirm_done(ctx: ChatContext, data: dict, yes: bool) -> None:
    clear_pending(ctx.session, _memory_key(ctx))
    if not yes:
        ctx.reply(_("Not recorded"))
        return
    borrower = ctx.session.get(Borrower, data["borrower_id"])
    contract = ctx.session.get(Contract, data["contract_id"]) if data["contract_id"] else None
    COMPLETERS[data["command"]](ctx, borrower, contract, data["payload"], data["origin"], True)


def _pick_again(_ctx: ChatContext, _data: dict) -> str:
    return _("Please pick the debtor from the buttons, or send ยกเลิก to cancel")


def _yes_or_no(_ctx: ChatContext, _data: dict) -> str:
    return _("Please answer ใช่ (yes) or ไม่ (no), or send ยกเลิก to cancel")


def _expired(_ctx: ChatContext, _data: dict) -> str:
    return _("That question has expired; nothing was recorded. Please send the command again")


TTL = timedelta(minutes=15)
OFFICER_FLOW = Conversation(
    name=OFFICER_FLOW_NAME,
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
    """The pick and yes/no steps the officer commands share (1:1, and buttons in groups)."""
    router.add_conversation(OFFICER_FLOW)
    router.add("postback", When(is_postback_of(STEP), group_step))


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
