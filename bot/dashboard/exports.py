"""Who paid in a month, as an Excel workbook or a CSV file: every row of the filtered set."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import quote

from flask import Response, g
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from bot.dashboard.blueprint import bp
from bot.dashboard.labels import fund_label, status_label
from bot.dashboard.views import area_name, db_session, read_paid_form, scope, today
from bot.export_safety import neutralise
from bot.i18n import _, format_date
from models.dashboard_queries import due_in_month

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


def _headers() -> list[str]:
    return [
        _("Name"),
        _("Contract no."),
        _("Fund"),
        _("Area"),
        _("Phone"),
        _("Due date"),
        _("Amount due (baht)"),
        _("Paid (baht)"),
        _("Remaining (baht)"),
        _("Status"),
    ]


def _export_rows():
    form = read_paid_form()
    rows, totals = due_in_month(db_session(), scope(), form.filter, today())
    month = date(form.filter.year, form.filter.month, 1)
    where = (
        area_name(form.filter.area)
        if form.filter.area
        else ", ".join(area_name(s) for s in scope())
    )
    title = _(
        "Installments due in %(month)s, %(area)s",
        month=format_date(month, "long").split(" ", 1)[1],
        area=where,
    )
    stem = f"paid-{form.filter.year:04d}-{form.filter.month:02d}"
    return rows, totals, title, stem


def _line(row) -> list:
    return [
        row.borrower_name,
        row.contract_no,
        _words(fund_label, row.fund),
        _words(area_name, row.area),
        row.phone or "",
        _words(format_date, row.due_date),
        row.amount_due,
        row.amount_paid,
        row.remaining,
        _words(status_label, row.status),
    ]


def _words(render, value):
    """`render(value)`, remembered for the request: a month's rows repeat few values."""
    memo = g.setdefault("export_words", {})
    key = (render, value)
    if key not in memo:
        memo[key] = render(value)
    return memo[key]


def _attachment(stem: str, extension: str) -> dict[str, str]:
    name = f"{stem}.{extension}"
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


@bp.get("/paid.xlsx")
def paid_xlsx():
    """The filtered who-paid list as .xlsx: a title, Thai headers, BE dates, a totals row."""
    rows, totals, title, stem = _export_rows()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Who paid"))
    for column, width in zip("ABCDEFGHIJ", (28, 22, 24, 36, 14, 14, 16, 16, 16, 14), strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)

    def text_cell(value, font=None):
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        cell.data_type = "s" if isinstance(value, str) else cell.data_type
        if font:
            cell.font = font
        return cell

    def money_cell(value, font=None):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        if font:
            cell.font = font
        return cell

    sheet.append([text_cell(title, Font(bold=True, size=13))])
    sheet.append([])
    sheet.append([text_cell(h, bold) for h in _headers()])
    for row in rows:
        values = _line(row)
        # Plain values for text (made safe first): a styled cell per value costs far more.
        sheet.append([neutralise(v) for v in values[:6]] + [money_cell(v) for v in values[6:9]]
                     + [neutralise(values[9])])  # fmt: skip
    sheet.append(
        [
            text_cell(_("Total"), bold),
            text_cell(_("%(count)d installments", count=totals.installments), bold),
        ]
        + [text_cell("")] * 4
        + [
            money_cell(totals.amount_due, bold),
            money_cell(totals.amount_paid, bold),
            money_cell(totals.remaining, bold),
            text_cell(""),
        ]  # fmt: skip
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), mimetype=XLSX, headers=_attachment(stem, "xlsx"))


@bp.get("/paid.csv")
def paid_csv():
    """The filtered who-paid list as CSV, UTF-8 with a BOM so Excel reads the Thai."""
    rows, totals, title, stem = _export_rows()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(title)])
    writer.writerow([neutralise(h) for h in _headers()])
    for row in rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else f"{v:.2f}" for v in _line(row)])
    writer.writerow(
        [_("Total"), _("%(count)d installments", count=totals.installments), "", "", "", "",
         f"{totals.amount_due:.2f}", f"{totals.amount_paid:.2f}", f"{totals.remaining:.2f}", ""]
    )  # fmt: skip
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers=_attachment(stem, "csv"),
    )
