"""The arrears engine: what every contract owes and how late it is on any date, in one query.

Definitions (the LINE balance reply, the dashboard and `fundbot arrears` all use these):

- As of a date D, a contract's installments *in force* are those with effective_from <= D
  and (superseded_on is NULL or superseded_on > D): a restructuring supersedes the unpaid
  installments on its date and adds a new schedule effective that date. A contract with no
  installment in force on D (signed later) does not appear.
- *Paid as of D* on an installment is the sum of its allocations with paid_on <= D; a
  reversal is a negative allocation. The allocations are used, not installment.principal_paid,
  so that past dates come out right. *Remaining* = principal + interest due − paid as of D;
  an installment is *fully paid* when nothing remains.
- An installment is *overdue* once D is after its due date; on the due date itself it is
  due, not overdue. overdue_amount = the sum over in-force installments with due_date < D
  of what remains on each, floored at 0 per installment.
- outstanding_principal = the sum over in-force installments of principal due − principal
  paid as of D.
- days_past_due = D − the due date of the oldest in-force installment not fully paid whose
  due date is before D; 0 if there is none.
- aging_bucket: "current" (0 days), "1-30", "31-60", "61-90", "91-180", "181-365", "365+".
- debtor_class, the first that matches: "paid_off" (no outstanding principal and nothing
  overdue), "moratorium" (D within [start_date, end_date] of a moratorium of the contract;
  no end date means still running), "defaulted" (over 90 days past due),
  "restructured_late" (restructured on or before D and days_past_due > 0), "restructured",
  "late" (1 to 90 days), "normal".
- next_due_date / next_due_amount: the oldest in-force installment not fully paid whose due
  date is D or later, and what remains on it (None and 0 when there is none).
- A contract's area is its borrower's area (the village).

Everything is computed set-based: one SQL statement for all contracts (or, scoped, for the
chosen ones), grouped per contract and, for totals, per area or fund. Money is whole satang
inside SQL and Decimal baht from the edge on; there is no float, and the sums are exact, so
there is nothing to round. Buckets and classes are decided in SQL by comparing the oldest
unpaid due date with dates computed here (D − 30, D − 90, ...); the one expression that
differs between SQLite and PostgreSQL is a date's day number (_EpochDay).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.fund import Fund
from models.payment import Allocation
from models.relief import ReliefMeasure
from models.types import AreaLevel, FundKind, ReliefKind

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "91-180", "181-365", "365+")
DEBTOR_CLASSES = (
    "normal",
    "late",
    "moratorium",
    "restructured",
    "restructured_late",
    "defaulted",
    "paid_off",
)
# The last day of each bucket after "current"; anything older is "365+".
_BUCKET_LAST_DAY = ((30, "1-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))
DEFAULTED_AFTER_DAYS = 90
_EPOCH = date(1970, 1, 1)


def aging_bucket(days_past_due: int) -> str:
    """The aging bucket of a number of days past due (the same rule the SQL applies)."""
    if days_past_due <= 0:
        return "current"
    for last_day, bucket in _BUCKET_LAST_DAY:
        if days_past_due <= last_day:
            return bucket
    return "365+"


@dataclass(frozen=True)
class ContractArrears:
    """One contract's position on the as-of date."""

    contract_id: int
    fund: str
    contract_no: str
    borrower_id: int
    borrower_name: str
    area: str
    outstanding_principal: Decimal
    overdue_amount: Decimal
    days_past_due: int
    aging_bucket: str
    debtor_class: str
    next_due_date: date | None
    next_due_amount: Decimal

    def to_json(self) -> dict[str, Any]:
        """The JSON object `fundbot arrears --format json` prints (amounts as strings)."""
        return {
            "fund": self.fund,
            "contract_no": self.contract_no,
            "borrower_name": self.borrower_name,
            "area": self.area,
            "outstanding_principal": str(self.outstanding_principal),
            "overdue_amount": str(self.overdue_amount),
            "days_past_due": self.days_past_due,
            "aging_bucket": self.aging_bucket,
            "debtor_class": self.debtor_class,
            "next_due_date": self.next_due_date.isoformat() if self.next_due_date else None,
            "next_due_amount": str(self.next_due_amount),
        }


