"""The arrears engine: what every contract owes and how late it is on any date, in one query.

Definitions (the LINE balance reply, the dashboard and `fundbot arrears` all use these):

- As of a date D, a contract's installments *in force* are those with effective_from <= D
  and (superseded_on is NULL or superseded_on > D): a restructuring supersedes the unpaid
  installments on its date and adds a new schedule effective that date. A contract with no
  installment in force on D (signed later) does not appear.
- *Paid as of D* on an installment is the sum of its allocations with paid_on <= D; a
  reversal is a negative allocation. *Remaining* = principal + interest due − paid as of D;
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

Paid as of D is found one of two ways, with the same result:

- the *current* path: installment.principal_paid / interest_paid (the sums of all its
  allocations, maintained by models/ledger.py) less the allocations dated after D, found
  through ix_allocation_paid_on. Only installments not settled as of D are summed; a settled
  one adds nothing but its contract's presence. With no allocation after D (today, as a
  rule) nothing is taken back and no allocation is read.
- the *as-of* path: the allocations dated on or before D, summed.

`choose_path` takes the current path unless more than MAX_LATER_ALLOCATIONS allocations are
dated after D (a date far in the past), where summing up to D reads less. A query for one
contract or borrower always takes the current path, reading only their allocations.

Everything is computed set-based: one SQL statement for all contracts (or, scoped, for the
chosen ones), grouped per contract and, for totals, per area or fund. Money is whole satang
inside SQL and Decimal baht from the edge on; there is no float, and the sums are exact, so
there is nothing to round. Buckets and classes are decided in SQL by comparing the oldest
unpaid due date with dates computed here (D − 30, D − 90, ...); the one expression that
differs between SQLite and PostgreSQL is a date's day number (_EpochDay).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Collection
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, partial
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Date,
    String,
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
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import iterate
from sqlalchemy.types import NullType

from models.area import Area, within
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.fund import Fund
from models.payment import Allocation
from models.relief import ReliefMeasure
from models.staff import Staff
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
# Two ways to know what was paid on each installment as of D, giving the same figures:
# CURRENT starts from the installment's maintained paid-so-far columns (kept equal to the sum
# of its allocations by the ledger) and takes back the few allocations dated after D, found
# through ix_allocation_paid_on; AS_OF sums every allocation dated on or before D.
AUTO, CURRENT, AS_OF_PATH = "auto", "current", "as_of"
PATHS = (AUTO, CURRENT, AS_OF_PATH)
_SETTLED = "settled"  # CURRENT when no allocation is dated after D
# Beyond this many allocations dated after D, summing up to D costs less than taking back.
MAX_LATER_ALLOCATIONS = 50_000


def aging_bucket(days_past_due: int) -> str:
    """The aging bucket of a number of days past due (the same rule the SQL applies)."""
    if days_past_due <= 0:
        return "current"
    for last_day, bucket in _BUCKET_LAST_DAY:
        if days_past_due <= last_day:
            return bucket
    return "365+"


class ContractArrears(NamedTuple):
    """One contract's position on the as-of date.

    A named tuple rather than a dataclass: a province is 100,000 of them, and a tuple is
    made in one C call where a frozen dataclass sets each of its 13 fields in Python.
    """

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
    borrower_ids: Collection[int] | None = None,
    fund_kind: FundKind | str | None = None,
    path: str = AUTO,
) -> list[ContractArrears]:
    """Each contract's arrears on `as_of`, within `scope` (area paths; None: everywhere).

    `borrower_ids`: the contracts of these borrowers only (one page of a list), in one query.
    `path` is for tests and benchmarks: AUTO (the default) picks one as `choose_path` says.
    """
    if borrower_ids is not None and not borrower_ids:
        return []
    narrow = contract_no is not None or borrower_id is not None or borrower_ids is not None
    if borrower_id is not None and scope is None and contract_no is None and fund_kind is None:
        path = _resolve(session, as_of, path, narrow=True)
        query, params = _one_borrower_query(path), {"borrower_id": borrower_id}
    else:
        filters = _contract_filters(scope, contract_no, borrower_id, fund_kind)
        if filters is None:
            return []
        if borrower_ids is not None:
            filters.append(Contract.borrower_id.in_(sorted(borrower_ids)))
        path = _resolve(session, as_of, path, narrow=narrow)
        query, params = _contract_query(filters, path, named=narrow), {}
    params.update(_date_params(as_of))
    connection = session.connection()
    if narrow:
        result = _run(connection, query, params, wide=False)
        return _in_order(_contract_rows(result, (as_of - _EPOCH).days, None, None))
    # Many contracts share a few hundred funds and villages: their names are read once.
    kinds = dict(connection.execute(select(Fund.id, _text(Fund.kind))).all())
    paths = dict(connection.execute(select(Area.id, Area.path)).all())
    with _collections_paused():
        result = _run(connection, query, params, wide=True, plain=True)
        return _in_order(_contract_rows(result, (as_of - _EPOCH).days, kinds, paths))


def _in_order(rows: list[ContractArrears]) -> list[ContractArrears]:
    """By area, contract number and fund, by code point: the same whatever the collation.

    Grouped by area first, then each group sorted: one sort of (area, number, fund) would
    compare the long Thai paths a province's contracts share over and over (0.13 s against
    0.04 s for 100,000 contracts).
    """
    by_area = defaultdict(list)
    for row in rows:
        by_area[row.area].append(row)
    ordered = []
    for area in sorted(by_area):
        group = by_area[area]
        group.sort(key=_NUMBER_AND_FUND)
        ordered += group
    return ordered


_NUMBER_AND_FUND = attrgetter("contract_no", "fund")


def _contract_query(filters: list, path: str, *, named: bool):
    """Per-contract figures and what names the contract, for the chosen contracts.

    `named`: the fund kind and area path themselves, for a few contracts; otherwise their
    ids, which the caller turns into names (a long Thai path read 100,000 times costs more
    than the rest of the row).
    """
    figures = _classified(filters, path, narrow=named)
    names = (_text(Fund.kind), Area.path) if named else (Contract.fund_id, Borrower.area_id)
    query = (
        select(
            Contract.id,
            names[0],
            Contract.contract_no,
            Borrower.id.label("borrower_id"),
            # The title joined to the name here, as the name is shown ("นางสมศรี").
            (func.coalesce(Borrower.title, "") + Borrower.name).label("borrower_name"),
            names[1],
            *figures.c[1:],
        )
        .join(figures, figures.c.contract_id == Contract.id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
    )
    if named:
        query = query.join(Fund, Fund.id == Contract.fund_id).join(
            Area, Area.id == Borrower.area_id
        )
    return query


@cache
def _one_borrower_query(path: str):
    """The statement for one debtor's contracts (the chat balance), built once per process."""
    return _contract_query([Contract.borrower_id == bindparam("borrower_id")], path, named=True)


