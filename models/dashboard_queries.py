"""What the staff dashboard shows, always within the caller's area paths (`scope`).

The arrears figures come from models.arrears (its public functions, as of a date); this
module adds the fiscal-year baseline and target, the money collected in a month, and the
installments due in a month with how far each was paid ("who paid").
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from models.area import SEPARATOR, Area, within
from models.arrears import AGING_BUCKETS, DEBTOR_CLASSES, contract_arrears
from models.arrears_snapshot import AreaSnapshot, area_totals, ensure, overdue_by_date
from models.base import from_satang
from models.borrower import Borrower
from models.contract import Contract, Installment, contract_number_key
from models.fund import Fund
from models.thai_text import name_key, thai_digits_to_arabic
from models.types import AreaLevel, FundKind

FISCAL_YEAR_START_MONTH = 10
TARGET_SHARE = Decimal("0.9")  # KPI 4: overdue debt 10% below the 1 October baseline
PAY_STATUSES = ("paid", "partial", "unpaid")
# Past weeks of the trend not yet kept are computed a few per request (each is a full arrears
# pass over the scope), so that a page after an import still answers; the scheduler's
# snapshot job computes the rest.
WEEKS_PER_REQUEST = 2


def fiscal_year_start(day: date) -> date:
    """1 October of the fiscal year `day` falls in."""
    year = day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1
    return date(year, FISCAL_YEAR_START_MONTH, 1)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def inside(path: str, scope: list[str]) -> bool:
    """Whether the area `path` lies inside any of `scope`."""
    return any(path == s or path.startswith(s + SEPARATOR) for s in scope)


def narrow(scope: list[str], path: str | None) -> list[str]:
    """The part of `scope` inside area `path` (None: all of it)."""
    if path is None:
        return list(scope)
    if inside(path, scope):
        return [path]
    return [s for s in scope if inside(s, [path])]


# --- the overview -------------------------------------------------------------------------


@dataclass
class AreaRow:
    """One line of the table by area: now against the baseline."""

    area_id: int
    path: str
    name: str
    contracts: int
    outstanding: Decimal
    overdue_now: Decimal
    overdue_baseline: Decimal
    overdue_contracts: int

    @property
    def change(self) -> Decimal:
        """Overdue now minus at the baseline (negative: reduced)."""
        return self.overdue_now - self.overdue_baseline

    @property
    def target(self) -> Decimal:
        """The baseline less 10%."""
        return target_of(self.overdue_baseline)


@dataclass
class Overview:
    """The overview page's figures for one scope on one day."""

    today: date
    baseline_date: date
    contracts: int = 0
    outstanding: Decimal = Decimal("0.00")
    overdue_now: Decimal = Decimal("0.00")
    overdue_baseline: Decimal = Decimal("0.00")
    overdue_contracts: int = 0
    collected_this_month: Decimal = Decimal("0.00")
    debtor_classes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DEBTOR_CLASSES, 0))
    aging_buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGING_BUCKETS, 0))
    areas: list[AreaRow] = field(default_factory=list)
    # (date, overdue amount) from the baseline week by week to today: the trend chart.
    trend: list[tuple[date, Decimal]] = field(default_factory=list)
    trend_complete: bool = True  # False: some weeks are left for later (WEEKS_PER_REQUEST)

    @property
    def target(self) -> Decimal:
        """Overdue debt to reach by the end of the fiscal year: the baseline less 10%."""
        return target_of(self.overdue_baseline)

    @property
    def above_target(self) -> Decimal:
        """How much overdue debt must still go to reach the target (0 when reached)."""
        return max(self.overdue_now - self.target, Decimal("0.00"))

    @property
    def change(self) -> Decimal:
        """Overdue now minus at the baseline."""
        return self.overdue_now - self.overdue_baseline

    @property
    def change_percent(self) -> Decimal | None:
        """The change against the baseline in percent, one decimal (None without a baseline)."""
        if not self.overdue_baseline:
            return None
        return (self.change * 100 / self.overdue_baseline).quantize(Decimal("0.1"))


def target_of(baseline: Decimal) -> Decimal:
    """The -10% target of a baseline, to the satang."""
    return (baseline * TARGET_SHARE).quantize(Decimal("0.01"))


