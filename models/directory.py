"""Finding debtors within the caller's area scope, by name, area or contract number.

The one search for people who pick a debtor: the chat simulator today, officers choosing among
namesakes tomorrow. It returns rows, never words: how a debtor is shown is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract, contract_number_key
from models.thai_text import name_key

MAX_PAGE = 100


@dataclass(frozen=True)
class DebtorPage:
    """One page of found debtors (their areas loaded), their contract numbers, and the total."""

    borrowers: list[Borrower]
    contract_numbers: dict[int, list[str]]
    total: int


def find_debtors(
    session: Session,
    scope: list[str] | None,
    query: str = "",
    *,
    offset: int = 0,
    limit: int = 30,
) -> DebtorPage:
    """Debtors inside `scope` matching `query`, ordered by area then name.

    `scope` is the caller's area paths (None: everywhere; an empty list: nowhere). `query`
    matches part of the name (title, spacing and case ignored), of the area path, or of a
    contract number (spaces, Thai digits and case ignored, as
    models.contract.contract_number_key); empty matches everyone. At most MAX_PAGE a page.
    """
    condition = within(Area.path, scope) if scope is not None else None
    query = " ".join(query.split())
    if query:
        has_contract = exists().where(
            Contract.borrower_id == Borrower.id,
            Contract.number_key.contains(contract_number_key(query), autoescape=True),
        )
        alternatives = [
            Borrower.name.icontains(query, autoescape=True),
            Area.path.icontains(query, autoescape=True),
            has_contract,
        ]
        if key := _name_key(query):
            alternatives.append(Borrower.name_key.contains(key, autoescape=True))
        matches = or_(*alternatives)
        condition = matches if condition is None else condition & matches
    base = select(Borrower).join(Area, Borrower.area_id == Area.id)
    if condition is not None:
        base = base.where(condition)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    page = list(
        session.scalars(
            base.options(joinedload(Borrower.area))
            .order_by(Area.path, Borrower.name_key, Borrower.id)
            .offset(max(offset, 0))
            .limit(max(min(limit, MAX_PAGE), 1))
        )
    )
    return DebtorPage(page, contract_numbers(session, [b.id for b in page]), total or 0)


def _name_key(query: str) -> str | None:
    try:
        return name_key(query)
    except ValueError:  # a title alone ("นาง") names nobody
        return None


def contract_numbers(session: Session, borrower_ids: list[int]) -> dict[int, list[str]]:
    """Each borrower's contract numbers, in order."""
    if not borrower_ids:
        return {}
    numbers: dict[int, list[str]] = {}
    rows = session.execute(
        select(Contract.borrower_id, Contract.contract_no)
        .where(Contract.borrower_id.in_(borrower_ids))
        .order_by(Contract.contract_no)
    )
    for borrower_id, number in rows:
        numbers.setdefault(borrower_id, []).append(number)
    return numbers