class ContractFacts(NamedTuple):
    """What shows a contract to its debtor beside its arrears: its fund's village, its
    officer, and the end of a moratorium in force on the day (the latest, should two overlap)."""

    village_no: int | None
    area_name: str
    officer_id: int | None
    officer_name: str | None
    officer_phone: str | None
    officer_active: bool | None
    moratorium_until: date | None


def borrower_arrears_with_facts(
    session: Session, as_of: date, borrower_id: int
) -> list[tuple[ContractArrears, ContractFacts]]:
    """One debtor's contracts as `contract_arrears(borrower_id=...)` gives them, each with its
    ContractFacts, in one statement (it answers every `ยอด`)."""
    path = _resolve(session, as_of, AUTO, narrow=True)
    params = {"borrower_id": borrower_id, "facts_day": as_of, **_date_params(as_of)}
    result = _run(session.connection(), _one_borrower_facts_query(path), params, wide=False)
    if not result:
        return []
    width = len(ContractArrears._fields) - 1  # the next due date and amount share a column
    rows = _contract_rows([row[:width] for row in result], (as_of - _EPOCH).days, None, None)
    facts = {row[0]: ContractFacts(*row[width:]) for row in result}
    return [(row, facts[row.contract_id]) for row in _in_order(rows)]


@cache
def _one_borrower_facts_query(path: str):
    day = bindparam("facts_day", type_=Date)
    fund_area = aliased(Area, name="fund_area")
    moratorium_until = (
        select(func.max(ReliefMeasure.end_date))
        .where(
            ReliefMeasure.contract_id == Contract.id,
            ReliefMeasure.kind == ReliefKind.MORATORIUM,
            ReliefMeasure.start_date <= day,
            ReliefMeasure.end_date >= day,
        )
        .scalar_subquery()
    )
    return (
        _one_borrower_query(path)
        .add_columns(
            fund_area.village_no,
            fund_area.name,
            Staff.id,
            Staff.name,
            Staff.phone,
            Staff.active,
            moratorium_until,
        )
        .join(fund_area, fund_area.id == Fund.area_id)
        .outerjoin(Staff, Staff.id == Contract.officer_id)
    )