def overview(
    session: Session,
    scope: list[str],
    today: date,
    area: str | None = None,
) -> Overview:
    """Figures for `scope` (narrowed to `area` when given), one row per area one level down,
    and the overdue amount week by week since the baseline.

    Read from the kept per-area snapshots (models.arrears_snapshot), computing the missing
    ones in the session's transaction: commit it to keep them.
    """
    scope = narrow(scope, area)
    result = Overview(today=today, baseline_date=fiscal_year_start(today))
    if not scope:
        return result
    level = _child_level(session, area)
    totals = area_totals(session, scope, [today, result.baseline_date])
    weeks = trend_dates(result.baseline_date, today)
    points = overdue_by_date(session, scope, weeks, limit=WEEKS_PER_REQUEST)
    result.trend = sorted(points.items())
    result.trend_complete = len(points) == len(weeks)
    homes = {
        row.id: row
        for row in session.execute(
            select(Area.id, Area.level, Area.district_id, Area.subdistrict_id).where(
                Area.id.in_(set(totals[today]) | set(totals[result.baseline_date]))
            )
        )
    }
    now = _by_group(totals[today], homes, level)
    base = _by_group(totals[result.baseline_date], homes, level)
    groups = dict(
        (row.id, row)
        for row in session.execute(
            select(Area.id, Area.path, Area.name).where(Area.id.in_(set(now) | set(base)))
        )
    )
    for group_id, area_row in groups.items():
        row = now.get(group_id)
        result.areas.append(
            AreaRow(
                area_id=group_id,
                path=area_row.path,
                name=area_row.name,
                contracts=row["contracts"] if row else 0,
                outstanding=row["outstanding"] if row else Decimal("0.00"),
                overdue_now=row["overdue"] if row else Decimal("0.00"),
                overdue_baseline=base[group_id]["overdue"] if group_id in base else Decimal("0.00"),
                overdue_contracts=row["overdue_contracts"] if row else 0,
            )
        )
        if row:
            result.contracts += row["contracts"]
            result.outstanding += row["outstanding"]
            result.overdue_now += row["overdue"]
            result.overdue_contracts += row["overdue_contracts"]
            for key, count in row["classes"].items():
                result.debtor_classes[key] += count
            for key, count in row["buckets"].items():
                result.aging_buckets[key] += count
    result.overdue_baseline = sum((r.overdue_baseline for r in result.areas), Decimal("0.00"))
    result.areas.sort(key=lambda r: r.path)
    result.collected_this_month = sum(
        (t.collected for t in totals[today].values()), Decimal("0.00")
    )
    return result


def keep_overview_ready(session: Session, scope: list[str], today: date) -> int:
    """Compute every snapshot the overview of `scope` needs today (the scheduler's job);
    returns how many dates needed it. Commit the session to keep them."""
    weeks = trend_dates(fiscal_year_start(today), today)
    before = len(ensure(session, scope, weeks, limit=0))
    ensure(session, scope, weeks)
    return len(weeks) - before