@dataclass(frozen=True, kw_only=True)
class ArrearsTotals:
    """Totals over a group of contracts: an area, or a fund kind."""

    group: str
    contracts: int
    outstanding_principal: Decimal
    overdue_amount: Decimal
    overdue_contracts: int
    debtor_classes: dict[str, int]
    aging_buckets: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """A JSON object with the amounts as decimal strings."""
        return {
            "contracts": self.contracts,
            "outstanding_principal": str(self.outstanding_principal),
            "overdue_amount": str(self.overdue_amount),
            "overdue_contracts": self.overdue_contracts,
            "debtor_classes": dict(self.debtor_classes),
            "aging_buckets": dict(self.aging_buckets),
        }


@dataclass(frozen=True, kw_only=True)
class AreaArrears(ArrearsTotals):
    """Totals over the contracts of one area (its path is `group`)."""

    area_id: int
    level: str

    @property
    def area(self) -> str:
        """The area's path."""
        return self.group

    def to_json(self) -> dict[str, Any]:
        """As ArrearsTotals, led by the area's path and level."""
        return {"area": self.group, "level": self.level, **super().to_json()}


@dataclass(frozen=True, kw_only=True)
class FundTotals(ArrearsTotals):
    """Totals over the contracts of one fund kind (its value is `group`)."""

    @property
    def fund(self) -> str:
        """The fund kind ("womens_fund" or "kkcj")."""
        return self.group

    def to_json(self) -> dict[str, Any]:
        """As ArrearsTotals, led by the fund kind."""
        return {"fund": self.group, **super().to_json()}


def contract_arrears(
    session: Session,
    as_of: date,
    *,
    scope: list[str] | None,
    contract_no: str | None = None,
    borrower_id: int | None = None,
    fund_kind: FundKind | str | None = None,
) -> list[ContractArrears]:
    """Each contract's arrears on `as_of`, within `scope` (area paths; None: everywhere)."""
    if borrower_id is not None and scope is None and contract_no is None and fund_kind is None:
        query, params = _one_borrower_query(), {"borrower_id": borrower_id}
    else:
        filters = _contract_filters(scope, contract_no, borrower_id, fund_kind)
        if filters is None:
            return []
        query, params = _contract_query(filters), {}
    params.update(_date_params(as_of))
    # A Core execution: the ORM's row processing would cost more than the query on 100,000 rows.
    result = session.connection().execute(query, params)
    rows = [_contract_row(row, as_of) for row in result.all()]
    # Sorted here, by code point, so that the order is the same whatever the database collation.
    return sorted(rows, key=lambda r: (r.area, r.contract_no, r.fund))