def area_arrears(
    session: Session,
    as_of: date,
    *,
    level: AreaLevel | str,
    scope: list[str] | None = None,
    fund_kind: FundKind | str | None = None,
    path: str = AUTO,
) -> list[AreaArrears]:
    """Totals per area of `level` (district, subdistrict, village, province) on `as_of`."""
    filters = _contract_filters(scope, None, None, fund_kind)
    if filters is None:
        return []
    figures = _classified(filters, _resolve(session, as_of, path, narrow=False))
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
    rows = _run(session.connection(), query, _date_params(as_of), wide=True)
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
    path: str = AUTO,
) -> list[FundTotals]:
    """Totals per fund kind on `as_of`, within `scope`."""
    filters = _contract_filters(scope, None, None, fund_kind)
    if filters is None:
        return []
    figures = _classified(filters, _resolve(session, as_of, path, narrow=False))
    query = (
        _grouped(figures, Fund.kind)
        .join(Contract, Contract.id == figures.c.contract_id)
        .join(Fund, Fund.id == Contract.fund_id)
    )
    rows = _run(session.connection(), query, _date_params(as_of), wide=True)
    folded = _fold((str(r[0]), *r[1:]) for r in rows)
    return sorted(
        (FundTotals(group=kind, **totals) for kind, totals in folded.items()),
        key=lambda t: t.group,
    )