def trend_dates(baseline: date, today: date) -> list[date]:
    """The baseline, every 7th day after it up to today, and today."""
    dates = [
        baseline + timedelta(days=7 * week) for week in range((today - baseline).days // 7 + 1)
    ]
    return sorted({*dates, today})


def _by_group(totals: dict[int, AreaSnapshot], homes: dict, level: AreaLevel) -> dict[int, dict]:
    """Home areas' totals summed into their areas of `level` (as models.arrears groups them)."""
    groups: dict[int, dict] = {}
    for home_id, figures in totals.items():
        if not figures.contracts:
            continue  # only money collected
        home = homes[home_id]
        if home.level == level:
            group_id = home_id
        else:
            group_id = {AreaLevel.DISTRICT: home.district_id,
                        AreaLevel.SUBDISTRICT: home.subdistrict_id}.get(level)  # fmt: skip
        if group_id is None:
            continue
        group = groups.setdefault(
            group_id,
            {
                "contracts": 0,
                "outstanding": Decimal("0.00"),
                "overdue": Decimal("0.00"),
                "overdue_contracts": 0,
                "classes": dict.fromkeys(DEBTOR_CLASSES, 0),
                "buckets": dict.fromkeys(AGING_BUCKETS, 0),
            },
        )
        group["contracts"] += figures.contracts
        group["outstanding"] += figures.outstanding_principal
        group["overdue"] += figures.overdue_amount
        group["overdue_contracts"] += figures.overdue_contracts
        for key, count in figures.debtor_classes.items():
            group["classes"][key] += count
        for key, count in figures.aging_buckets.items():
            group["buckets"][key] += count
    return groups


def _child_level(session: Session, area: str | None) -> AreaLevel:
    """The level one below `area` (district below the province), village at the bottom."""
    if area is None:
        return AreaLevel.DISTRICT
    level = session.scalar(select(Area.level).where(Area.path == area))
    return {
        AreaLevel.PROVINCE: AreaLevel.DISTRICT,
        AreaLevel.DISTRICT: AreaLevel.SUBDISTRICT,
    }.get(level, AreaLevel.VILLAGE)


def areas_below(session: Session, scope: list[str], parent: str | None) -> list[Area]:
    """The areas one level below `parent` (districts when None) that the scope reaches."""
    if parent is None:
        query = select(Area).where(Area.level == AreaLevel.DISTRICT)
    else:
        parent_id = select(Area.id).where(Area.path == parent).scalar_subquery()
        query = select(Area).where(Area.parent_id == parent_id)
    areas = session.scalars(query.order_by(Area.path)).all()
    return [a for a in areas if inside(a.path, scope) or any(inside(s, [a.path]) for s in scope)]


# --- who paid -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidFilter:
    """What the "who paid" list is narrowed to."""

    year: int
    month: int
    area: str | None = None
    fund: str | None = None
    debtor_class: str | None = None
    status: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class DueRow:
    """One installment due in the month and how much of it is paid."""

    installment_id: int
    contract_id: int
    borrower_id: int
    borrower_name: str
    phone: str | None
    contract_no: str
    fund: str
    area: str
    due_date: date
    amount_due: Decimal
    amount_paid: Decimal

    @property
    def remaining(self) -> Decimal:
        """What is left to pay on the installment."""
        return max(self.amount_due - self.amount_paid, Decimal("0.00"))

    @property
    def status(self) -> str:
        """paid (in full), partial or unpaid."""
        if self.amount_paid >= self.amount_due:
            return "paid"
        return "partial" if self.amount_paid > 0 else "unpaid"


@dataclass
class DueTotals:
    """Totals of the whole filtered set (not only the page shown)."""

    installments: int = 0
    amount_due: Decimal = Decimal("0.00")
    amount_paid: Decimal = Decimal("0.00")
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PAY_STATUSES, 0))

    @property
    def remaining(self) -> Decimal:
        """What is left to pay over the set."""
        return self.amount_due - self.amount_paid


def due_in_month(
    session: Session,
    scope: list[str],
    chosen: PaidFilter,
    today: date,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[DueRow], DueTotals]:
    """The installments in force falling due in the chosen month, one page, and the totals.

    What was paid is what is recorded on the installment now (confirmed money only).
    """
    base = _due_query(session, scope, chosen, today)
    if base is None:
        return [], DueTotals()
    query = base.order_by(Area.path, Borrower.name, Contract.contract_no, Installment.due_date)
    if limit is None:
        # Every row is read anyway (an export): summing them beats a second scan of the month.
        rows = [_due_row(r) for r in session.execute(query)]
        return rows, _sum_rows(rows)
    rows = [_due_row(r) for r in session.execute(query.offset(offset).limit(limit))]
    return rows, _sum_query(session, base)


def _due_row(r) -> DueRow:
    return DueRow(
        installment_id=r.id,
        contract_id=r.contract_id,
        borrower_id=r.borrower_id,
        borrower_name=f"{r.title}{r.name}" if r.title else r.name,
        phone=r.phone,
        contract_no=r.contract_no,
        fund=str(r.kind),
        area=r.path,
        due_date=r.due_date,
        amount_due=from_satang(r.due),
        amount_paid=from_satang(r.paid),
    )


