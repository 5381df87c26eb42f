"""Who paid in a month, as an Excel workbook or a CSV file: every row of the filtered set."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import quote

from flask import Response

from bot.dashboard.blueprint import bp
from bot.dashboard.labels import fund_label, status_label
from bot.dashboard.views import area_name, db_session, read_paid_form, scope, today
from bot.export_safety import neutralise, write_row, xlsx_workbook
from bot.i18n import _, format_date
from models.dashboard_queries import due_in_month

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
WIDTHS = (28, 22, 24, 36, 14, 14, 16, 16, 16, 14)


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


def _lines(rows):
    """Each row as the cells people read. A month's rows repeat few funds, areas, dates and
    statuses: each distinct one is put in words once."""
    words: dict = {}

    def say(render, value):
        key = (render, value)
        if key not in words:
            words[key] = render(value)
        return words[key]

    for row in rows:
        yield [
            row.borrower_name,
            row.contract_no,
            say(fund_label, row.fund),
            say(area_name, row.area),
            row.phone or "",
            say(format_date, row.due_date),
            row.amount_due,
            row.amount_paid,
            row.remaining,
            say(status_label, row.status),
        ]


def _attachment(stem: str, extension: str) -> dict[str, str]:
    name = f"{stem}.{extension}"
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


@bp.get("/paid.xlsx")
def paid_xlsx():
    """The filtered who-paid list as .xlsx: a title, Thai headers, BE dates, a totals row."""
    rows, totals, title, stem = _export_rows()
    buffer = io.BytesIO()
    with xlsx_workbook(buffer) as book:
        sheet = book.add_worksheet(_("Who paid"))
        for column, width in enumerate(WIDTHS):
            sheet.set_column(column, column, width)
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": MONEY_FORMAT})
        bold_money = book.add_format({"bold": True, "num_format": MONEY_FORMAT})
        write_row(sheet, 0, [title], [book.add_format({"bold": True, "size": 13})])
        write_row(sheet, 2, _headers(), [bold] * len(WIDTHS))
        formats = [None] * 6 + [money] * 3 + [None]
        number = 2  # the header row, when the month has no rows
        for number, values in enumerate(_lines(rows), start=3):
            write_row(sheet, number, values, formats)
        write_row(
            sheet,
            number + 1,
            [_("Total"), _("%(count)d installments", count=totals.installments)]
            + [""] * 4
            + [totals.amount_due, totals.amount_paid, totals.remaining, ""],
            [bold] * 6 + [bold_money] * 3 + [bold],
        )
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
    for line in _lines(rows):
        writer.writerow([neutralise(v) if isinstance(v, str) else f"{v:.2f}" for v in line])
    writer.writerow(
        [_("Total"), _("%(count)d installments", count=totals.installments), "", "", "", "",
         f"{totals.amount_due:.2f}", f"{totals.amount_paid:.2f}", f"{totals.remaining:.2f}", ""]
    )  # fmt: skip
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers=_attachment(stem, "csv"),
    )
