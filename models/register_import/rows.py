"""Checking every row of a register before anything is written, and reporting what is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from models.area import parse_village, village_label
from models.register_import.columns import HeaderMap
from models.register_import.reading import Cell, SheetRow, is_blank
from models.schedule import build_schedule
from models.thai_text import (
    BE_OFFSET,
    name_key,
    normalize_phone,
    parse_amount,
    parse_date,
    parse_rate,
    split_title,
    thai_digits_to_arabic,
    validate_national_id,
)
from models.types import BorrowerKind, Frequency, FundKind

MAX_INSTALLMENTS = 600
# The cells a problem found after the row checks may quote (kept per row, so only these).
QUOTED_LATER = ("contract_no", "borrower_name", "national_id", "phone", "paid_to_date")
_FUNDS = {
    "womensfund": FundKind.WOMENS_FUND,
    "กองทุนพัฒนาบทบาทสตรี": FundKind.WOMENS_FUND,
    "kkcj": FundKind.KKCJ,
    "กขคจ": FundKind.KKCJ,
}
_KINDS = {
    "person": BorrowerKind.PERSON,
    "บุคคล": BorrowerKind.PERSON,
    "group": BorrowerKind.GROUP,
    "กลุ่ม": BorrowerKind.GROUP,
}
_FREQUENCIES = {
    "monthly": Frequency.MONTHLY,
    "รายเดือน": Frequency.MONTHLY,
    "yearly": Frequency.YEARLY,
    "รายปี": Frequency.YEARLY,
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one cell (or one row) of the file: where, and a code with its
    parameters (the command line words it in the reader's language)."""

    row: int
    column: str | None
    value: str | None
    code: str
    params: dict = field(default_factory=dict)


class CellError(ValueError):
    """A cell's value refused by a converter: a problem code and its parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _refusal(exc: ValueError) -> tuple[str, dict]:
    """A converter's refusal as a code: its own, or models.thai_text's reason (an English
    predicate marked for translation) under the code "invalid"."""
    if isinstance(exc, CellError):
        return exc.code, exc.params
    return "invalid", {"reason": str(exc)}


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One contract as the register states it, every value checked (slots: a file may hold
    200,000 of them until they are written)."""

    number: int
    fund_kind: FundKind
    province: str
    district: str
    subdistrict: str
    village: str
    contract_no: str
    borrower_name: str
    borrower_kind: BorrowerKind
    national_id: str | None
    phone: str | None
    principal: Decimal
    annual_interest_rate: Decimal
    contract_date: date
    first_due_date: date
    installments: int
    frequency: Frequency
    paid_to_date: Decimal | None
    # The cells as the file wrote them, to quote in a problem found later.
    written: dict[str, str]
    # The village as names from the province down ("หมู่ 3" for "3" or "หมู่ที่ 3").
    village_path: tuple[str, str, str, str]

    @property
    def fund_key(self) -> tuple:
        """Which fund the row's contract belongs to: the province's, or the village's."""
        if self.fund_kind is FundKind.WOMENS_FUND:
            return (self.fund_kind, self.province)
        return (self.fund_kind, *self.village_path)


def shown(cell: Cell) -> str:
    """A cell's value as the report quotes it."""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else str(cell)
    return str(cell).strip()


# ---------------------------------------------------------------------------- one cell


def _text(limit: int) -> Callable[[Cell], str]:
    """A converter to trimmed text of at most `limit` characters."""

    def convert(cell: Cell) -> str:
        text = " ".join(shown(cell).split())
        if len(text) > limit:
            raise CellError("too_long", max=limit)
        return text

    return convert


def _choice(choices: dict[str, Any], problem: str) -> Callable[[Cell], Any]:
    """A converter to one of `choices`, ignoring case, spaces, dots and underscores;
    `problem` is the code of a value that is none of them."""

    def convert(cell: Cell) -> Any:
        key = re.sub(r"[\s._]", "", shown(cell)).casefold()
        if key not in choices:
            raise CellError(problem)
        return choices[key]

    return convert


def _contract_no(cell: Cell) -> str:
    """A contract number, Thai digits made Arabic: "๐๐๒/๒๕๖๖" and "002/2566" are one."""
    return thai_digits_to_arabic(_text(60)(cell))


def _name(cell: Cell) -> str:
    """A borrower's name as written, refused when it is only a title."""
    name = _text(200)(cell)
    split_title(name)
    return name


def _national_id(cell: Cell) -> str:
    """The 13 digits of a national ID, checksum verified."""
    return validate_national_id(shown(cell))


