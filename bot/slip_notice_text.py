"""The words of the slip-decision notices (models/slip_notice.py), in the debtor's language."""

from __future__ import annotations

from bot.config import office_zone
from bot.i18n import _, format_date, format_money, use_locale
from bot.line import messages as line_messages
from models import slip_notice
from models.payment import Payment


def render(payment: Payment, decision: str, reason: str | None) -> list[dict]:
    """The notice for `payment`'s borrower."""
    contract = payment.contract
    with use_locale(contract.borrower.locale):
        if decision == slip_notice.APPROVED:
            body = _(
                "Your transfer of %(amount)s on %(date)s for contract %(contract)s has been "
                "checked and confirmed. Thank you. Send ยอด to see your balance.",
                amount=format_money(payment.amount),
                date=format_date(payment.paid_on),
                contract=contract.contract_no,
            )
            quick = [(_("Balance"), "ยอด")]
        else:
            body = _(
                "Staff could not confirm your transfer of %(amount)s on %(date)s for contract "
                "%(contract)s: %(reason)s. Please contact your officer, or send the right "
                "slip again.",
                amount=format_money(payment.amount),
                date=format_date(payment.paid_on),
                contract=contract.contract_no,
                reason=reason or "-",
            )
            quick = [(_("Report a transfer"), "แจ้งโอน")]
        return [line_messages.text(body, quick_replies=quick)]


def install() -> None:
    """Let the domain queue slip notices, worded here."""
    slip_notice.configure(render, office_zone)