def _contract_query(filters: list):
    """Per-contract figures joined to what names the contract, for the chosen contracts."""
    figures = _classified(filters)
    return (
        select(
            Contract.id,
            Fund.kind,
            Contract.contract_no,
            Borrower.id.label("borrower_id"),
            Borrower.title,
            Borrower.name,
            Area.path,
            *figures.c[1:],
        )
        .join(figures, figures.c.contract_id == Contract.id)
        .join(Fund, Fund.id == Contract.fund_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
    )


@cache
def _one_borrower_query():
    """The statement for one debtor's contracts (the chat balance), built once per process."""
    return _contract_query([Contract.borrower_id == bindparam("borrower_id")])


def area_arrears(
    session: Session,
    as_of: date,
    *,
    level: AreaLevel | str,
    scope: list[str] | None = None,
    fund_kind: FundKind | str | None = None,
) -> list[AreaArrears]:
    """Totals per area of `level` (district, subdistrict, village, province) on `as_of`."""
    filters = _contract_filters(scope, None, None, fund_kind)
    if filters is None:
        return []
    figures = _classified(filters)
    home = aliased(Area)
    key = _area_key(home, AreaLevel(level)).label("group_id")
    grouped = (
        _grouped(figures, key)
        .join(Contract, Contract.id == figures.c.contract_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .join(home, home.id == Borrower.area_id)
        .subquery("grouped")
    )
    group_area = aliased(Area)
    query = select(group_area.id, group_area.path, group_area.level, *grouped.c[1:]).join(
        grouped, grouped.c.group_id == group_area.id
    )
    rows = session.execute(query, _date_params(as_of))
    folded = _fold(((r[0], r[1], str(r[2])), *r[3:]) for r in rows)
    areas = [
        AreaArrears(group=path, area_id=area_id, level=area_level, **totals)
        for (area_id, path, area_level), totals in folded.items()
    ]
    return sorted(areas, key=lambda a: a.group)


def fund_totals(
    session: Session,
    as_of: date,
    *,
    scope: list[str] | None = None,
    fund_kind: FundKind | str | None = None,
) -> list[FundTotals]:
    """Totals per fund kind on `as_of`, within `scope`."""
    filters = _contract_filters(scope, None, None, fund_kind)
    if filters is None:
        return []
    figures = _classified(filters)
    query = (
        _grouped(figures, Fund.kind)
        .join(Contract, Contract.id == figures.c.contract_id)
        .join(Fund, Fund.id == Contract.fund_id)
    )
    folded = _fold((str(r[0]), *r[1:]) for r in session.execute(query, _date_params(as_of)))
    return sorted(
        (FundTotals(group=kind, **totals) for kind, totals in folded.items()),
        key=lambda t: t.group,
    )


def _contract_filters(
    scope: list[str] | None,
    contract_no: str | None,
    borrower_id: int | None,
    fund_kind: FundKind | str | None,
) -> list | None:
    """Conditions choosing the contracts to compute; None when the scope admits nothing."""
    if scope is not None and not scope:
        return None
    filters = []
    if scope is not None:
        filters.append(within(Area.path, scope))
    if contract_no is not None:
        filters.append(Contract.contract_no == contract_no)
    if borrower_id is not None:
        filters.append(Contract.borrower_id == borrower_id)
    if fund_kind is not None:
        filters.append(Fund.kind == FundKind(fund_kind))
    return filters


def _satang(column):
    """A Money column as the whole satang it holds, for exact integer arithmetic in SQL."""
    return type_coerce(column, BigInteger)


def _bigint(expression):
    """An integer sum kept an integer (PostgreSQL's SUM of BIGINT would be NUMERIC)."""
    return cast(expression, BigInteger)


class _EpochDay(FunctionElement):
    """Days from 1970-01-01 to a date column: the one date calculation that differs by engine."""

    type = BigInteger()
    inherit_cache = True


@compiles(_EpochDay)
def _epoch_day(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


@compiles(_EpochDay, "sqlite")
def _epoch_day_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


# The as-of date and the dates the buckets compare with are bound parameters, so a statement
# can be built once and run for any date (the one-debtor balance is built once per process).
AS_OF = bindparam("as_of", type_=Date)
_THRESHOLDS = (*(d for d, _name in _BUCKET_LAST_DAY), DEFAULTED_AFTER_DAYS)


def _days_before(days: int):
    """The bound date `days` before the as-of date."""
    return bindparam(f"before_{days}", type_=Date)


def _date_params(as_of: date) -> dict[str, date]:
    """Values for AS_OF and every _days_before threshold."""
    params = {f"before_{d}": as_of - timedelta(days=d) for d in _THRESHOLDS}
    return {"as_of": as_of, **params}


# Packs (due day, remaining satang) into one integer whose MIN is the earliest installment,
# with what remains on it in the low digits: found in the same pass as everything else.
# Remaining amounts are far below 10^11 satang (a billion baht).
_PACK = 10**11


def _chosen_contracts(filters: list):
    """The ids of the contracts the filters admit."""
    return (
        select(Contract.id)
        .join(Fund, Fund.id == Contract.fund_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(*filters)
    )


def _paid(filters: list):
    """Per installment with allocations: principal and total paid as of `as_of`."""
    alloc = Allocation.__table__
    query = (
        select(
            alloc.c.installment_id,
            _bigint(func.sum(_satang(alloc.c.principal))).label("principal"),
            _bigint(func.sum(_satang(alloc.c.principal) + _satang(alloc.c.interest))).label(
                "total"
            ),
        )
        .where(alloc.c.paid_on <= AS_OF)
        .group_by(alloc.c.installment_id)
    )
    if filters:
        query = query.where(alloc.c.contract_id.in_(_chosen_contracts(filters)))
    return query.cte("paid")


def _per_contract(filters: list):
    """Per contract in force: outstanding, overdue, oldest overdue due date, next due packed.

    One pass over the installments in force, each joined to what was paid on it, grouped by
    contract; the floor at 0 applies per installment because each row is one installment.
    """
    inst = Installment.__table__
    paid = _paid(filters)
    principal_left = _satang(inst.c.principal_due) - func.coalesce(paid.c.principal, 0)
    remaining = (
        _satang(inst.c.principal_due)
        + _satang(inst.c.interest_due)
        - func.coalesce(paid.c.total, 0)
    )
    unpaid = remaining > 0
    overdue = and_(inst.c.due_date < AS_OF, unpaid)
    upcoming = and_(inst.c.due_date >= AS_OF, unpaid)
    in_force = and_(
        inst.c.effective_from <= AS_OF,
        or_(inst.c.superseded_on.is_(None), inst.c.superseded_on > AS_OF),
    )
    query = (
        select(
            inst.c.contract_id,
            _bigint(func.sum(principal_left)).label("outstanding"),
            _bigint(func.sum(case((overdue, remaining), else_=0))).label("overdue"),
            func.min(case((overdue, inst.c.due_date))).label("oldest_due"),
            func.min(case((upcoming, _EpochDay(inst.c.due_date) * _PACK + remaining))).label(
                "next_packed"
            ),
        )
        .select_from(inst)
        .outerjoin(paid, paid.c.installment_id == inst.c.id)
        .where(in_force)
        .group_by(inst.c.contract_id)
    )
    if filters:
        query = query.where(inst.c.contract_id.in_(_chosen_contracts(filters)))
    return query.cte("per_contract")


def _classified(filters: list):
    """Per contract: amounts in satang, oldest overdue due date, next due, bucket and class."""
    per_contract = _per_contract(filters)
    oldest = per_contract.c.oldest_due
    contract_id = per_contract.c.contract_id
    in_moratorium = _has_relief(contract_id, ReliefKind.MORATORIUM, narrow=bool(filters))
    restructured = _has_relief(contract_id, ReliefKind.RESTRUCTURING, narrow=bool(filters))
    late = oldest.is_not(None)
    bucket = case(
        (oldest.is_(None), "current"),
        *[(oldest >= _days_before(d), name) for d, name in _BUCKET_LAST_DAY],
        else_="365+",
    )
    debtor_class = case(
        (and_(per_contract.c.outstanding <= 0, per_contract.c.overdue <= 0), "paid_off"),
        (in_moratorium, "moratorium"),
        (oldest < _days_before(DEFAULTED_AFTER_DAYS), "defaulted"),
        (and_(restructured, late), "restructured_late"),
        (restructured, "restructured"),
        (late, "late"),
        else_="normal",
    )
    return select(
        per_contract.c.contract_id,
        per_contract.c.outstanding,
        per_contract.c.overdue,
        oldest,
        bucket.label("aging_bucket"),
        debtor_class.label("debtor_class"),
        per_contract.c.next_packed,
    ).cte("classified")


def _has_relief(contract_id, kind: ReliefKind, *, narrow: bool):
    """Whether the contract has a measure of `kind` begun by `as_of` (a moratorium: not ended).

    For the whole province an uncorrelated IN list is built once and probed per contract; for
    a few chosen contracts (one debtor's balance) a correlated EXISTS reads only their rows.
    """
    relief = ReliefMeasure.__table__
    conditions = [relief.c.kind == kind, relief.c.start_date <= AS_OF]
    if kind is ReliefKind.MORATORIUM:
        conditions.append(or_(relief.c.end_date.is_(None), relief.c.end_date >= AS_OF))
    if narrow:
        return exists().where(relief.c.contract_id == contract_id, *conditions)
    return contract_id.in_(select(relief.c.contract_id).where(*conditions))


def _area_key(home, level: AreaLevel):
    """The id of the area of `level` that contains a contract's home area (NULL if none)."""
    ancestor = {
        AreaLevel.PROVINCE: home.province_id,
        AreaLevel.DISTRICT: home.district_id,
        AreaLevel.SUBDISTRICT: home.subdistrict_id,
        AreaLevel.VILLAGE: None,
    }[level]
    if ancestor is None:
        return case((home.level == level, home.id))
    return case((home.level == level, home.id), else_=ancestor)


def _grouped(figures, key):
    """Contracts, outstanding and overdue per (`key`, debtor class, aging bucket).

    Grouping by class and bucket as well, rather than summing a CASE per class, evaluates
    each contract's classification once; the few rows per group are folded by `_fold`.
    """
    return (
        select(
            key,
            figures.c.debtor_class,
            figures.c.aging_bucket,
            func.count().label("contracts"),
            _bigint(func.sum(figures.c.outstanding)).label("outstanding"),
            _bigint(func.sum(figures.c.overdue)).label("overdue"),
        )
        .select_from(figures)
        .group_by(key, figures.c.debtor_class, figures.c.aging_bucket)
    )


def _fold(rows) -> dict[Any, dict[str, Any]]:
    """ArrearsTotals fields per group, from (group, class, bucket, contracts, satang...) rows."""
    groups: dict[Any, dict[str, Any]] = {}
    for group, debtor_class, bucket, contracts, outstanding, overdue in rows:
        totals = groups.setdefault(
            group,
            {
                "contracts": 0,
                "outstanding_principal": 0,
                "overdue_amount": 0,
                "overdue_contracts": 0,
                "debtor_classes": dict.fromkeys(DEBTOR_CLASSES, 0),
                "aging_buckets": dict.fromkeys(AGING_BUCKETS, 0),
            },
        )
        totals["contracts"] += contracts
        totals["outstanding_principal"] += int(outstanding)
        totals["overdue_amount"] += int(overdue)
        if bucket != AGING_BUCKETS[0]:
            totals["overdue_contracts"] += contracts
        totals["debtor_classes"][debtor_class] += contracts
        totals["aging_buckets"][bucket] += contracts
    for totals in groups.values():
        totals["outstanding_principal"] = _baht(totals["outstanding_principal"])
        totals["overdue_amount"] = _baht(totals["overdue_amount"])
    return groups


def _contract_row(row, as_of: date) -> ContractArrears:
    """A ContractArrears from one result row (unpacked by position: 100,000 rows add up)."""
    (contract_id, kind, contract_no, borrower_id, title, name, path, outstanding, overdue,
     oldest_due, bucket, debtor_class, next_packed) = row  # fmt: skip
    next_due, next_amount = None, 0
    if next_packed is not None:
        day, next_amount = divmod(int(next_packed), _PACK)
        next_due = _EPOCH + timedelta(days=day)
    return ContractArrears(
        contract_id=contract_id,
        fund=str(kind),
        contract_no=contract_no,
        borrower_id=borrower_id,
        borrower_name=f"{title}{name}" if title else name,
        area=path,
        outstanding_principal=_baht(outstanding),
        overdue_amount=_baht(overdue),
        days_past_due=(as_of - oldest_due).days if oldest_due is not None else 0,
        aging_bucket=bucket,
        debtor_class=debtor_class,
        next_due_date=next_due,
        next_due_amount=_baht(next_amount),
    )


def _baht(satang) -> Decimal:
    """Whole satang (int, or PostgreSQL's Decimal of a sum) as two-place Decimal baht."""
    return Decimal(satang or 0).scaleb(-2)
