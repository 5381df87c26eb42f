"""The balance at a glance: one Flex bubble per contract (a carousel for several).

Each card shows the fund, the contract, what is outstanding, what is overdue (in red, with
the days late), the next due date and amount, the status (normal, late, in a moratorium until
a date, restructured, paid off with thanks), and buttons: pay now and send a slip (postbacks
`pay_now:<contract id>` and `send_slip:<contract id>`, answered by the payment handlers) and
call my officer (a tel: link, when the officer has a phone). The altText says the same in
plain text, for notifications and old LINE versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.i18n import _, format_date, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.texts import fund_display_name
from models.arrears import ContractArrears, borrower_arrears_with_facts
from models.types import FundKind

PAY_NOW = "pay_now"
SEND_SLIP = "send_slip"

RED = "#D93025"
GREEN = "#1E8E3E"
AMBER = "#B06000"
GREY = "#6B6B6B"
BRAND = "#06C755"

PAID_OFF = "paid_off"
MORATORIUM = "moratorium"
LATE_CLASSES = ("late", "defaulted")
RESTRUCTURED_CLASSES = ("restructured", "restructured_late")


@dataclass(frozen=True)
class Officer:
    """The officer of a contract, as the card and `ติดต่อพัฒนากร` show them."""

    id: int
    name: str
    phone: str | None


@dataclass(frozen=True)
class CardFacts:
    """What one card shows: the contract's arrears, its fund's name, officer, moratorium end."""

    row: ContractArrears
    fund_name: str
    officer: Officer | None
    moratorium_until: date | None


def balance_facts(ctx: ChatContext) -> list[CardFacts]:
    """The debtor's contracts as of today, with what their cards need (one query)."""
    # The debtor's own contracts only: the borrower id is the scope (area scopes are staff's).
    ctx.session.flush()  # the statement runs on the connection: what the session holds first
    facts = []
    for row, extra in borrower_arrears_with_facts(ctx.session, ctx.today, ctx.borrower.id):
        officer = None
        if extra.officer_id is not None and extra.officer_active:
            officer = Officer(extra.officer_id, extra.officer_name, extra.officer_phone)
        facts.append(
            CardFacts(
                row=row,
                fund_name=fund_display_name(FundKind(row.fund), extra.village_no, extra.area_name),
                officer=officer,
                moratorium_until=extra.moratorium_until,
            )
        )
    return facts


def balance_message(ctx: ChatContext, facts: list[CardFacts]) -> dict:
    """A Flex message: one bubble, or a carousel of up to 12 (LINE's limit)."""
    bubbles = [_bubble(ctx, fact) for fact in facts[: line_messages.CAROUSEL_BUBBLES]]
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    return line_messages.flex(alt_text(ctx, facts), contents)


def alt_text(ctx: ChatContext, facts: list[CardFacts]) -> str:
    """The cards in one plain text (LINE shows it in notifications and chat lists)."""
    parts = [_("Your balance on %(date)s", date=format_date(ctx.today))]
    for fact in facts:
        row = fact.row
        if row.debtor_class == PAID_OFF:
            parts.append(_("%(contract)s: paid off, thank you", contract=row.contract_no))
            continue
        line = _(
            "%(contract)s: outstanding %(amount)s",
            contract=row.contract_no,
            amount=format_money(row.outstanding_principal),
        )
        if row.overdue_amount > 0:
            line += ", " + _("overdue %(amount)s", amount=format_money(row.overdue_amount))
        if row.next_due_date is not None:
            line += ", " + _(
                "next %(date)s %(amount)s",
                date=format_date(row.next_due_date),
                amount=format_money(row.next_due_amount),
            )
        parts.append(line)
    return "\n".join(parts)


