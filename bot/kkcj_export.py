"""The KKCJ follow-up reports as the offices send them up: .xlsx and .csv.

A title row with the report, the period and the area, a line with the date of the figures
and when the report is due, Thai headers, Buddhist-Era dates, amounts as numbers (`#,##0.00`
in Excel, `1234.50` in CSV) and a totals row, written by bot/spreadsheet.py. The dashboard
and the command line both write through here, so the two give the same file.
"""

from __future__ import annotations

from bot.i18n import _, current_locale, format_date
from bot.spreadsheet import XLSX_TYPE, table_csv, table_xlsx
from models.area import SEPARATOR
from models.kkcj_followup import QUARTERLY, FollowupReport, Period

__all__ = ["XLSX_TYPE", "report_csv", "report_xlsx"]


def fund_status_label(code: str) -> str:
    """A village fund's status in words."""
    return {
        "normal": _("normal"),
        "followup": _("under accelerated follow-up"),
        "closed": _("closed"),
    }.get(code, code)


def period_label(period: Period) -> str:
    """ "October 2569", or "quarter 1 of fiscal year 2570 (1 Oct 2569 - 31 Dec 2569)"."""
    if period.kind == QUARTERLY:
        return _(
            "quarter %(quarter)d of fiscal year %(year)s (%(start)s - %(end)s)",
            quarter=period.quarter,
            year=_fiscal_year(period),
            start=format_date(period.start),
            end=format_date(period.end),
        )
    return format_date(period.start, "long").split(" ", 1)[1]


def _fiscal_year(period: Period) -> str:
    """The fiscal year as people name it: 2570 in Thai (Buddhist Era), 2027 in English."""
    return period.key[:4] if current_locale() == "th" else str(period.fiscal_year)


def area_title(paths: list[str], province: str) -> str:
    """The areas a report covers, for its title: "จังหวัดสระบุรี", "แก่งคอย / หินซ้อน"."""
    names = []
    for path in paths:
        parts = path.split(SEPARATOR)
        if len(parts) == 1:
            names.append(_("%(province)s province", province=parts[0]))
        else:
            names.append(" / ".join(parts[1:] if parts[0] == province else parts))
    return ", ".join(names)


def report_title(report: FollowupReport, area: str) -> list[str]:
    """The two lines above the table: what, when and where; the date of the figures, due."""
    if report.period.kind == QUARTERLY:
        what = _(
            "Quarterly follow-up of the KKCJ funds under accelerated follow-up, %(period)s, "
            "%(area)s",
            period=period_label(report.period),
            area=area,
        )
    else:
        what = _(
            "Monthly follow-up of the KKCJ funds under accelerated follow-up, %(period)s, %(area)s",
            period=period_label(report.period),
            area=area,
        )
    when = _(
        "Figures as of %(date)s, compared with %(baseline)s; due %(due)s",
        date=format_date(report.as_of),
        baseline=format_date(report.baseline),
        due=format_date(report.period.due),
    )
    return [what, when]


def report_headers(report: FollowupReport) -> list[str]:
    """The column headers."""
    before = format_date(report.baseline)
    after = format_date(report.as_of)
    return [
        _("Order no."),
        _("District"),
        _("Subdistrict"),
        _("Village"),
        _("Committee chair"),
        _("Status"),
        _("Capital (baht)"),
        _("Problem money on %(date)s (baht)", date=before),
        _("Damaged money on %(date)s (baht)", date=before),
        _("Problem money on %(date)s (baht)", date=after),
        _("Damaged money on %(date)s (baht)", date=after),
        _("Problem and damaged money (baht)"),
        _("Reduced in the period (baht)"),
        _("Lent, outstanding principal (baht)"),
        _("Overdue (baht)"),
    ]


def report_rows(report: FollowupReport) -> list[list]:
    """One list per fund, then the totals row; money as Decimal."""
    rows = []
    for number, line in enumerate(report.lines, start=1):
        fund = line.fund
        rows.append(
            [
                number,
                fund.district,
                fund.subdistrict,
                fund.village,
                fund.chair_name or "",
                fund_status_label(fund.status),
                fund.capital,
                line.start_problem,
                line.start_damaged,
                fund.problem_money,
                fund.damaged_money,
                fund.at_risk,
                line.reduced,
                fund.lent,
                fund.overdue,
            ]
        )
    totals = report.totals
    rows.append(
        [
            _("Total"),
            _("%(count)d funds", count=totals.funds),
            "",
            "",
            "",
            _("%(count)d under follow-up", count=totals.followup),
            totals.capital,
            report.start_problem,
            report.start_damaged,
            totals.problem_money,
            totals.damaged_money,
            totals.at_risk,
            report.reduced,
            totals.lent,
            totals.overdue,
        ]
    )
    return rows


def report_filename(report: FollowupReport, extension: str) -> str:
    """kkcj-monthly-2569-10.xlsx, kkcj-quarterly-2570Q1.csv."""
    return f"kkcj-{report.period.kind}-{report.period.key}.{extension}"


def report_xlsx(report: FollowupReport, area: str) -> bytes:
    """The report as an Excel workbook (one sheet)."""
    widths = (8, 18, 18, 22, 24, 22, *([16] * 9))
    return table_xlsx(
        _("KKCJ follow-up"),
        report_title(report, area),
        report_headers(report),
        report_rows(report),
        widths,
    )


def report_csv(report: FollowupReport, area: str) -> bytes:
    """The report as CSV: UTF-8 with a BOM, amounts as plain decimals."""
    rows = report_rows(report)
    return table_csv(report_title(report, area), report_headers(report), rows).encode("utf-8")
