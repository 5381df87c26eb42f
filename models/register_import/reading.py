"""Reading a register file (.xlsx or .csv) row by row, without holding the file in memory.

A file of more than MAX_ROWS rows is refused: a province's register is far smaller, and a
bigger file is a mistake (a whole database export) that would only fill the memory.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from models.errors import DomainError

Cell = str | int | Decimal | date | datetime | None
DELIMITERS = (",", ";", "\t")
MAX_ROWS = 200_000
# Python's csv refuses a cell over 131,072 characters with a bare `_csv.Error`; allow more,
# so a long cell is reported against its column by the row checks, up to this.
MAX_CSV_CELL = 1_000_000


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


def read_sheet(path: Path, *, max_rows: int = MAX_ROWS) -> Iterator[SheetRow]:
    """The rows of the file's first sheet (or of the CSV file), blank ones included, one at a
    time. Raises DomainError import_too_many_rows past `max_rows`."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DomainError("import_no_file", file=str(path))
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path, max_rows)
    elif suffix in (".csv", ".txt"):
        _refuse_long_csv(path, max_rows)
        rows = _read_csv(path)
    else:
        raise DomainError("import_file_type", file=path.name)
    return _limited(rows, path, max_rows)


def _limited(rows: Iterator[SheetRow], path: Path, max_rows: int) -> Iterator[SheetRow]:
    for row in rows:
        if row.number > max_rows:
            raise DomainError("import_too_many_rows", file=path.name, max=max_rows)
        yield row


def _read_xlsx(path: Path, max_rows: int) -> Iterator[SheetRow]:
    """The rows of the workbook's first sheet, streamed (read-only mode).

    An oversized sheet is refused before openpyxl opens it: without a declared size
    (programs other than Excel write none) openpyxl reads the whole sheet just to size it.
    """
    if _sheet_rows(path, max_rows) > max_rows:
        raise DomainError("import_too_many_rows", file=path.name, max=max_rows)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise DomainError(
            "import_unreadable", file=path.name, detail=exc.__class__.__name__
        ) from None
    return _xlsx_rows(workbook)


def _sheet_rows(path: Path, max_rows: int) -> int:
    """How many <row> elements the first sheet's XML holds, counted (up to just past
    `max_rows`) by a byte scan of the zip member; 0 when the parts cannot be found (openpyxl
    then says what is wrong with the file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _first_sheet(archive)
            if member is None:
                return 0
            count, tail = 0, b""
            with archive.open(member) as stream:
                while count <= max_rows and (chunk := stream.read(1 << 20)):
                    data = tail + chunk
                    count += data.count(b"<row ") + data.count(b":row ")
                    # A tag cut at the chunk's end is counted with the next chunk.
                    tail = data[-5:]
                    count -= tail.count(b"<row ") + tail.count(b":row ")
            return count + tail.count(b"<row ") + tail.count(b":row ")
    except (OSError, KeyError, zipfile.BadZipFile):
        return 0


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\b(?:\w+:)?id=\"([^\"]+)\"")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"(\w+)=\"([^\"]*)\"")


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first sheet, from workbook.xml and its relations."""
    match = _SHEET.search(archive.read("xl/workbook.xml"))
    if match is None:
        return None
    for relation in _RELATION.finditer(archive.read("xl/_rels/workbook.xml.rels")):
        attributes = dict(_ATTRIBUTE.findall(relation.group(1)))
        if attributes.get(b"Id") == match.group(1):
            target = attributes.get(b"Target", b"").decode()
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _xlsx_rows(workbook) -> Iterator[SheetRow]:
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong sheet size; read to the real end instead.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield SheetRow(number, [_xlsx_value(cell) for cell in row])
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


def _read_csv(path: Path) -> Iterator[SheetRow]:
    """The records of a CSV file, UTF-8 (with or without BOM) or Thai Windows, streamed."""
    encoding = _encoding(path)
    handle = path.open(encoding=encoding, newline="")
    try:
        delimiter = _delimiter(handle)
    except BaseException:
        handle.close()
        raise
    return _csv_rows(handle, delimiter, path)


def _csv_rows(handle, delimiter: str, path: Path) -> Iterator[SheetRow]:
    previous = csv.field_size_limit(MAX_CSV_CELL)
    try:
        reader = csv.reader(handle, delimiter=delimiter)
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise DomainError(
                    "import_cell_too_big", file=path.name, row=number + 1, max=MAX_CSV_CELL
                ) from None
            number += 1
            yield SheetRow(number, cells)
    finally:
        csv.field_size_limit(previous)
        handle.close()


def _refuse_long_csv(path: Path, max_rows: int) -> None:
    """Count the records of a big CSV file before checking any (a quick pass, no values
    kept), so an oversized file is refused at once and in little memory."""
    if path.stat().st_size < max_rows * 20:
        return  # fewer bytes than the limit's rows could take
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        delimiter = _delimiter(handle)
        previous = csv.field_size_limit(MAX_CSV_CELL)
        try:
            for count, _record in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                if count > max_rows:
                    raise DomainError("import_too_many_rows", file=path.name, max=max_rows)
        except csv.Error:
            return  # reported against its row when the rows are read
        finally:
            csv.field_size_limit(previous)


def _encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else cp874 (Excel on Thai Windows
    saves its plain "CSV" in TIS-620); read in chunks, never whole."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
    decoder = codecs.getincrementaldecoder("cp874")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            raise DomainError("import_not_utf8", file=path.name) from None
    return "cp874"


def _delimiter(handle) -> str:
    """The separator the first non-blank line uses most: comma, semicolon or tab."""
    first = ""
    for line in handle:
        if line.strip():
            first = line
            break
    handle.seek(0)
    return max(DELIMITERS, key=first.count)