def status_text(fact: CardFacts) -> tuple[str, str]:
    """The status in words, and its colour."""
    row = fact.row
    if row.debtor_class == PAID_OFF:
        return _("Paid off. Thank you for paying every installment!"), GREEN
    if fact.moratorium_until is not None:
        return (
            _("In a moratorium until %(date)s", date=format_date(fact.moratorium_until)),
            AMBER,
        )
    if row.debtor_class in RESTRUCTURED_CLASSES:
        if row.days_past_due > 0:
            return _("Restructured, %(days)d days late", days=row.days_past_due), RED
        return _("Restructured, paying on time"), GREEN
    if row.days_past_due > 0:
        return _("Late: %(days)d days", days=row.days_past_due), RED
    return _("Normal, paying on time"), GREEN


def _bubble(ctx: ChatContext, fact: CardFacts) -> dict:
    row = fact.row
    status, colour = status_text(fact)
    header = _box(
        [
            _text(fact.fund_name, size="sm", color=GREY, wrap=True),
            _text(
                _("Contract %(contract)s", contract=row.contract_no),
                weight="bold",
                size="md",
                wrap=True,
            ),
        ]
    )
    body_rows = [_text(status, weight="bold", color=colour, wrap=True)]
    if row.debtor_class != PAID_OFF:
        body_rows.append(
            _pair(_("Outstanding"), format_money(row.outstanding_principal), bold=True)
        )
        if row.overdue_amount > 0:
            body_rows.append(
                _pair(
                    _("Overdue (%(days)d days late)", days=row.days_past_due),
                    format_money(row.overdue_amount),
                    color=RED,
                    bold=True,
                )
            )
        else:
            body_rows.append(_pair(_("Overdue"), _("none"), color=GREEN))
        if row.next_due_date is not None:
            body_rows.append(_pair(_("Next due"), format_date(row.next_due_date)))
            body_rows.append(_pair(_("Next amount"), format_money(row.next_due_amount)))
    else:
        body_rows.append(
            _text(_("Nothing is left to pay on this contract."), size="sm", color=GREY, wrap=True)
        )
    bubble = {
        "type": "bubble",
        "header": header,
        "body": _box(body_rows, spacing="md"),
    }
    buttons = _buttons(row, fact.officer)
    if buttons:
        bubble["footer"] = _box(buttons, spacing="sm")
    return bubble


def _buttons(row: ContractArrears, officer: Officer | None) -> list[dict]:
    buttons = []
    if row.debtor_class != PAID_OFF:
        buttons.append(
            _button(
                _postback(_("Pay now"), f"{PAY_NOW}:{row.contract_id}", _("Pay now")),
                style="primary",
            )
        )
        buttons.append(
            _button(
                _postback(_("Send a slip"), f"{SEND_SLIP}:{row.contract_id}", _("Send a slip")),
                style="secondary",
            )
        )
    if officer is not None and officer.phone:
        uri = "tel:" + "".join(ch for ch in officer.phone if ch.isdigit() or ch == "+")
        buttons.append(
            _button(
                {
                    "type": "uri",
                    "label": line_messages.truncate(_("Call my officer"), 20),
                    "uri": uri,
                },
                style="link",
            )
        )
    return buttons


# ---------------------------------------------------------------------- Flex pieces


def _box(contents: list[dict], *, spacing: str | None = None) -> dict:
    box = {"type": "box", "layout": "vertical", "contents": contents}
    if spacing:
        box["spacing"] = spacing
    return box


def _text(value: str, **style) -> dict:
    return {"type": "text", "text": value, **style}


def _pair(label: str, value: str, *, color: str | None = None, bold: bool = False) -> dict:
    right = _text(value, size="sm", align="end", flex=0)
    left = _text(label, size="sm", color=GREY, flex=1, wrap=True)
    if color:
        right["color"] = color
        left["color"] = color
    if bold:
        right["weight"] = "bold"
    return {"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [left, right]}


def _postback(label: str, data: str, display: str) -> dict:
    return {
        "type": "postback",
        "label": line_messages.truncate(label, 20),
        "data": data,
        "displayText": display,
    }


def _button(action: dict, *, style: str) -> dict:
    button = {"type": "button", "action": action, "style": style, "height": "sm"}
    if style == "primary":
        button["color"] = BRAND
    return button
