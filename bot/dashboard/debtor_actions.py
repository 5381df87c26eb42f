"""What staff do on a debtor's page: issue a LINE link code, record a payment, reverse one.

Each is a POST with the form's CSRF token (checked for the whole blueprint), acts only on a
debtor inside the person's areas (else 404, as if there were none), goes through the same
domain operation as the chat and the command line, and is audited with source web. A refusal
is one Thai line above the page; nothing is stored then.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from bot.dashboard.auth import runtime
from bot.dashboard.blueprint import bp
from bot.dashboard.views import WEB_CHANNELS, debtor_page, scope, today
from bot.errors import explain
from bot.i18n import _, format_date, format_money
from bot.payment_question import payment_question
from models.audit import Actor
from models.base import utcnow
from models.contract import Contract
from models.dashboard_queries import debtor_in_scope
from models.errors import DomainError
from models.ledger import may_reverse, payment_doubt, record_payment, reverse_payment
from models.linking import CODE_TTL, issue_borrower_code
from models.payments_query import get_payment
from models.thai_text import parse_date, parse_typed_amount
from models.types import ContractStatus, PaymentChannel, Source

REASON_LIMIT = 500


def web_actor() -> Actor:
    """The logged-in person, for the audit log."""
    return Actor(f"web:{current_user.username}", Source.WEB)


class FormProblem(Exception):
    """A field filled in wrongly: the message says which and how."""


@bp.post("/debtor/<int:borrower_id>/link-code")
def debtor_link_code(borrower_id: int):
    """A new link code (earlier unused ones stop working), shown on this response only."""
    rt = runtime()
    now = utcnow()
    with rt.db.write_session() as session:
        borrower = _debtor(session, borrower_id)
        code = issue_borrower_code(
            session, web_actor(), borrower, now=now, secret_key=rt.settings.secret_key
        )
    expires = (now + CODE_TTL).astimezone(rt.settings.timezone).date()
    return debtor_page(borrower_id, link_code=code, link_expires=expires)


@bp.post("/debtor/<int:borrower_id>/payments")
def debtor_record_payment(borrower_id: int):
    """Record money received; more than owed, or a future date, is asked about first."""
    day = today()
    try:
        with runtime().db.write_session() as session:
            borrower = _debtor(session, borrower_id)
            contract = _contract(session, borrower.id)
            amount, paid_on, channel = _payment_fields(day)
            doubt = payment_doubt(contract, amount, paid_on, day)
            question = None
            if doubt is not None and request.form.get("confirmed") != "1":
                question = payment_question(doubt, contract, amount, paid_on, borrower.display_name)
            else:
                payment = _record(session, contract, amount, paid_on, channel, day)
                done = _(
                    "Recorded: payment no. %(id)d, %(amount)s for %(contract)s, paid on %(date)s.",
                    id=payment.id,
                    amount=format_money(amount),
                    contract=contract.contract_no,
                    date=format_date(paid_on),
                )
    except (DomainError, FormProblem) as problem:
        return debtor_page(borrower_id, 400, error=_wording(problem))
    if question is not None:
        return debtor_page(borrower_id, question=question)
    flash(done)
    return redirect(url_for("dashboard.debtor", borrower_id=borrower_id))


def _record(session, contract, amount, paid_on, channel, day):
    return record_payment(
        session,
        web_actor(),
        contract,
        amount,
        paid_on,
        channel,
        reference=(request.form.get("reference") or "").strip()[:100] or None,
        today=day,
    )


@bp.post("/debtor/<int:borrower_id>/payments/<int:payment_id>/reverse")
def debtor_reverse_payment(borrower_id: int, payment_id: int):
    """Reverse a confirmed payment of this debtor with a reason: a reversal is recorded,
    nothing is deleted."""
    reason = " ".join((request.form.get("reason") or "").split())
    if not may_reverse(current_user.role):
        refused = _("Only fund staff, district heads and admins reverse payments.")
        return debtor_page(borrower_id, 403, error=refused)
    try:
        with runtime().db.write_session() as session:
            _debtor(session, borrower_id)
            try:
                payment = get_payment(session, payment_id, scope=scope(), for_update=True)
            except DomainError:
                abort(404)
            if payment.contract.borrower_id != borrower_id:
                abort(404)
            if not reason:
                raise FormProblem(_("Say why the payment is reversed."))
            if len(reason) > REASON_LIMIT:
                raise FormProblem(
                    _("The reason is too long (at most %(limit)d characters)", limit=REASON_LIMIT)
                )
            reversal = reverse_payment(session, web_actor(), payment, reason, today=today())
            done = _(
                "Payment no. %(id)d (%(amount)s) reversed by no. %(reversal)d: %(reason)s",
                id=payment.id,
                amount=format_money(payment.amount),
                reversal=reversal.id,
                reason=reason,
            )
    except (DomainError, FormProblem) as problem:
        return debtor_page(borrower_id, 400, error=_wording(problem))
    flash(done)
    return redirect(url_for("dashboard.debtor", borrower_id=borrower_id))


def _debtor(session, borrower_id: int):
    borrower = debtor_in_scope(session, scope(), borrower_id)
    if borrower is None:
        abort(404)
    return borrower


def _contract(session, borrower_id: int) -> Contract:
    """The contract chosen, one of this debtor's and still active."""
    chosen = request.form.get("contract", "")
    contract = session.get(Contract, int(chosen)) if chosen.isdigit() else None
    if contract is None or contract.borrower_id != borrower_id:
        raise FormProblem(_("Choose one of the debtor's contracts."))
    if contract.status is not ContractStatus.ACTIVE:
        raise DomainError("contract_not_active", contract=contract.contract_no)
    return contract


def _payment_fields(day: date) -> tuple[Decimal, date, PaymentChannel]:
    """The amount, the date and how it came in, as typed (the chat's forms are understood)."""
    try:
        amount = parse_typed_amount(request.form.get("amount", ""))
    except ValueError:
        raise FormProblem(_("Enter the amount in baht, for example 1,500.")) from None
    try:
        paid_on = parse_date(request.form.get("paid_on", ""), today=day)
    except ValueError:
        raise FormProblem(_("Enter the date paid, for example 15/3/2569.")) from None
    channel = request.form.get("channel", PaymentChannel.OFFICE)
    if channel not in {c.value for c in WEB_CHANNELS}:
        raise FormProblem(_("Choose how the money came in."))
    return amount, paid_on, PaymentChannel(channel)


def _wording(problem: Exception) -> str:
    return explain(problem) if isinstance(problem, DomainError) else str(problem)
