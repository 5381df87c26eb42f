"""The KKCJ village funds in figures: the funds page, and the follow-up reports.

Each village fund's own register figures (models/fund_register: capital, committee, status,
problem and damaged money) beside what its contracts say (the arrears engine: outstanding
principal lent, overdue). The province reports the funds under accelerated follow-up
monthly, by the 15th of the next month, and quarterly, in the last week of each fiscal
quarter (October-December is the first quarter: the fiscal year starts on 1 October).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.area import SEPARATOR, Area, within
from models.arrears import area_arrears
from models.errors import DomainError
from models.fund import Fund
from models.fund_register import FundRegisterEntry, FundStatus, latest_entries
from models.thai_order import thai_key
from models.thai_text import BE_OFFSET, thai_digits_to_arabic
from models.types import AreaLevel, FundKind

MONTHLY, QUARTERLY = "monthly", "quarterly"
REPORT_DAY = 15  # the monthly report is due on the 15th of the next month
ZERO = Decimal(0)


# ------------------------------------------------------------------------------ periods


@dataclass(frozen=True)
class Period:
    """A reporting period: a month, or a fiscal quarter (fiscal_year is its CE end year)."""

    kind: str
    start: date
    end: date
    fiscal_year: int
    quarter: int | None = None

    @property
    def due(self) -> date:
        """When the report is due: the 15th of the next month, or the quarter's last day."""
        if self.kind == QUARTERLY:
            return self.end
        return (self.end + timedelta(days=1)).replace(day=REPORT_DAY)

    @property
    def key(self) -> str:
        """The period as the command line and the file names write it, in the Buddhist Era:
        "2569-10" for October 2026, "2570Q1" for the first quarter of fiscal year 2570."""
        if self.kind == QUARTERLY:
            return f"{self.fiscal_year + BE_OFFSET}Q{self.quarter}"
        return f"{self.start.year + BE_OFFSET}-{self.start.month:02d}"


def month(year: int, month_no: int) -> Period:
    """The month `month_no` of CE `year`."""
    last = calendar.monthrange(year, month_no)[1]
    fiscal = year + 1 if month_no >= 10 else year
    return Period(MONTHLY, date(year, month_no, 1), date(year, month_no, last), fiscal)


def fiscal_quarter(fiscal_year: int, quarter: int) -> Period:
    """Quarter 1-4 of the fiscal year ending in September of CE `fiscal_year`."""
    first_month = (9 + 3 * (quarter - 1)) % 12 + 1  # 10, 1, 4, 7
    year = fiscal_year - 1 if quarter == 1 else fiscal_year
    end_month = first_month + 2
    last = calendar.monthrange(year, end_month)[1]
    return Period(
        QUARTERLY, date(year, first_month, 1), date(year, end_month, last), fiscal_year, quarter
    )


def month_of(day: date) -> Period:
    """The month `day` is in."""
    return month(day.year, day.month)


def month_before(day: date) -> Period:
    """The month before the one `day` is in: the month whose report falls due next."""
    return month_of(day.replace(day=1) - timedelta(days=1))


