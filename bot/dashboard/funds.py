"""The KKCJ funds page: each village fund's own figures beside its contracts' arrears, and
the monthly and quarterly follow-up reports to download."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, request
from sqlalchemy.orm import Session

from bot.dashboard.blueprint import bp, render_page
from bot.dashboard.views import LABELS, db_session, month_choices, runtime, scope, today
from bot.kkcj_export import (
    XLSX_TYPE,
    area_title,
    fund_status_label,
    period_label,
    report_csv,
    report_filename,
    report_xlsx,
)
from models.area import Area
from models.dashboard_queries import areas_below, inside, narrow
from models.errors import DomainError
from models.kkcj_followup import (
    FundLine,
    followup_report,
    month_before,
    parse_month,
    parse_quarter,
    quarter_of,
    totals_of,
    village_funds,
)
from models.types import AreaLevel

# The columns the table sorts by, and how (the default is the area, in Thai order).
SORTS = {
    "area": lambda line: line.order,
    "capital": lambda line: line.capital,
    "lent": lambda line: line.lent,
    "overdue": lambda line: line.overdue,
    "problem": lambda line: line.problem_money,
    "damaged": lambda line: line.damaged_money,
    "at_risk": lambda line: line.at_risk,
    "status": lambda line: (line.status != "followup", line.order),
}
QUARTERS_SHOWN = 8


def _district(session: Session) -> Area | None:
    """The district chosen in ?district= (an area id), when the user's areas reach it."""
    value = request.args.get("district", "")
    if not value.isdigit():
        return None
    area = session.get(Area, int(value))
    if area is None or area.level is not AreaLevel.DISTRICT:
        return None
    reach = inside(area.path, scope()) or any(inside(s, [area.path]) for s in scope())
    return area if reach else None


def _chosen_scope(session: Session) -> tuple[list[str], Area | None]:
    district = _district(session)
    return narrow(scope(), district.path if district else None), district


@bp.get("/funds")
def funds():
    """Every KKCJ village fund in the user's areas, today: register figures and arrears."""
    session = db_session()
    chosen, district = _chosen_scope(session)
    day = today()
    lines = village_funds(session, chosen, day)
    sort = request.args.get("sort", "area")
    sort = sort if sort in SORTS else "area"
    descending = request.args.get("dir") == "desc"
    lines = sorted(lines, key=SORTS[sort], reverse=descending)
    quarters = _quarter_choices(day)
    return render_page(
        "dashboard/funds.html",
        lines=lines,
        totals=totals_of(lines),
        today=day,
        district=district,
        districts=areas_below(session, scope(), None),
        sort=sort,
        descending=descending,
        months=month_choices(day)[3:],
        # The report due this month (by the 15th) is last month's.
        report_month=month_before(day).start.strftime("%Y-%m"),
        quarters=quarters,
        fund_status_label=fund_status_label,
        row_class=_row_class,
        **LABELS,
    )


def _row_class(line: FundLine) -> str:
    return "followup" if line.status == "followup" else ""


def _quarter_choices(day) -> list[tuple[str, str]]:
    """(key, label) for this fiscal quarter and those before it, newest first."""
    choices = []
    period = quarter_of(day)
    for _ in range(QUARTERS_SHOWN):
        choices.append((period.key, period_label(period)))
        period = quarter_of(period.start - timedelta(days=1))
    return choices


# One plain rule per file (not converters), so every URL is a literal one can list and test.
@bp.get("/funds/monthly.xlsx", defaults={"kind": "monthly", "extension": "xlsx"})
@bp.get("/funds/monthly.csv", defaults={"kind": "monthly", "extension": "csv"})
@bp.get("/funds/quarterly.xlsx", defaults={"kind": "quarterly", "extension": "xlsx"})
@bp.get("/funds/quarterly.csv", defaults={"kind": "quarterly", "extension": "csv"})
def funds_report(kind: str, extension: str):
    """The monthly (?month=2569-10) or quarterly (?quarter=2570Q1) follow-up, as a file."""
    session = db_session()
    chosen = _chosen_scope(session)[0]
    day = today()
    try:
        if kind == "monthly":
            text = request.args.get("month")
            period = parse_month(text) if text else month_before(day)
        else:
            text = request.args.get("quarter")
            period = parse_quarter(text) if text else quarter_of(day)
        report = followup_report(session, chosen, period, day)
    except DomainError:
        abort(404)
    where = area_title(chosen, runtime().settings.province)
    if extension == "xlsx":
        body, mimetype = report_xlsx(report, where), XLSX_TYPE
    else:
        body, mimetype = report_csv(report, where), "text/csv; charset=utf-8"
    name = report_filename(report, extension)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )
