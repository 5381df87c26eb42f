"""Finding the one debtor an officer means, from what they typed in a chat.

What officers type is a contract number, a phone number, or a Thai name typed loosely (with or
without the title, spaces or tone marks, sometimes misspelt). Only debtors inside the caller's
areas are ever considered (models/directory.py's scope rule). The answer is rows, never words:
the chat words them.

Order of trust: a contract number or a phone number is exact; then a name whose loose key
(models.thai_text.loose_name_key) equals, or begins with, what was typed; then rapidfuzz's
similarity on the loose keys, which only ever proposes candidates (never acts alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract, contract_number_key
from models.directory import contract_numbers
from models.thai_text import loose_name_key, normalize_phone

MAX_CANDIDATES = 13
# Similarity (0-100, rapidfuzz WRatio on loose keys) for a name to be proposed at all.
PROPOSE_AT = 70
# Below PROPOSE_AT, the best name is still offered as "did you mean".
SUGGEST_AT = 45


@dataclass(frozen=True)
class Lookup:
    """What `find_debtor` found.

    `borrowers`: 0 to 13 candidates, best first (their areas loaded). `exact`: exactly one
    and it is certainly the one meant (contract, phone or the whole name). `contract`: the
    contract typed, when a contract number was. `suggestion`: when nothing matched, the
    closest name in scope (or None). `contract_numbers`: each candidate's contract numbers.
    """

    borrowers: list[Borrower]
    exact: bool
    contract: Contract | None = None
    suggestion: Borrower | None = None
    contract_numbers: dict[int, list[str]] = field(default_factory=dict)

    @property
    def borrower(self) -> Borrower | None:
        """The one debtor meant, when the lookup is exact."""
        return self.borrowers[0] if self.exact and self.borrowers else None


def find_debtor(session: Session, scope: list[str] | None, text: str) -> Lookup:
    """The debtor(s) `text` names, within `scope` (area paths; None: everywhere)."""
    text = " ".join(str(text).split())
    if not text or scope == []:
        return Lookup([], False)
    by_contract = _by_contract(session, scope, text)
    if by_contract:
        return _lookup(session, [c.borrower for c in by_contract], by_contract)
    by_phone = _by_phone(session, scope, text)
    if by_phone:
        return _lookup(session, by_phone)
    return _by_name(session, scope, text)


def _in_scope(query, scope: list[str] | None):
    query = query.join(Area, Borrower.area_id == Area.id)
    return query.where(within(Area.path, scope)) if scope is not None else query


def _by_contract(session: Session, scope, text: str) -> list[Contract]:
    key = contract_number_key(text)
    if not key or not any(ch.isdigit() for ch in key):
        return []
    query = _in_scope(select(Contract).join(Borrower, Contract.borrower_id == Borrower.id), scope)
    rows = session.scalars(query.where(Contract.number_key == key).order_by(Contract.id))
    return list(rows.unique())[:MAX_CANDIDATES]


def _by_phone(session: Session, scope, text: str) -> list[Borrower]:
    try:
        phone = normalize_phone(text)
    except ValueError:
        return []
    query = _in_scope(select(Borrower), scope).where(Borrower.phone == phone)
    query = query.options(joinedload(Borrower.area))
    return list(session.scalars(query.order_by(Borrower.id)).unique())[:MAX_CANDIDATES]


def _by_name(session: Session, scope, text: str) -> Lookup:
    try:
        typed = loose_name_key(text)
    except ValueError:
        return Lookup([], False)
    # An officer's areas hold a few hundred debtors: comparing in Python is quick, and the
    # loose key (no tone marks) is not something SQL can index on both engines.
    rows = session.execute(_in_scope(select(Borrower.id, Borrower.name_key), scope)).all()
    keys = {row.id: _loose(row.name_key) for row in rows}
    whole = [i for i, key in keys.items() if key == typed]
    if whole:
        return _lookup(session, _load(session, whole), exact=len(whole) == 1)
    starting = [i for i, key in keys.items() if key.startswith(typed)]
    if starting and len(typed) >= 3:
        return _lookup(session, _load(session, starting), exact=len(starting) == 1)
    scored = process.extract(
        typed, keys, scorer=fuzz.WRatio, limit=MAX_CANDIDATES, score_cutoff=SUGGEST_AT
    )
    proposed = [i for _key, score, i in scored if score >= PROPOSE_AT]
    if proposed:
        return _lookup(session, _load(session, proposed), exact=False)
    suggestion = _load(session, [scored[0][2]])[0] if scored else None
    return Lookup([], False, suggestion=suggestion)


def _loose(key: str) -> str:
    try:
        return loose_name_key(key)
    except ValueError:
        return key


def _load(session: Session, ids: list[int]) -> list[Borrower]:
    """Borrowers by id, in the order of `ids`."""
    ids = ids[:MAX_CANDIDATES]
    found = {
        b.id: b
        for b in session.scalars(
            select(Borrower).options(joinedload(Borrower.area)).where(Borrower.id.in_(ids))
        ).unique()
    }
    return [found[i] for i in ids if i in found]


def _lookup(
    session: Session,
    borrowers: list[Borrower],
    contracts: list[Contract] | None = None,
    *,
    exact: bool | None = None,
) -> Lookup:
    unique: list[Borrower] = []
    for borrower in borrowers:
        if borrower not in unique:
            unique.append(borrower)
    if exact is None:
        unique.sort(key=lambda b: (b.area.path, b.name_key, b.id))
    one = len(unique) == 1 if exact is None else exact
    contract = contracts[0] if contracts and len(contracts) == 1 else None
    return Lookup(
        unique[:MAX_CANDIDATES],
        one,
        contract=contract,
        contract_numbers=contract_numbers(session, [b.id for b in unique[:MAX_CANDIDATES]]),
    )
