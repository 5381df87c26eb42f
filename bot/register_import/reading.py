"""Reading a register file (.xlsx or .csv) into rows of cell values with their row numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from bot.errors import UserError
from bot.i18n import _

Cell = str | int | Decimal | date | datetime | None
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class SheetRow:
    """One row as the spreadsheet shows it: its number (the first row is 1) and its cells."""

    number: int
    cells: list[Cell]

    @property
    def blank(self) -> bool:
        """True when every cell is empty."""
        return all(is_blank(cell) for cell in self.cells)


def is_blank(cell: Cell) -> bool:
    """An empty cell, or one holding only spaces."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_sheet(path: Path) -> list[SheetRow]:
    """Every row of the file's first sheet (or of the CSV file), blank ones included."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UserError(_("No such file: %(file)s", file=str(path)))
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise UserError(_("Cannot read %(file)s: use an .xlsx or .csv file", file=path.name))


def _read_xlsx(path: Path) -> list[SheetRow]:
    """The rows of the workbook's first sheet."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        detail = exc.__class__.__name__
        raise UserError(
            _("Cannot read %(file)s: %(detail)s", file=path.name, detail=detail)
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong sheet size; read to the real end instead.
        sheet.reset_dimensions()
        return [
            SheetRow(number, [_xlsx_value(cell) for cell in row])
            for number, row in enumerate(sheet.iter_rows(), start=1)
        ]
    finally:
        workbook.close()


def _xlsx_value(cell) -> Cell:
    """A cell's value as the sheet shows it: exact decimals, percents as percent."""
    value = cell.value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits; the float's tail beyond them is noise.
        value = Decimal(f"{value:.15g}")
    if isinstance(value, int | Decimal) and "%" in (getattr(cell, "number_format", "") or ""):
        # A cell showing "3.5%" holds 0.035: the register means the number shown.
        value = Decimal(value) * 100
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return value


def _read_csv(path: Path) -> list[SheetRow]:
    """The records of a CSV file, UTF-8 (with or without BOM) or Thai Windows."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Thai Windows saves in TIS-620 (cp874), not UTF-8.
        try:
            text = raw.decode("cp874")
        except UnicodeDecodeError:
            raise UserError(_("%(file)s is not UTF-8 text", file=path.name)) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return [SheetRow(number, list(cells)) for number, cells in enumerate(reader, start=1)]


def _delimiter(text: str) -> str:
    """The separator the header line uses most: comma, semicolon or tab."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=first.count)
