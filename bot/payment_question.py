"""The question asked before storing a payment that looks wrong (models.ledger.payment_doubt):
the same words in the officers' รับชำระ, on the dashboard and at the command line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.i18n import _, format_date, format_money
from models.contract import Contract
from models.ledger import ABOVE_BALANCE, remaining_total


def payment_question(
    doubt: str, contract: Contract, amount: Decimal, paid_on: date, name: str
) -> str:
    """More than owed on the contract, or dated in the future: record it anyway?"""
    if doubt == ABOVE_BALANCE:
        return _(
            "%(amount)s is more than %(name)s owes on %(contract)s (%(owed)s). Record it anyway?",
            amount=format_money(amount),
            name=name,
            contract=contract.contract_no,
            owed=format_money(remaining_total(contract)),
        )
    return _(
        "The date %(date)s is in the future. Record %(amount)s from %(name)s anyway?",
        date=format_date(paid_on),
        amount=format_money(amount),
        name=name,
    )