def home_area_totals(
    session: Session,
    as_of: date,
    *,
    scope: list[str] | None = None,
    area_ids: list[int] | None = None,
    path: str = AUTO,
) -> dict[int, dict[str, Any]]:
    """ArrearsTotals fields per home area (the borrowers' own area, any level) on `as_of`.

    What models.arrears_snapshot keeps: one area's figures change only when its own
    contracts do. `area_ids`: only these home areas (within `scope`). Areas with no contract
    in force are absent.
    """
    filters = _contract_filters(scope, None, None, None)
    if filters is None or (area_ids is not None and not area_ids):
        return {}
    if area_ids is not None:
        filters.append(Borrower.area_id.in_(area_ids))
    figures = _classified(filters, _resolve(session, as_of, path, narrow=False))
    query = (
        _grouped(figures, Borrower.area_id)
        .join(Contract, Contract.id == figures.c.contract_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
    )
    rows = _run(session.connection(), query, _date_params(as_of), wide=True)
    return _fold(rows)


def _run(connection, query, params: dict, *, wide: bool, plain: bool = False) -> list:
    """The rows of `query`: a Core execution, as the ORM's row processing would cost more.

    PostgreSQL would compile a statement over many contracts with its JIT, which costs more
    than it saves here (150 ms of 500 on a province): off for this statement only.
    `plain`: the driver's own row tuples, without a SQLAlchemy Row made around each (0.1 s
    over 100,000 contracts); only for a statement whose columns are numbers and text, which
    SQLAlchemy would not convert.
    """
    if not wide or connection.dialect.name != "postgresql":
        return _fetch_all(connection.execute(query, params), plain)
    jit = connection.exec_driver_sql(
        "SELECT current_setting('jit'), set_config('jit', 'off', true)"
    ).scalar()
    rows = _fetch_all(connection.execute(query, params), plain)
    # (Were the statement to fail, the transaction's rollback would undo the setting.)
    connection.exec_driver_sql("SELECT set_config('jit', %(jit)s, true)", {"jit": jit})
    return rows


def _fetch_all(result, plain: bool) -> list:
    """Every row of `result`: as Rows, or `plain` as the driver's tuples."""
    if not plain:
        return result.all()
    rows = result.cursor.fetchall()
    result.close()
    return rows


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


class _Rare(FunctionElement):
    """A condition few rows meet: told to SQLite's planner, which cannot know it."""

    type = NullType()
    inherit_cache = True


@compiles(_Rare)
def _rare(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_Rare, "sqlite")
def _rare_sqlite(element, compiler, **kw):
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.001)"


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


def choose_path(session: Session, as_of: date, *, max_later: int = MAX_LATER_ALLOCATIONS) -> str:
    """CURRENT when at most `max_later` allocations are dated after `as_of`, else AS_OF_PATH."""
    return CURRENT if _later_allocations(session, as_of, max_later) <= max_later else AS_OF_PATH


def _later_allocations(session: Session, as_of: date, up_to: int) -> int:
    """How many allocations are dated after `as_of`, counting no further than up_to + 1.

    Read from ix_allocation_paid_on, and bounded, so the question costs little for any date.
    """
    alloc = Allocation.__table__
    later = select(alloc.c.id).where(alloc.c.paid_on > as_of).limit(up_to + 1).subquery()
    return session.connection().scalar(select(func.count()).select_from(later))


def _resolve(session: Session, as_of: date, path: str, *, narrow: bool) -> str:
    """The path to take: as asked, or for AUTO the cheaper one.

    A query naming a contract or a borrower reads only their allocations either way, so it
    takes CURRENT without asking (the chat balance stays one statement). With no allocation
    at all dated after D, CURRENT need not look for them (_SETTLED).
    """
    if path not in PATHS:
        raise ValueError(f"arrears path is one of {PATHS}, not {path!r}")
    if path != AUTO:
        return path
    if narrow:
        return CURRENT
    later = _later_allocations(session, as_of, MAX_LATER_ALLOCATIONS)
    if later == 0:
        return _SETTLED
    return CURRENT if later <= MAX_LATER_ALLOCATIONS else AS_OF_PATH


# An installment with anything left to pay (today): ix_installment_open holds just these.
_inst = Installment.__table__
OPEN_INSTALLMENT = or_(
    _inst.c.principal_paid != _inst.c.principal_due, _inst.c.interest_paid != _inst.c.interest_due
)

# Packs (due day, remaining satang) into one integer whose MIN is the earliest installment,
# with what remains on it in the low digits: found in the same pass as everything else.
# Remaining amounts are far below 10^11 satang (a billion baht).
_PACK = 10**11


def _chosen_contracts(filters: list):
    """The ids of the contracts the filters admit, joining only the tables they name.

    One debtor's balance (the chat's `ยอด`, on every message) names the contract's borrower
    only: a statement without the fund, borrower and area joins is shorter to plan.
    """
    named = {
        element.table.name
        for condition in filters
        for element in iterate(condition)
        if isinstance(element, ColumnClause) and element.table is not None
    }
    query = select(Contract.id)
    if Fund.__tablename__ in named:
        query = query.join(Fund, Fund.id == Contract.fund_id)
    if named & {Borrower.__tablename__, Area.__tablename__}:
        query = query.join(Borrower, Borrower.id == Contract.borrower_id)
    if Area.__tablename__ in named:
        query = query.join(Area, Area.id == Borrower.area_id)
    return query.where(*filters)