def _sum_query(session: Session, base: Select) -> DueTotals:
    due = Installment.principal_due + Installment.interest_due
    paid = Installment.principal_paid + Installment.interest_paid
    status = _status_case(due, paid)
    totals = DueTotals()
    for state, count, due_sum, paid_sum in session.execute(
        base.with_only_columns(status, func.count(), func.sum(due), func.sum(paid))
        .group_by(status)
        .order_by(None)
    ):
        totals.by_status[state] = count
        totals.installments += count
        totals.amount_due += from_satang(due_sum)
        totals.amount_paid += from_satang(paid_sum)
    return totals


def _sum_rows(rows: list[DueRow]) -> DueTotals:
    totals = DueTotals(installments=len(rows))
    for row in rows:
        totals.by_status[row.status] += 1
    totals.amount_due = sum((row.amount_due for row in rows), totals.amount_due)
    totals.amount_paid = sum((row.amount_paid for row in rows), totals.amount_paid)
    return totals


def _status_case(due, paid):
    from sqlalchemy import case

    return case((paid >= due, "paid"), (paid > 0, "partial"), else_="unpaid")


def _due_query(
    session: Session, scope: list[str], chosen: PaidFilter, today: date
) -> Select | None:
    scope = narrow(scope, chosen.area)
    if not scope:
        return None
    start, end = month_bounds(chosen.year, chosen.month)
    due = Installment.principal_due + Installment.interest_due
    paid = Installment.principal_paid + Installment.interest_paid
    # Money columns read back as satang integers here: sums and comparisons stay exact.
    query = (
        select(
            Installment.id,
            Installment.contract_id,
            Installment.due_date,
            _raw(due).label("due"),
            _raw(paid).label("paid"),
            Contract.contract_no,
            Contract.borrower_id,
            Fund.kind,
            Borrower.title,
            Borrower.name,
            Borrower.phone,
            Area.path,
        )
        .join(Contract, Contract.id == Installment.contract_id)
        .join(Fund, Fund.id == Contract.fund_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(
            within(Area.path, scope),
            Installment.due_date.between(start, end),
            Installment.effective_from <= max(today, end),
            or_(Installment.superseded_on.is_(None), Installment.superseded_on > today),
        )
    )
    if chosen.fund:
        query = query.where(Fund.kind == FundKind(chosen.fund))
    if chosen.status in PAY_STATUSES:
        query = query.where(_status_case(due, paid) == chosen.status)
    if chosen.search:
        query = query.where(_search(chosen.search))
    if chosen.debtor_class in DEBTOR_CLASSES:
        ids = [
            c.contract_id
            for c in contract_arrears(session, today, scope=scope, fund_kind=chosen.fund or None)
            if c.debtor_class == chosen.debtor_class
        ]
        query = query.where(Contract.id.in_(ids) if ids else and_(False))
    return query


def _raw(expression):
    """A sum of Money columns as the integer satang it is in the database."""
    from sqlalchemy import BigInteger, type_coerce

    return type_coerce(expression, BigInteger)


def _search(text: str):
    """Name (titles and spaces ignored), contract number or phone digits containing `text`."""
    text = text.strip()
    clauses = []
    key = name_key(text)
    if key:
        clauses.append(Borrower.name_key.contains(key, autoescape=True))
    number = contract_number_key(text)
    if number:
        clauses.append(Contract.number_key.contains(number, autoescape=True))
    digits = "".join(ch for ch in thai_digits_to_arabic(text) if ch.isdigit())
    if len(digits) >= 3:
        clauses.append(Borrower.phone.contains(digits, autoescape=True))
    return or_(*clauses) if clauses else and_(True)


def classes_of(session: Session, borrower_ids: set[int], today: date) -> dict[int, str]:
    """Each contract's debtor class today, for the borrowers of one page of rows."""
    rows = contract_arrears(session, today, scope=None, borrower_ids=borrower_ids)
    return {row.contract_id: row.debtor_class for row in rows}


# --- one debtor -----------------------------------------------------------------------------


def debtor_in_scope(session: Session, scope: list[str], borrower_id: int) -> Borrower | None:
    """The borrower, if they live inside `scope` (else None, as if they did not exist)."""
    return session.scalar(
        select(Borrower)
        .join(Area, Area.id == Borrower.area_id)
        .where(Borrower.id == borrower_id, within(Area.path, scope))
    )
