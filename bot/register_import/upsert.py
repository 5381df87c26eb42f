"""Writing checked register rows: areas, funds, borrowers, contracts and amounts repaid.

A row whose contract exists is compared with it: the same terms change nothing; a new
name or phone updates the borrower; a higher paid-to-date records the difference as a
payment. Whatever cannot be applied is returned as a Problem, never half-written: the
caller rolls the whole import back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.errors import UserError, explain
from bot.i18n import DEFAULT_LOCALE, _, format_money
from bot.register_import.rows import Problem, RegisterRow, RowChecker
from models.area import SEPARATOR, Area, ensure_area, ensure_province
from models.audit import Actor, audit
from models.borrower import (
    CREATED,
    UNCHANGED,
    UPDATED,
    IdentityConflict,
    resolve_borrower,
    update_borrower,
)
from models.contract import Contract
from models.errors import DomainError
from models.fund import Fund
from models.ledger import record_payment, remaining_total
from models.payment import Payment
from models.schedule import create_contract
from models.types import FundKind, PaymentChannel, PaymentState

ZERO = Decimal("0.00")
# Terms a restructuring may change; compared only while the first schedule is in force.
_SCHEDULE_TERMS = ("annual_interest_rate", "installments", "frequency")


class Upserter:
    """Applies register rows inside one session; caches the areas and funds it has seen."""

    def __init__(
        self, session: Session, actor: Actor, checker: RowChecker, *, secret_key: str, today: date
    ) -> None:
        self.session = session
        self.actor = actor
        self.checker = checker
        self.secret_key = secret_key
        self.today = today
        # Looked up once, not per row: a register has thousands of rows, a province ~1,000
        # villages and a few hundred funds.
        self.areas = {area.path: area for area in session.scalars(select(Area))}
        self.funds: dict[tuple, Fund] = {}
        self.contracts: dict[int, dict[str, Contract]] = {}
        self.paid: dict[int, Decimal] = {}

    def apply(self, row: RegisterRow) -> tuple[str, list[Problem]]:
        """Created, updated or unchanged, and what stopped the row if anything did."""
        village = self._village(row)
        fund = self._fund(row, village)
        contract = self._contracts_of(fund).get(row.contract_no)
        try:
            if contract is None:
                return self._create(row, fund, village), []
            return self._compare(row, contract)
        except UserError as exc:
            return UNCHANGED, [Problem(row.number, None, None, str(exc))]
        except DomainError as exc:
            return UNCHANGED, [Problem(row.number, None, None, explain(exc))]

    def _create(self, row: RegisterRow, fund: Fund, village: Area) -> str:
        """A new contract, for a borrower found again or created."""
        borrower, _outcome = resolve_borrower(
            self.session,
            self.actor,
            secret_key=self.secret_key,
            kind=row.borrower_kind,
            name=row.borrower_name,
            phone=row.phone,
            national_id=row.national_id,
            village=village,
            locale=DEFAULT_LOCALE,
        )
        contract = create_contract(
            self.session,
            self.actor,
            fund=fund,
            borrower=borrower,
            contract_no=row.contract_no,
            principal=row.principal,
            annual_interest_rate=row.annual_interest_rate,
            contract_date=row.contract_date,
            first_due_date=row.first_due_date,
            installment_count=row.installments,
            frequency=row.frequency,
        )
        self._contracts_of(fund)[contract.contract_no] = contract
        if row.paid_to_date:
            self._pay(contract, row.paid_to_date)
        return CREATED

    def _compare(self, row: RegisterRow, contract: Contract) -> tuple[str, list[Problem]]:
        """An imported contract compared with its row: updated, unchanged or a problem."""
        changed = self._changed_terms(row, contract)
        if changed:
            message = _(
                "contract %(contract)s is already imported with other terms (%(columns)s); "
                "change the terms of a loan with fundbot restructure",
                contract=row.contract_no,
                columns=", ".join(self.checker.headers.name(key) for key in changed),
            )
            return UNCHANGED, [Problem(row.number, None, None, message)]
        already = self.paid.get(contract.id, ZERO)
        paid = row.paid_to_date
        problem = self._paid_problem(row, contract, already)
        if problem is not None:
            return UNCHANGED, [problem]
        try:
            borrower_changed = update_borrower(
                self.session,
                self.actor,
                contract.borrower,
                secret_key=self.secret_key,
                name=row.borrower_name,
                phone=row.phone,
                national_id=row.national_id,
            )
        except IdentityConflict:
            message = _(
                "belongs to someone other than the borrower of contract %(contract)s",
                contract=row.contract_no,
            )
            written = row.written["national_id"]
            return UNCHANGED, [self.checker.problem(row.number, "national_id", written, message)]
        if paid is not None and paid > already:
            self._pay(contract, paid - already)
            return UPDATED, []
        return (UPDATED if borrower_changed else UNCHANGED), []

    def _paid_problem(
        self, row: RegisterRow, contract: Contract, already: Decimal
    ) -> Problem | None:
        """A paid-to-date below what is recorded, or beyond the whole debt, is a problem."""
        paid = row.paid_to_date
        if paid is None or paid == already:
            return None
        if paid < already:
            message = _("is less than the %(paid)s already recorded", paid=format_money(already))
        elif paid - already > remaining_total(contract):
            total = format_money(already + remaining_total(contract))
            message = _("is more than the whole debt (%(total)s)", total=total)
        else:
            return None
        return self.checker.problem(
            row.number, "paid_to_date", row.written["paid_to_date"], message
        )

    @staticmethod
    def _changed_terms(row: RegisterRow, contract: Contract) -> list[str]:
        """The keys of the loan terms the row states differently from the contract."""
        stated = {
            "principal": (row.principal, contract.principal),
            "contract_date": (row.contract_date, contract.contract_date),
            "first_due_date": (row.first_due_date, contract.first_due_date),
            "annual_interest_rate": (row.annual_interest_rate, contract.annual_interest_rate),
            "installments": (row.installments, contract.installment_count),
            "frequency": (row.frequency, contract.frequency),
        }
        restructured = contract.schedule_no > 1
        return [
            key
            for key, (given, stored) in stated.items()
            if given != stored and not (restructured and key in _SCHEDULE_TERMS)
        ]

    def _pay(self, contract: Contract, amount: Decimal) -> None:
        """Record money repaid before the import, as an import payment dated today."""
        record_payment(
            self.session, self.actor, contract, amount, self.today, PaymentChannel.IMPORT
        )
        self.paid[contract.id] = self.paid.get(contract.id, ZERO) + amount

    def _contracts_of(self, fund: Fund) -> dict[str, Contract]:
        """The fund's contracts by number, loaded once with their borrowers and sums paid."""
        if fund.id not in self.contracts:
            query = (
                select(Contract)
                .where(Contract.fund_id == fund.id)
                .options(selectinload(Contract.borrower))
            )
            self.contracts[fund.id] = {c.contract_no: c for c in self.session.scalars(query)}
            self.paid.update(paid_per_contract(self.session, fund))
        return self.contracts[fund.id]

    def _village(self, row: RegisterRow) -> Area:
        """The row's village area, created with any missing level."""
        path = SEPARATOR.join(row.village_path)
        if path not in self.areas:
            self.areas[path] = ensure_area(
                self.session, row.province, row.district, row.subdistrict, row.village
            )
        return self.areas[path]

    def _fund(self, row: RegisterRow, village: Area) -> Fund:
        """The row's fund: the province's Women's Fund or the village's KKCJ fund."""
        key = row.fund_key
        if key not in self.funds:
            if row.fund_kind is FundKind.WOMENS_FUND:
                area = self.areas.get(row.province) or ensure_province(self.session, row.province)
                name = f"กองทุนพัฒนาบทบาทสตรีจังหวัด{row.province}"
            else:
                area, name = village, f"กข.คจ. {village.path}"
            self.funds[key] = self._ensure_fund(row.fund_kind, area, name)
        return self.funds[key]

    def _ensure_fund(self, kind: FundKind, area: Area, name: str) -> Fund:
        """The fund of this kind for this area, created (audited) if missing."""
        fund = self.session.scalar(select(Fund).where(Fund.kind == kind, Fund.area_id == area.id))
        if fund is not None:
            return fund
        fund = Fund(kind=kind, name=name, area=area)
        self.session.add(fund)
        self.session.flush()
        after = {"kind": kind, "name": name, "area": area.path}
        audit(self.session, self.actor, "fund.create", "fund", fund.id, after=after)
        return fund


def paid_per_contract(session: Session, fund: Fund) -> dict[int, Decimal]:
    """What the ledger holds as repaid on each contract of a fund: confirmed payments, net
    of reversals (a reversed payment and its negative, confirmed reversal cancel out)."""
    query = (
        select(Payment.contract_id, func.sum(Payment.amount))
        .join(Contract, Payment.contract_id == Contract.id)
        .where(
            Contract.fund_id == fund.id,
            Payment.state.in_([PaymentState.CONFIRMED, PaymentState.REVERSED]),
        )
        .group_by(Payment.contract_id)
    )
    return {contract_id: total for contract_id, total in session.execute(query)}