def _allocations(filters: list, dated, *, by_date: bool = False):
    """Per installment: principal and total of the allocations whose date satisfies `dated`.

    `by_date`: few match, so read them through ix_allocation_paid_on; SQLite, not knowing
    how few, would otherwise read every allocation through the index that groups them.
    """
    alloc = Allocation.__table__
    query = select(
        alloc.c.installment_id,
        _bigint(func.sum(_satang(alloc.c.principal))).label("principal"),
        _bigint(func.sum(_satang(alloc.c.principal) + _satang(alloc.c.interest))).label("total"),
    ).group_by(alloc.c.installment_id)
    if filters:
        query = query.where(alloc.c.contract_id.in_(_chosen_contracts(filters)))
    if by_date:
        query = query.where(_Rare(dated(alloc.c.paid_on)))
    else:
        query = query.where(dated(alloc.c.paid_on))
    return query


def _paid_as_of(inst, filters: list, narrow: bool):
    """AS_OF path: what was paid on each installment, summed from the allocations up to D."""
    paid = _allocations(filters, lambda paid_on: paid_on <= AS_OF).cte("paid")
    principal = func.coalesce(paid.c.principal, 0)
    total = func.coalesce(paid.c.total, 0)
    return principal, total, paid


def _paid_current(inst, filters: list, narrow: bool, *, settled: bool = False):
    """CURRENT path: the installment's paid-so-far, less the allocations dated after D.

    A few chosen contracts' allocations are found by contract; otherwise by date. `settled`:
    there are none, and the paid-so-far is the answer.
    """
    paid_so_far = _satang(inst.c.principal_paid)
    if settled:
        return paid_so_far, paid_so_far + _satang(inst.c.interest_paid), None
    later = _allocations(filters, lambda paid_on: paid_on > AS_OF, by_date=not narrow)
    later = later.cte("later")
    principal = paid_so_far - func.coalesce(later.c.principal, 0)
    total = paid_so_far + _satang(inst.c.interest_paid) - func.coalesce(later.c.total, 0)
    return principal, total, later


def _per_contract(filters: list, path: str, narrow: bool):
    """Per contract in force: outstanding, overdue, oldest overdue due date, next due packed.

    One pass over the installments in force, each joined to what was paid on it, grouped by
    contract; the floor at 0 applies per installment because each row is one installment.
    """
    inst = Installment.__table__
    current = path in (CURRENT, _SETTLED)
    if current:
        paid_principal, paid_total, paid = _paid_current(
            inst, filters, narrow, settled=path == _SETTLED
        )
    else:
        paid_principal, paid_total, paid = _paid_as_of(inst, filters, narrow)
    principal_left = _satang(inst.c.principal_due) - paid_principal
    remaining = _satang(inst.c.principal_due) + _satang(inst.c.interest_due) - paid_total
    paid_rows = inst if paid is None else inst.outerjoin(paid, paid.c.installment_id == inst.c.id)
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
        .select_from(paid_rows)
        .where(in_force)
        .group_by(inst.c.contract_id)
    )
    if filters:
        query = query.where(inst.c.contract_id.in_(_chosen_contracts(filters)))
    if not current:
        return query.cte("per_contract")
    # An installment settled as of D adds nothing to any figure, only its contract's presence:
    # most of a province's installments are history, so only the open ones are summed.
    open_rows = or_(remaining != 0, principal_left != 0)
    if path == _SETTLED:
        # The same test on the stored columns, as the partial index ix_installment_open
        # states it: the planners then read only the open installments through it.
        open_rows = OPEN_INSTALLMENT
    open_figures = query.where(open_rows).cte("open_figures")
    contract = Contract.__table__
    in_force_contracts = select(contract.c.id.label("contract_id")).where(
        exists().where(inst.c.contract_id == contract.c.id, in_force)
    )
    if filters:
        in_force_contracts = in_force_contracts.where(contract.c.id.in_(_chosen_contracts(filters)))
    in_force_contracts = in_force_contracts.cte("in_force")
    return (
        select(
            in_force_contracts.c.contract_id,
            func.coalesce(open_figures.c.outstanding, 0).label("outstanding"),
            func.coalesce(open_figures.c.overdue, 0).label("overdue"),
            open_figures.c.oldest_due,
            open_figures.c.next_packed,
        )
        .outerjoin(open_figures, open_figures.c.contract_id == in_force_contracts.c.contract_id)
        .cte("per_contract")
    )