def quarter_of(day: date) -> Period:
    """The fiscal quarter `day` is in."""
    fiscal_year = day.year + 1 if day.month >= 10 else day.year
    return fiscal_quarter(fiscal_year, (day.month - 10) % 12 // 3 + 1)


_MONTH_TEXT = (
    re.compile(r"^(?P<year>\d{4})\s*[-/.]\s*(?P<month>\d{1,2})$"),
    re.compile(r"^(?P<month>\d{1,2})\s*[-/.]\s*(?P<year>\d{2}|\d{4})$"),
)
_QUARTER_TEXT = (
    re.compile(r"^(?P<year>\d{4})\s*[-/]?\s*(?:q|ไตรมาส(?:ที่)?)\s*(?P<quarter>[1-4])$"),
    re.compile(r"^(?:q|ไตรมาส(?:ที่)?)\s*(?P<quarter>[1-4])\s*[-/]?\s*(?P<year>\d{2}|\d{4})$"),
)


def parse_month(text: str) -> Period:
    """A month as people write it: "2569-10", "10/2569", "10/69" (Buddhist Era) or
    "2026-10" (a year below 2400 is Common Era). DomainError bad_month otherwise."""
    cleaned = thai_digits_to_arabic(str(text)).strip().casefold()
    for pattern in _MONTH_TEXT:
        match = pattern.match(cleaned)
        if match and 1 <= int(match["month"]) <= 12:
            return month(_ce_year(match["year"]), int(match["month"]))
    raise DomainError("bad_month", text=text)


def parse_quarter(text: str) -> Period:
    """A fiscal quarter: "2570Q1", "2570/Q1", "Q1/2570", "ไตรมาส 1/2570" (fiscal year 2570 runs
    from 1 October 2569); a year below 2400 is a CE fiscal year. DomainError bad_quarter."""
    cleaned = " ".join(thai_digits_to_arabic(str(text)).split()).casefold()
    for pattern in _QUARTER_TEXT:
        match = pattern.match(cleaned)
        if match:
            return fiscal_quarter(_ce_year(match["year"]), int(match["quarter"]))
    raise DomainError("bad_quarter", text=text)


def _ce_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2500  # "69" is 2569, as typed dates read it
    return year - BE_OFFSET if year >= 2400 else year


# ------------------------------------------------------------------------------ the funds


@dataclass(frozen=True)
class FundLine:
    """One village fund on a date: its register figures and its contracts' arrears."""

    fund_id: int
    name: str
    area: str
    district: str
    subdistrict: str
    village: str
    village_no: int | None
    register_as_of: date | None
    status: str
    capital: Decimal
    problem_money: Decimal
    damaged_money: Decimal
    chair_name: str | None
    chair_phone: str | None
    contracts: int
    lent: Decimal
    overdue: Decimal
    overdue_contracts: int

    @property
    def at_risk(self) -> Decimal:
        """Problem and damaged money together."""
        return self.problem_money + self.damaged_money

    @property
    def order(self) -> tuple:
        """District, subdistrict, then village in Thai dictionary order and by number."""
        return (
            thai_key(self.district),
            thai_key(self.subdistrict),
            self.village_no if self.village_no is not None else 10**6,
            thai_key(self.village),
        )


@dataclass(frozen=True)
class FundTotals:
    """The sums of the money columns of some fund lines."""

    funds: int
    capital: Decimal
    problem_money: Decimal
    damaged_money: Decimal
    lent: Decimal
    overdue: Decimal
    contracts: int
    followup: int

    @property
    def at_risk(self) -> Decimal:
        """Problem and damaged money together."""
        return self.problem_money + self.damaged_money


def totals_of(lines: list[FundLine]) -> FundTotals:
    """The totals row of `lines`."""
    return FundTotals(
        funds=len(lines),
        capital=sum((line.capital for line in lines), ZERO),
        problem_money=sum((line.problem_money for line in lines), ZERO),
        damaged_money=sum((line.damaged_money for line in lines), ZERO),
        lent=sum((line.lent for line in lines), ZERO),
        overdue=sum((line.overdue for line in lines), ZERO),
        contracts=sum(line.contracts for line in lines),
        followup=sum(1 for line in lines if line.status == FundStatus.FOLLOWUP.value),
    )


def village_funds(session: Session, scope: list[str], as_of: date) -> list[FundLine]:
    """Every KKCJ village fund inside `scope` (area paths) as of `as_of`, in Thai order.

    The register figures are each fund's latest entry dated `as_of` or before (a fund with
    none shows zeros and the normal status); lent and overdue are the arrears engine's
    outstanding principal and overdue amount of the fund's contracts on `as_of`.
    """
    funds = _funds_in(session, scope)
    entries = latest_entries(session, [row[0] for row in funds], as_of)
    # A village fund lends to its own village: the village's KKCJ totals are the fund's.
    arrears = {
        totals.area_id: totals
        for totals in area_arrears(
            session, as_of, level=AreaLevel.VILLAGE, scope=scope, fund_kind=FundKind.KKCJ
        )
    }
    lines = []
    for fund_id, name, area_id, path, village_no in funds:
        parts = path.split(SEPARATOR) + ["", "", "", ""]
        entry: FundRegisterEntry | None = entries.get(fund_id)
        figures = arrears.get(area_id)
        lines.append(
            FundLine(
                fund_id=fund_id,
                name=name,
                area=path,
                district=parts[1],
                subdistrict=parts[2],
                village=parts[3],
                village_no=village_no,
                register_as_of=entry.as_of if entry else None,
                status=entry.status.value if entry else FundStatus.NORMAL.value,
                capital=entry.capital if entry else ZERO,
                problem_money=entry.problem_money if entry else ZERO,
                damaged_money=entry.damaged_money if entry else ZERO,
                chair_name=entry.chair_name if entry else None,
                chair_phone=entry.chair_phone if entry else None,
                contracts=figures.contracts if figures else 0,
                lent=figures.outstanding_principal if figures else ZERO,
                overdue=figures.overdue_amount if figures else ZERO,
                overdue_contracts=figures.overdue_contracts if figures else 0,
            )
        )
    lines.sort(key=lambda line: line.order)
    return lines


def _funds_in(session: Session, scope: list[str]) -> list:
    """(fund id, name, area id, area path, village number) of the KKCJ funds in `scope`."""
    return session.execute(
        select(Fund.id, Fund.name, Area.id, Area.path, Area.village_no)
        .join(Area, Area.id == Fund.area_id)
        .where(Fund.kind == FundKind.KKCJ, within(Area.path, scope))
    ).all()


# ------------------------------------------------------------------------------ the reports


@dataclass(frozen=True)
class FollowupLine:
    """A fund in a follow-up report: where it stood before the period and at its end."""

    fund: FundLine
    start_status: str
    start_problem: Decimal
    start_damaged: Decimal

    @property
    def start_at_risk(self) -> Decimal:
        """Problem and damaged money before the period."""
        return self.start_problem + self.start_damaged

    @property
    def reduced(self) -> Decimal:
        """How much the problem and damaged money came down in the period (negative: rose)."""
        return self.start_at_risk - self.fund.at_risk


@dataclass(frozen=True)
class FollowupReport:
    """The follow-up of the problem funds over a period, within some areas."""

    period: Period
    as_of: date
    baseline: date
    lines: list[FollowupLine]
    totals: FundTotals = field(init=False)
    start_problem: Decimal = field(init=False)
    start_damaged: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "totals", totals_of([line.fund for line in self.lines]))
        object.__setattr__(
            self, "start_problem", sum((line.start_problem for line in self.lines), ZERO)
        )
        object.__setattr__(
            self, "start_damaged", sum((line.start_damaged for line in self.lines), ZERO)
        )

    @property
    def start_at_risk(self) -> Decimal:
        """Problem and damaged money of the listed funds before the period."""
        return self.start_problem + self.start_damaged

    @property
    def reduced(self) -> Decimal:
        """How much the listed funds' problem and damaged money came down."""
        return self.start_at_risk - self.totals.at_risk


