"""The register's columns, and matching the headers a file uses (English or Thai) to them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of the register: its English key, its Thai header, whether it must exist."""

    key: str
    thai: str
    required: bool = True
    # Other headers people write for it (the fund register's forms vary by office).
    aliases: tuple[str, ...] = ()

    def label(self) -> str:
        """Both names, for a message about a column the file lacks."""
        return f"{self.thai} ({self.key})"


COLUMNS = (
    Column("fund", "กองทุน"),
    Column("province", "จังหวัด", required=False),
    Column("contract_no", "เลขที่สัญญา"),
    Column("borrower_name", "ชื่อผู้กู้"),
    Column("borrower_type", "ประเภทผู้กู้", required=False),
    Column("national_id", "เลขบัตรประชาชน", required=False),
    Column("phone", "โทรศัพท์", required=False),
    Column("district", "อำเภอ"),
    Column("subdistrict", "ตำบล"),
    Column("village", "หมู่บ้าน"),
    Column("principal", "เงินต้น"),
    Column("annual_interest_rate", "อัตราดอกเบี้ย"),
    Column("contract_date", "วันที่ทำสัญญา"),
    Column("first_due_date", "วันครบกำหนดงวดแรก"),
    Column("installments", "จำนวนงวด"),
    Column("frequency", "ความถี่"),
    Column("paid_to_date", "ชำระแล้ว", required=False),
)
BY_KEY = {column.key: column for column in COLUMNS}


def headers_of(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Each header a file may use (compared casefolded) for its column."""
    return {
        normalize_header(name): column
        for column in columns
        for name in (column.key, column.thai, *column.aliases)
    }


@dataclass(frozen=True)
class FileProblem:
    """What stops the whole file: a code and its parameters (worded by the caller)."""

    code: str
    params: dict


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column is in the file (its index) and what the file calls it."""

    index: dict[str, int]
    header: dict[str, str]
    columns: tuple[Column, ...] = COLUMNS

    def name(self, key: str) -> str:
        """The column as the file names it (or its Thai name when the file lacks it)."""
        if key in self.header:
            return self.header[key]
        return next(column.thai for column in self.columns if column.key == key)


def normalize_header(text: object) -> str:
    """A header cell as compared: trimmed, spaces collapsed, without a trailing "*", casefolded."""
    cleaned = " ".join(str(text or "").split())
    return cleaned.removesuffix("*").strip().casefold()


_BY_HEADER = headers_of(COLUMNS)


def recognized(cells: list[object], columns: tuple[Column, ...] = COLUMNS) -> int:
    """How many cells of a row are known column headers (to find the header row)."""
    known = _BY_HEADER if columns is COLUMNS else headers_of(columns)
    return sum(1 for cell in cells if normalize_header(cell) in known)


def map_headers(
    cells: list[object], columns: tuple[Column, ...] = COLUMNS
) -> tuple[HeaderMap, list[FileProblem]]:
    """The header map of a header row, and the missing or repeated columns.

    Columns the register does not define are ignored, so a sheet may carry its own notes.
    """
    known = _BY_HEADER if columns is COLUMNS else headers_of(columns)
    index: dict[str, int] = {}
    header: dict[str, str] = {}
    problems = []
    for position, cell in enumerate(cells):
        column = known.get(normalize_header(cell))
        if column is None:
            continue
        if column.key in index:
            problems.append(FileProblem("column_twice", {"column": str(cell).strip()}))
            continue
        index[column.key] = position
        header[column.key] = " ".join(str(cell).split())
    for column in columns:
        if column.required and column.key not in index:
            problems.append(FileProblem("missing_column", {"column": column.label()}))
    return HeaderMap(index, header, columns), problems