def _phone(cell: Cell) -> str:
    """A Thai phone number as digits from 0."""
    text = shown(cell)
    if isinstance(cell, int) and not text.startswith("66"):
        # A number cell loses the leading zero: 0812345678 arrives as 812345678.
        text = "0" + text
    return normalize_phone(text)


def _date(today: date) -> Callable[[Cell], date]:
    """A converter to a date from a date cell or typed text."""

    def convert(cell: Cell) -> date:
        if isinstance(cell, datetime | date):
            value = cell.date() if isinstance(cell, datetime) else cell
            # A date cell typed with the Thai year (15/3/2569) holds the year 2569.
            if value.year >= 2400:
                try:
                    value = value.replace(year=value.year - BE_OFFSET)
                except ValueError:  # 29 February of a year that is not leap once converted
                    raise CellError("invalid", reason="is not a real date") from None
            return value
        return parse_date(shown(cell), today=today)

    return convert


def _count(cell: Cell) -> int:
    """A number of installments: a whole number from 1 to MAX_INSTALLMENTS."""
    text = thai_digits_to_arabic(shown(cell))
    if not re.fullmatch(r"\d+", text):
        raise CellError("not_whole_number")
    count = int(text)
    if count < 1:
        raise CellError("at_least_one")
    if count > MAX_INSTALLMENTS:
        raise CellError("too_many_installments", max=MAX_INSTALLMENTS)
    return count


def _amount(cell: Cell) -> Decimal:
    """Baht as Decimal."""
    return parse_amount(shown(cell))


def _rate(cell: Cell) -> Decimal:
    """A yearly rate in percent."""
    return parse_rate(shown(cell))


# ---------------------------------------------------------------------------- one row


class RowChecker:
    """Turns sheet rows into RegisterRows, collecting every problem instead of stopping."""

    quoted_later = QUOTED_LATER

    def __init__(self, headers: HeaderMap, *, province: str, today: date) -> None:
        self.headers = headers
        self.default_province = province
        self.converters: dict[str, Callable[[Cell], Any]] = {
            "fund": _choice(_FUNDS, "not_fund"),
            "province": _text(120),
            "contract_no": _contract_no,
            "borrower_name": _name,
            "borrower_type": _choice(_KINDS, "not_borrower_type"),
            "national_id": _national_id,
            "phone": _phone,
            "district": _text(120),
            "subdistrict": _text(120),
            "village": _text(120),
            "principal": _amount,
            "annual_interest_rate": _rate,
            "contract_date": _date(today),
            "first_due_date": _date(today),
            "installments": _count,
            "frequency": _choice(_FREQUENCIES, "not_frequency"),
            "paid_to_date": _amount,
        }
        self.defaults = {"province": province, "borrower_type": BorrowerKind.PERSON}
        self.optional = {"province", "borrower_type", "national_id", "phone", "paid_to_date"}

    def check(self, row: SheetRow) -> tuple[RegisterRow | None, list[Problem]]:
        """The checked row, or None and what is wrong with it."""
        values: dict[str, Any] = {}
        problems = []
        cells = {key: self._cell(row, key) for key in self.converters}
        for key, convert in self.converters.items():
            cell = cells[key]
            if is_blank(cell):
                if key not in self.optional:
                    problems.append(self.problem(row, key, None, "required"))
                values[key] = self.defaults.get(key)
                continue
            if isinstance(cell, str) and "\x00" in cell:
                # PostgreSQL refuses NUL in text; no register means one.
                problems.append(self.problem(row, key, cell.replace("\x00", ""), "nul"))
                continue
            try:
                values[key] = convert(cell)
            except ValueError as exc:
                code, params = _refusal(exc)
                problems.append(self.problem(row, key, cell, code, **params))
        if problems:
            return None, problems
        problems = self._check_together(row, values)
        if problems:
            return None, problems
        written = {key: shown(cells[key]) for key in self.quoted_later}
        return self._register_row(row.number, values, written), []

    def problem(
        self, row: SheetRow | int, key: str, cell: Cell, code: str, /, **params: Any
    ) -> Problem:
        """A problem with the cell of column `key`, named as the file names it."""
        number = row if isinstance(row, int) else row.number
        value = None if cell is None else shown(cell)
        return Problem(number, self.headers.name(key), value, code, params)

    def _cell(self, row: SheetRow, key: str) -> Cell:
        """The row's cell in column `key` (None when the file lacks the column)."""
        position = self.headers.index.get(key)
        if position is None or position >= len(row.cells):
            return None
        return row.cells[position]

    def _check_together(self, row: SheetRow, values: dict[str, Any]) -> list[Problem]:
        """Problems between the values of one row."""
        problems = []
        if values["principal"] <= 0:
            cell = self._cell(row, "principal")
            problems.append(self.problem(row, "principal", cell, "not_positive"))
        if values["first_due_date"] < values["contract_date"]:
            cell = self._cell(row, "first_due_date")
            problems.append(self.problem(row, "first_due_date", cell, "before_contract_date"))
        paid = values["paid_to_date"]
        if not problems and paid is not None:
            total = _total_due(values)
            if paid > total:
                cell = self._cell(row, "paid_to_date")
                problems.append(self.problem(row, "paid_to_date", cell, "over_debt", total=total))
        return problems

    @staticmethod
    def _register_row(number: int, values: dict[str, Any], written: dict[str, str]) -> RegisterRow:
        """The RegisterRow of checked values."""
        return RegisterRow(
            number=number,
            fund_kind=values["fund"],
            province=values["province"],
            district=values["district"],
            subdistrict=values["subdistrict"],
            village=values["village"],
            contract_no=values["contract_no"],
            borrower_name=values["borrower_name"],
            borrower_kind=values["borrower_type"],
            national_id=values["national_id"],
            phone=values["phone"],
            principal=values["principal"],
            annual_interest_rate=values["annual_interest_rate"],
            contract_date=values["contract_date"],
            first_due_date=values["first_due_date"],
            installments=values["installments"],
            frequency=values["frequency"],
            paid_to_date=values["paid_to_date"],
            written=written,
            village_path=_village_path(values),
        )