def _classified(filters: list, path: str, *, narrow: bool = False):
    """Per contract: amounts in satang, oldest overdue day number, next due, bucket and class.

    `narrow`: the filters name a contract or a borrower, so only a few contracts are read.
    """
    per_contract = _per_contract(filters, path, narrow)
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
        _EpochDay(oldest).label("oldest_day"),
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


def _contract_rows(
    result, as_of_day: int, kinds: dict | None, paths: dict | None
) -> list[ContractArrears]:
    """ContractArrears from result rows, a column at a time (100,000 rows add up).

    Each column goes through C-level maps; the values to convert repeat (a few thousand
    amounts, a few hundred dates among 100,000 contracts), so each is converted once.
    """
    if not result:
        return []
    (contract_ids, funds, contract_nos, borrower_ids, names, areas, outstanding, overdue,
     oldest_days, buckets, classes, next_packed) = zip(*result, strict=True)  # fmt: skip
    baht = _Converted(_baht).__getitem__
    days_late = _Converted(lambda day: 0 if day is None else as_of_day - day).__getitem__
    next_due = _Converted(_next_due_date).__getitem__
    next_amount = _Converted(_next_due_amount).__getitem__
    columns = (
        contract_ids,
        funds if kinds is None else map(kinds.__getitem__, funds),
        contract_nos,
        borrower_ids,
        names,
        areas if paths is None else map(paths.__getitem__, areas),
        map(baht, outstanding),
        map(baht, overdue),
        map(days_late, oldest_days),
        buckets,
        classes,
        map(next_due, next_packed),
        map(next_amount, next_packed),
    )
    return list(map(_MAKE_CONTRACT_ARREARS, zip(*columns, strict=True)))


# tuple.__new__ straight from C, without the Python-level __new__ a named tuple adds.
_MAKE_CONTRACT_ARREARS = partial(tuple.__new__, ContractArrears)


class _Converted(dict):
    """`convert(key)` for each key, computed on first use and remembered."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, key):
        value = self[key] = self.convert(key)
        return value


def _next_due_date(next_packed) -> date | None:
    """The due date packed into `next_packed` (see _PACK)."""
    return None if next_packed is None else _EPOCH + timedelta(days=int(next_packed) // _PACK)


def _next_due_amount(next_packed) -> Decimal:
    """What remains on the next installment, packed into `next_packed` (see _PACK)."""
    return _baht(None if next_packed is None else int(next_packed) % _PACK)


@contextmanager
def _collections_paused():
    """No garbage collection while many objects are fetched and built.

    Each collection would walk the objects built so far again (and whatever else the process
    holds: a previous province's rows make every pass longer); these hold no cycles, and
    collection resumes (if it was on) as soon as they are built.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _text(column):
    """An enum column as its stored string, without converting every row to the enum."""
    return type_coerce(column, String)


def _baht(satang) -> Decimal:
    """Whole satang (int, or PostgreSQL's Decimal of a sum) as two-place Decimal baht."""
    return Decimal(satang or 0).scaleb(-2)
