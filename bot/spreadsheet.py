"""A report as the offices open it in Excel: title lines, headers, rows, a totals row last.

In .xlsx, money (Decimal) is a number cell shown `#,##0.00`, counts are number cells, every
other value is a text cell (never a formula); headers and the totals row are bold. In CSV,
UTF-8 starts with a BOM so Excel reads the Thai, and money is a plain `1234.50`. Every text
cell goes through bot/export_safety.py. The KKCJ follow-up and `fundbot arrears` both
write through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from bot.export_safety import neutralise, write_row, xlsx_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
BOM = "\ufeff"


def table_xlsx(
    sheet_title: str,
    title_lines: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence],
    widths: Sequence[int] = (),
) -> bytes:
    """One sheet: the title lines, a blank line, the headers (frozen above the rows), the
    rows; the last row is the totals row, in bold."""
    buffer = io.BytesIO()
    with xlsx_workbook(buffer) as book:
        sheet = book.add_worksheet(sheet_title)
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": MONEY_FORMAT})
        total_money = book.add_format({"num_format": MONEY_FORMAT, "bold": True})
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width)
        header_row = len(title_lines) + 1
        sheet.freeze_panes(header_row + 1, 0)
        for number, line in enumerate(title_lines):
            big = [book.add_format({"bold": True, "font_size": 13})] if number == 0 else None
            write_row(sheet, number, [line], big)
        write_row(sheet, header_row, headers, [bold] * len(headers))
        for offset, values in enumerate(rows):
            last = offset == len(rows) - 1
            formats = [
                (total_money if last else money)
                if isinstance(value, Decimal)
                else (bold if last else None)
                for value in values
            ]
            write_row(sheet, header_row + 1 + offset, values, formats)
    return buffer.getvalue()


def table_csv(title_lines: Sequence[str], headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """The same table as CSV text, starting with a BOM; money as plain decimals."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    for line in title_lines:
        writer.writerow([neutralise(line)])
    writer.writerow([neutralise(header) for header in headers])
    for values in rows:
        writer.writerow([_csv_cell(value) for value in values])
    return buffer.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return neutralise(value)