def _village_path(values: dict[str, Any]) -> tuple[str, str, str, str]:
    number, name = parse_village(values["village"])
    return (
        values["province"],
        values["district"],
        values["subdistrict"],
        village_label(number, name),
    )


def _total_due(values: dict[str, Any]) -> Decimal:
    """Principal and all interest of the schedule the row's terms make."""
    lines = build_schedule(
        values["principal"],
        values["annual_interest_rate"],
        values["first_due_date"],
        values["installments"],
        values["frequency"],
    )
    return sum((line.amount for line in lines), Decimal(0))


# ---------------------------------------------------------------------------- across rows


def check_across(rows: list[RegisterRow], checker: RowChecker) -> list[Problem]:
    """Problems between rows: a contract number twice in one fund, one borrower told twice
    with a different name or phone (importing such a file again would flip them back)."""
    problems = []
    contracts: dict[tuple, int] = {}
    borrowers: dict[tuple, list[RegisterRow]] = {}
    for row in rows:
        key = (*row.fund_key, row.contract_no)
        if key in contracts:
            written = row.written["contract_no"]
            problems.append(
                checker.problem(
                    row.number, "contract_no", written, "repeats_contract", row=contracts[key]
                )
            )
        else:
            contracts[key] = row.number
        problems.extend(_borrower_conflicts(row, borrowers, checker))
    return problems


def _borrower_conflicts(
    row: RegisterRow, seen: dict[tuple, list[RegisterRow]], checker: RowChecker
) -> list[Problem]:
    """A problem when `row` names a borrower seen before with another name or phone."""
    keys = [("name", name_key(row.borrower_name), row.village_path, row.borrower_kind)]
    if row.national_id:
        keys.append(("id", row.national_id))
    for key in keys:
        for earlier in seen.get(key, []):
            if key[0] == "name" and earlier.national_id and row.national_id:
                continue  # two people of the same name, told apart by their IDs
            problem = _differs(earlier, row, checker)
            if problem is not None:
                return [problem]
    for key in keys:
        seen.setdefault(key, []).append(row)
    return []


def _differs(earlier: RegisterRow, row: RegisterRow, checker: RowChecker) -> Problem | None:
    """A problem when two rows about one borrower disagree on the phone or the name."""
    code, params = "differs_from_row", {"row": earlier.number}
    if earlier.phone and row.phone and earlier.phone != row.phone:
        return checker.problem(row.number, "phone", row.written["phone"], code, **params)
    before, after = split_title(earlier.borrower_name), split_title(row.borrower_name)
    titles_differ = before[0] and after[0] and before[0] != after[0]
    if titles_differ or before[1] != after[1]:
        written = row.written["borrower_name"]
        return checker.problem(row.number, "borrower_name", written, code, **params)
    return None