def followup_report(
    session: Session, scope: list[str], period: Period, today: date
) -> FollowupReport:
    """The problem funds of `scope` over `period`: every fund under accelerated follow-up,
    or holding problem or damaged money, at the period's end or the day before it began
    (so a fund that came out of follow-up in the period is reported too, with its result).

    Figures are as of the period's last day, or `today` while the period runs; a period that
    has not begun is refused (DomainError period_not_begun).
    """
    if period.start > today:
        raise DomainError("period_not_begun", period=period.key)
    as_of = min(period.end, today)
    baseline = period.start - timedelta(days=1)
    funds = {row[0]: row[3] for row in _funds_in(session, scope)}
    before = latest_entries(session, list(funds), baseline)
    after = latest_entries(session, list(funds), as_of)
    # Only the problem funds' contracts go through the arrears engine: a tenth of them.
    chosen = [
        path
        for fund_id, path in funds.items()
        if _problem(after.get(fund_id)) or _problem(before.get(fund_id))
    ]
    lines = []
    for line in village_funds(session, chosen, as_of):
        entry = before.get(line.fund_id)
        start = (entry.status.value, entry.problem_money, entry.damaged_money) if entry else None
        lines.append(FollowupLine(line, *(start or (FundStatus.NORMAL.value, ZERO, ZERO))))
    return FollowupReport(period=period, as_of=as_of, baseline=baseline, lines=lines)


def _problem(entry: FundRegisterEntry | None) -> bool:
    """Whether a register entry shows a fund under follow-up, or holding problem money."""
    if entry is None:
        return False
    return entry.status is FundStatus.FOLLOWUP or bool(entry.at_risk)
