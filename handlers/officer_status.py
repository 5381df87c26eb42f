"""`สถานะ <ผู้กู้>` / `status`: one debtor at a glance, as a LINE Flex bubble.

Name, village, contracts, overdue, class, last payment and visit, the open promise and the
case's recent timeline; buttons open the keyboard with the next command filled in.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.i18n import _
from handlers.context import ChatContext
from handlers.officer_access import OfficerCommand
from handlers.officer_cards import fill_button, pair
from handlers.officer_debtor import (
    COMPLETERS,
    money,
    resolve,
    usage,
    when_text,
)
from models.arrears import contract_arrears
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import VISIT, FieldReport, open_promise, timeline
from models.payment import Payment
from models.types import PaymentState

NAME = "status"
WORDS = ("สถานะ", "status")
MAX_LINES = 5


def register(router) -> None:
    """Add สถานะ."""
    router.add("message.text", OfficerCommand(WORDS, start))


def start(ctx: ChatContext) -> None:
    if not ctx.args:
        ctx.reply(usage(_("สถานะ <debtor>"), "สถานะ สมศรี ใจดี"))
        return
    found = resolve(ctx, NAME, ctx.args, {})
    if found is not None:
        complete(ctx, found.borrower, found.contract, {}, ctx.webhook_event_id, False)


def complete(
    ctx: ChatContext,
    borrower: Borrower,
    _contract: Contract | None,
    _payload: dict,
    _origin: str,
    _confirmed: bool,
) -> None:
    """Answer with the bubble."""
    ctx.reply(status_message(ctx, borrower))


def status_message(ctx: ChatContext, borrower: Borrower) -> dict:
    """The Flex message (with a plain-text altText) for one debtor."""
    rows = contract_arrears(ctx.session, ctx.today, scope=None, borrower_id=borrower.id)
    overdue = sum((r.overdue_amount for r in rows), Decimal("0.00"))
    lines: list[tuple[str, str]] = [(_("Village"), borrower.area.name)]
    for row in rows:
        lines.append(
            (
                row.contract_no,
                _(
                    "owes %(balance)s, overdue %(overdue)s (%(days)d days), %(cls)s",
                    balance=money(row.outstanding_principal),
                    overdue=money(row.overdue_amount),
                    days=row.days_past_due,
                    cls=row.debtor_class,
                ),
            )
        )
    lines.append((_("Overdue"), money(overdue)))
    last_payment = ctx.session.scalar(
        select(Payment)
        .join(Contract, Contract.id == Payment.contract_id)
        .where(
            Contract.borrower_id == borrower.id,
            Payment.state == PaymentState.CONFIRMED,
            Payment.amount > 0,
        )
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
        .limit(1)
    )
    lines.append(
        (
            _("Last payment"),
            f"{money(last_payment.amount)} {when_text(last_payment.paid_on)}"
            if last_payment
            else "-",
        )
    )
    last_visit = ctx.session.scalar(
        select(FieldReport)
        .where(
            FieldReport.borrower_id == borrower.id,
            FieldReport.kind == VISIT,
            FieldReport.reversed_at.is_(None),
        )
        .order_by(FieldReport.created_at.desc())
        .limit(1)
    )
    lines.append((_("Last visit"), when_text(last_visit.reported_on) if last_visit else "-"))
    promise = open_promise(ctx.session, borrower.id, ctx.today)
    lines.append(
        (
            _("Promise"),
            f"{money(promise.promise_amount)} {when_text(promise.promise_date)}"
            if promise
            else "-",
        )
    )
    history = [_timeline_line(r) for r in timeline(ctx.session, borrower, MAX_LINES)]
    alt = "\n".join([borrower.display_name, *(f"{k}: {v}" for k, v in lines), *history])[:400]
    key = rows[0].contract_no if rows else borrower.name
    body = [
        {
            "type": "text",
            "text": borrower.display_name,
            "weight": "bold",
            "size": "lg",
            "wrap": True,
        },
        *(pair(k, v) for k, v in lines),
    ]
    if history:
        body.append({"type": "separator", "margin": "md"})
        body.extend(
            {"type": "text", "text": h, "size": "xs", "wrap": True, "color": "#666666"}
            for h in history
        )
    return {
        "type": "flex",
        "altText": alt,
        "contents": {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
            "footer": {
                "type": "box",
                "layout": "vertical",
                "spacing": "sm",
                "contents": [
                    fill_button(_("Record a payment"), f"รับชำระ {key} "),
                    fill_button(_("Record a visit"), f"เยี่ยม {key} "),
                    fill_button(_("Record a promise"), f"นัดชำระ {key} "),
                ],
            },
        },
    }


def _timeline_line(report: FieldReport) -> str:
    what = {
        "visit": _("visit"),
        "note": _("note"),
        "promise": _("promise"),
        "payment": _("payment"),
    }.get(report.kind, report.kind)
    detail = report.text or ""
    if report.kind == "promise" and report.promise_amount is not None:
        detail = f"{money(report.promise_amount)} {when_text(report.promise_date)}"
        if report.promise_status:
            detail += f" ({report.promise_status})"
    if report.kind == "payment" and report.payment is not None:
        detail = money(report.payment.amount)
    mark = " ✕" if report.reversed_at else ""
    return f"{when_text(report.reported_on)} {what}: {detail}{mark}"[:200]


COMPLETERS[NAME] = complete
