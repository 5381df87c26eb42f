"""Finding a contract by the number people type."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import UserError
from bot.i18n import _
from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract
from models.fund import Fund
from models.types import FundKind

# Contract numbers are stored with Arabic digits; people may type Thai ones.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def find_contract(
    session: Session,
    contract_no: str,
    fund_kind: FundKind | None = None,
    *,
    scope: list[str] | None = None,
) -> Contract:
    """The one contract with this number (in this kind of fund; borrowers inside `scope`).

    `scope` is the caller's area paths; None means no limit (the operator at the command line).
    """
    number = " ".join(contract_no.translate(_THAI_DIGITS).split())
    query = select(Contract).join(Fund).where(Contract.contract_no == number)
    if fund_kind is not None:
        query = query.where(Fund.kind == FundKind(fund_kind))
    if scope is not None:
        query = query.join(Borrower, Contract.borrower_id == Borrower.id).join(
            Area, Borrower.area_id == Area.id
        )
        query = query.where(within(Area.path, scope))
    contracts = list(session.scalars(query.order_by(Fund.kind, Fund.name)))
    if not contracts:
        raise UserError(_("No contract numbered %(contract)s", contract=number))
    if len(contracts) > 1:
        funds = ", ".join(f"{c.fund.name} ({c.fund.kind.value})" for c in contracts)
        if fund_kind is None:
            raise UserError(
                _(
                    "Contract number %(contract)s exists in several funds: %(funds)s. "
                    "Say which with --fund",
                    contract=number,
                    funds=funds,
                )
            )
        raise UserError(
            _(
                "Contract number %(contract)s exists in several funds of that kind: %(funds)s",
                contract=number,
                funds=funds,
            )
        )
    return contracts[0]
