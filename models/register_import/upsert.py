"""Applying checked register rows: areas, funds, borrowers, contracts and amounts repaid.

A row whose contract exists is compared with it: the same terms change nothing; a new
name or phone updates the borrower; a higher paid-to-date records the difference as a
payment. New rows go to a bulk_load.Book (written in batches at the end); whatever cannot
be applied is returned as a Problem, never half-written: the caller rolls everything back.

The rules are the per-row functions' (resolve_borrower, update_borrower, create_contract,
record_payment); stored rows are read once, in a few queries, not once per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.area import SEPARATOR, Area, new_area, parse_village
from models.audit import Actor, audit
from models.borrower import (
    BORROWER_FIELDS,
    CREATED,
    UNCHANGED,
    UPDATED,
    Borrower,
    IdentityConflict,
    borrower_changes,
    hash_national_id,
)
from models.bulk_load import Book, NewContract, remaining_total
from models.contract import Contract
from models.errors import DomainError
from models.fund import Fund
from models.payment import Payment
from models.register_import.rows import Problem, RegisterRow, RowChecker
from models.thai_text import name_key, split_title, validate_national_id
from models.types import AreaLevel, FundKind, PaymentChannel, PaymentState

ZERO = Decimal("0.00")
# Terms a restructuring may change; compared only while the first schedule is in force.
_SCHEDULE_TERMS = ("annual_interest_rate", "installments", "frequency")
_TERMS = (
    ("principal", "principal"),
    ("contract_date", "contract_date"),
    ("first_due_date", "first_due_date"),
    ("annual_interest_rate", "annual_interest_rate"),
    ("installments", "installment_count"),
    ("frequency", "frequency"),
)


@dataclass
class _Stored:
    """A stored contract as the comparison needs it (or one created earlier in the file)."""

    id: int
    borrower_id: int
    schedule_no: int
    terms: dict
    new: NewContract | None = None


class Upserter:
    """Applies register rows; reads areas, funds, borrowers and contracts once."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        checker: RowChecker,
        *,
        secret_key: str,
        today: date,
        locale: str,
        dry_run: bool,
    ) -> None:
        self.session = session
        self.actor = actor
        self.checker = checker
        self.secret_key = secret_key
        self.today = today
        self.locale = locale
        self.book = Book(session, actor, dry_run=dry_run)
        self.areas = {area.path: area for area in session.scalars(select(Area))}
        self.funds: dict[tuple, Fund] = {}
        self.contracts: dict[int, dict[str, _Stored]] = {}
        self.paid: dict[int, Decimal] = {}
        self.adopted: dict[int, NewContract] = {}
        self._borrowers: dict[int, dict] | None = None
        self._by_hash: dict[str, dict] = {}
        self._by_name: dict[tuple, list[dict]] = {}

    def apply(self, row: RegisterRow) -> tuple[str, list[Problem]]:
        """Created, updated or unchanged, and what stopped the row if anything did."""
        village = self._village(row)
        fund = self._fund(row, village)
        stored = self._contracts_of(fund).get(row.contract_no)
        try:
            if stored is None:
                return self._create(row, fund, village), []
            return self._compare(row, stored)
        except DomainError as exc:
            return UNCHANGED, [Problem(row.number, None, None, exc.code, exc.params)]

    # ------------------------------------------------------------------ new contracts

    def _create(self, row: RegisterRow, fund: Fund, village: Area) -> str:
        """A new contract, for a borrower found again or created."""
        borrower_id = self._resolve_borrower(row, village)
        contract = self.book.add_contract(
            fund_id=fund.id,
            borrower_id=borrower_id,
            contract_no=row.contract_no,
            principal=row.principal,
            annual_interest_rate=row.annual_interest_rate,
            contract_date=row.contract_date,
            first_due_date=row.first_due_date,
            installment_count=row.installments,
            frequency=row.frequency,
        )
        terms = {
            "principal": contract_principal(row.principal),
            "contract_date": row.contract_date,
            "first_due_date": row.first_due_date,
            "annual_interest_rate": row.annual_interest_rate,
            "installment_count": row.installments,
            "frequency": row.frequency,
        }
        self._contracts_of(fund)[contract.contract_no] = _Stored(
            contract.id, borrower_id, 1, terms, new=contract
        )
        if row.paid_to_date:
            self._pay(contract, row.paid_to_date)
        return CREATED

    def _resolve_borrower(self, row: RegisterRow, village: Area) -> int:
        """models.borrower.resolve_borrower's rule: by national ID, else by name in the
        village (not someone else's ID), else new; a found borrower takes new details."""
        self._load_borrowers()
        digest = hash_national_id(self.secret_key, row.national_id) if row.national_id else None
        found = self._by_hash.get(digest) if digest else None
        if found is None:
            key = (name_key(row.borrower_name), village.id, row.borrower_kind)
            candidates = self._by_name.get(key)
            found = candidates[0] if candidates else None
            if found is not None and digest and found["national_id_hash"]:
                found = None  # same name, same village, but a different person
        if found is None:
            return self._new_borrower(row, village, digest)
        self._update_borrower(found, row)
        return found["id"]

    def _new_borrower(self, row: RegisterRow, village: Area, digest: str | None) -> int:
        title, bare = split_title(row.borrower_name)
        last4 = validate_national_id(row.national_id)[-4:] if row.national_id else None
        values = {
            "title": title,
            "name": bare,
            "name_key": name_key(row.borrower_name),
            "phone": row.phone or None,
            "national_id_hash": digest,
            "national_id_last4": last4,
        }
        borrower_id = self.book.add_borrower(
            kind=row.borrower_kind,
            area_id=village.id,
            area_path=village.path,
            locale=self.locale,
            **values,
        )
        self._index({"id": borrower_id, "area_id": village.id, "kind": row.borrower_kind, **values})
        return borrower_id

    def _update_borrower(self, borrower: dict, row: RegisterRow) -> bool:
        """update_borrower's rule on the borrower as held; True when anything changed."""
        before, after = borrower_changes(
            borrower,
            secret_key=self.secret_key,
            name=row.borrower_name,
            phone=row.phone,
            national_id=row.national_id,
        )
        if not before:
            return False
        self._unindex(borrower)
        borrower.update(after)
        self._index(borrower)
        self.book.update_borrower(borrower["id"], before, after)
        return True

    # ------------------------------------------------------------------ stored contracts

    def _compare(self, row: RegisterRow, stored: _Stored) -> tuple[str, list[Problem]]:
        """An imported contract compared with its row: updated, unchanged or a problem."""
        changed = self._changed_terms(row, stored)
        if changed:
            columns = [self.checker.headers.name(key) for key in changed]
            problem = Problem(
                row.number,
                None,
                None,
                "terms_changed",
                {"contract": row.contract_no, "columns": columns},
            )
            return UNCHANGED, [problem]
        already = self.paid.get(stored.id, ZERO)
        paid = row.paid_to_date
        problem = self._paid_problem(row, stored, already)
        if problem is not None:
            return UNCHANGED, [problem]
        self._load_borrowers()
        try:
            borrower_changed = self._update_borrower(self._borrowers[stored.borrower_id], row)
        except IdentityConflict:
            written = row.written["national_id"]
            problem = self.checker.problem(
                row.number, "national_id", written, "id_of_another", contract=row.contract_no
            )
            return UNCHANGED, [problem]
        if paid is not None and paid > already:
            self._pay(self._ledger_of(stored), paid - already)
            return UPDATED, []
        return (UPDATED if borrower_changed else UNCHANGED), []

    def _paid_problem(self, row: RegisterRow, stored: _Stored, already: Decimal) -> Problem | None:
        """A paid-to-date below what is recorded, or beyond the whole debt, is a problem."""
        paid = row.paid_to_date
        if paid is None or paid == already:
            return None
        written = row.written["paid_to_date"]
        if paid < already:
            return self.checker.problem(
                row.number, "paid_to_date", written, "paid_less", paid=already
            )
        left = remaining_total(self._ledger_of(stored))
        if paid - already > left:
            return self.checker.problem(
                row.number, "paid_to_date", written, "over_debt", total=already + left
            )
        return None

    @staticmethod
    def _changed_terms(row: RegisterRow, stored: _Stored) -> list[str]:
        """The keys of the loan terms the row states differently from the contract."""
        restructured = stored.schedule_no > 1
        return [
            key
            for key, column in _TERMS
            if getattr(row, key) != stored.terms[column]
            and not (restructured and key in _SCHEDULE_TERMS)
        ]

    def _ledger_of(self, stored: _Stored) -> NewContract:
        """The contract with its installments, in memory (loaded once if stored)."""
        if stored.new is not None:
            return stored.new
        if stored.id not in self.adopted:
            self.adopted[stored.id] = self.book.adopt_contract(stored.id)
        return self.adopted[stored.id]

    def _pay(self, contract: NewContract, amount: Decimal) -> None:
        """Record money repaid before the import, as an import payment dated today."""
        self.book.pay(contract, amount, self.today, PaymentChannel.IMPORT)
        self.paid[contract.id] = self.paid.get(contract.id, ZERO) + amount

    def _contracts_of(self, fund: Fund) -> dict[str, _Stored]:
        """The fund's contracts by number (read in `prepare`)."""
        return self.contracts[fund.id]

    # ------------------------------------------------------------------ borrowers held

    def _load_borrowers(self) -> None:
        """Every stored borrower's matching fields, read once (a province has ~100,000)."""
        if self._borrowers is not None:
            return
        self._borrowers = {}
        columns = [getattr(Borrower, key) for key in BORROWER_FIELDS]
        query = select(Borrower.id, Borrower.area_id, Borrower.kind, *columns).order_by(Borrower.id)
        for row in self.session.execute(query):
            self._index(dict(row._mapping))

    def _index(self, borrower: dict) -> None:
        self._borrowers[borrower["id"]] = borrower
        if borrower["national_id_hash"]:
            self._by_hash.setdefault(borrower["national_id_hash"], borrower)
        key = (borrower["name_key"], borrower["area_id"], borrower["kind"])
        candidates = self._by_name.setdefault(key, [])
        candidates.append(borrower)
        candidates.sort(key=lambda b: b["id"])

    def _unindex(self, borrower: dict) -> None:
        if self._by_hash.get(borrower["national_id_hash"]) is borrower:
            del self._by_hash[borrower["national_id_hash"]]
        key = (borrower["name_key"], borrower["area_id"], borrower["kind"])
        self._by_name[key] = [b for b in self._by_name.get(key, []) if b is not borrower]

    # ------------------------------------------------------------------ areas and funds

    def prepare(self, rows: list[RegisterRow]) -> None:
        """Every area, fund and stored contract the rows need, read or created in a few
        statements: a register names hundreds of villages and village funds."""
        self._create_areas(rows)
        stored = {(f.kind, f.area_id): f for f in self.session.scalars(select(Fund))}
        created = []
        for row in rows:
            key = row.fund_key
            if key in self.funds:
                continue
            kind, area, name = self._fund_place(row)
            fund = stored.get((kind, area.id))
            if fund is None:
                fund = Fund(kind=kind, name=name, area=area)
                self.session.add(fund)
                created.append(fund)
                stored[(kind, area.id)] = fund
            self.funds[key] = fund
        self.session.flush()
        for fund in sorted(created, key=lambda f: f.id):
            after = {"kind": fund.kind, "name": fund.name, "area": fund.area.path}
            audit(self.session, self.actor, "fund.create", "fund", fund.id, after=after)
        self._load_contracts({fund.id for fund in self.funds.values()})

    def _create_areas(self, rows: list[RegisterRow]) -> None:
        """The missing areas, created in the order the rows name them, in one flush (their
        ids are taken first, so children can name their parents)."""
        for row in rows:
            province, district, subdistrict, _village = row.village_path
            number, name = parse_village(row.village)
            parent = None
            for level, segments, area_name, area_no in (
                (AreaLevel.PROVINCE, (province,), province, None),
                (AreaLevel.DISTRICT, (province, district), district, None),
                (AreaLevel.SUBDISTRICT, (province, district, subdistrict), subdistrict, None),
                (AreaLevel.VILLAGE, row.village_path, name, number),
            ):
                path = SEPARATOR.join(segments)
                if path not in self.areas:
                    area_id = self.book.take_id(Area)
                    self.areas[path] = new_area(
                        self.session, parent, level, area_name, area_no, path, area_id=area_id
                    )
                parent = self.areas[path]
        self.session.flush()

    def _village(self, row: RegisterRow) -> Area:
        """The row's village area (prepared)."""
        return self.areas[SEPARATOR.join(row.village_path)]

    def _fund(self, row: RegisterRow, village: Area) -> Fund:
        """The row's fund: the province's Women's Fund or the village's KKCJ fund (prepared)."""
        return self.funds[row.fund_key]

    def _fund_place(self, row: RegisterRow) -> tuple[FundKind, Area, str]:
        """The kind, area and name of the row's fund."""
        if row.fund_kind is FundKind.WOMENS_FUND:
            area = self.areas[row.province]
            return row.fund_kind, area, f"กองทุนพัฒนาบทบาทสตรีจังหวัด{row.province}"
        village = self._village(row)
        return row.fund_kind, village, f"กข.คจ. {village.path}"

    def _load_contracts(self, fund_ids: set[int]) -> None:
        """The stored contracts of these funds, and what was repaid on each, in two reads."""
        for fund_id in fund_ids:
            self.contracts.setdefault(fund_id, {})
        columns = [getattr(Contract, column) for _key, column in _TERMS]
        query = select(
            Contract.id,
            Contract.fund_id,
            Contract.contract_no,
            Contract.borrower_id,
            Contract.schedule_no,
            *columns,
        )
        for row in self.session.execute(query):
            if row.fund_id in fund_ids:
                self.contracts[row.fund_id][row.contract_no] = _Stored(
                    row.id,
                    row.borrower_id,
                    row.schedule_no,
                    {column: getattr(row, column) for _key, column in _TERMS},
                )
        self.paid.update(paid_per_contract(self.session))


def contract_principal(principal: Decimal) -> Decimal:
    """The principal as stored (to the satang), for comparing a row with a new contract."""
    from models.schedule import round_satang

    return round_satang(principal)


def paid_per_contract(session: Session) -> dict[int, Decimal]:
    """What the ledger holds as repaid on each contract: confirmed payments, net of
    reversals (a reversed payment and its negative, confirmed reversal cancel out)."""
    query = (
        select(Payment.contract_id, func.sum(Payment.amount))
        .where(Payment.state.in_([PaymentState.CONFIRMED, PaymentState.REVERSED]))
        .group_by(Payment.contract_id)
    )
    return {contract_id: total for contract_id, total in session.execute(query)}
