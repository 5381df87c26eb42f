"""Importing the KKCJ fund register: one row per village fund and reporting date.

The same discipline as the debtor register (models/register_import, whose reading, header
matching and cell checks this reuses): Thai or English headers, every row checked before the
database is opened, every problem reported with its row, then all rows written in one
transaction or none. Importing the same file again changes nothing; a changed figure for a
fund and date already stored is an audited update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.area import Area, ensure_area, parse_village, village_label
from models.audit import Actor, audit
from models.base import Database
from models.errors import DomainError
from models.fund import Fund, fund_name
from models.fund_register import REGISTER_FIELDS, FundRegisterEntry, FundStatus, record_entries
from models.register_import import ImportResult
from models.register_import.columns import Column, FileProblem, map_headers, recognized
from models.register_import.reading import SheetRow, read_sheet
from models.register_import.rows import (
    Problem,
    RowChecker,
    _amount,
    _choice,
    _date,
    _name,
    _phone,
    _text,
)
from models.types import FundKind, Source

# A province has about a thousand villages; a bigger file is not a fund register.
MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10

COLUMNS = (
    Column("province", "จังหวัด", required=False),
    Column("district", "อำเภอ"),
    Column("subdistrict", "ตำบล"),
    Column("village", "หมู่บ้าน", aliases=("หมู่ที่",)),
    Column("as_of", "ณ วันที่", aliases=("วันที่", "ข้อมูล ณ วันที่", "date")),
    Column("capital", "เงินทุน", aliases=("ทุน", "เงินทุนทั้งหมด")),
    Column("status", "สถานะ", required=False, aliases=("สถานะกองทุน",)),
    Column(
        "problem_money",
        "เงินทุนที่มีปัญหา",
        required=False,
        aliases=("เงินมีปัญหา", "problem"),
    ),
    Column(
        "damaged_money",
        "เงินทุนที่เสียหาย",
        required=False,
        aliases=("เงินเสียหาย", "damaged"),
    ),
    Column("chair_name", "ประธานกรรมการ", required=False, aliases=("ประธาน", "chair")),
    Column("chair_phone", "โทรศัพท์ประธาน", required=False, aliases=("โทรศัพท์", "phone")),
    Column("committee", "คณะกรรมการ", required=False),
)
_STATUSES = {
    "normal": FundStatus.NORMAL,
    "ปกติ": FundStatus.NORMAL,
    "followup": FundStatus.FOLLOWUP,
    "follow-up": FundStatus.FOLLOWUP,
    "เร่งรัด": FundStatus.FOLLOWUP,
    "เร่งรัดติดตาม": FundStatus.FOLLOWUP,
    "อยู่ระหว่างเร่งรัดติดตาม": FundStatus.FOLLOWUP,
    "closed": FundStatus.CLOSED,
    "ยุบเลิก": FundStatus.CLOSED,
    "ปิด": FundStatus.CLOSED,
}


@dataclass(frozen=True, slots=True)
class FundRow:
    """One village fund's figures on one date, as the register states them, checked."""

    number: int
    village_path: tuple[str, str, str, str]
    village: str
    as_of: date
    values: dict[str, Any]


class FundRowChecker(RowChecker):
    """The debtor register's row checks, with the fund register's columns."""

    quoted_later = ("village", "as_of")

    def __init__(self, headers, *, province: str, today: date) -> None:  # noqa: D107
        self.headers = headers
        self.default_province = province
        self.today = today
        self.converters = {
            "province": _text(120),
            "district": _text(120),
            "subdistrict": _text(120),
            "village": _text(120),
            "as_of": _date(today),
            "capital": _amount,
            "status": _choice(_STATUSES, "not_fund_status"),
            "problem_money": _amount,
            "damaged_money": _amount,
            "chair_name": _name,
            "chair_phone": _phone,
            "committee": _text(1000),
        }
        self.defaults = {
            "province": province,
            "status": FundStatus.NORMAL,
            "problem_money": Decimal(0),
            "damaged_money": Decimal(0),
        }
        self.optional = set(self.defaults) | {"chair_name", "chair_phone", "committee"}

    def _check_together(self, row: SheetRow, values: dict[str, Any]) -> list[Problem]:
        problems = []
        if values["capital"] <= 0:
            cell = self._cell(row, "capital")
            problems.append(self.problem(row, "capital", cell, "not_positive"))
        elif values["problem_money"] + values["damaged_money"] > values["capital"]:
            cell = self._cell(row, "damaged_money") or self._cell(row, "problem_money")
            key = "damaged_money" if self._cell(row, "damaged_money") else "problem_money"
            problems.append(self.problem(row, key, cell, "over_capital", total=values["capital"]))
        if values["as_of"] > self.today:
            problems.append(self.problem(row, "as_of", self._cell(row, "as_of"), "in_future"))
        return problems

    @staticmethod
    def _register_row(number: int, values: dict[str, Any], written: dict[str, str]) -> FundRow:
        village_no, name = parse_village(values["village"])
        path = (
            values["province"],
            values["district"],
            values["subdistrict"],
            village_label(village_no, name),
        )
        figures = {key: values[key] for key in REGISTER_FIELDS}
        return FundRow(number, path, values["village"], values["as_of"], figures)


def import_fund_register(
    db: Database, path: Path, *, province: str, today: date, dry_run: bool = False
) -> ImportResult:
    """Check and import the fund register at `path`; commits only a clean, non-dry run.

    Raises DomainError when the file cannot be read at all.
    """
    path = Path(path)
    result = ImportResult(file=path.name, dry_run=dry_run)
    try:
        rows = _checked_rows(path, province, today, result)
    except DomainError as exc:
        if exc.code not in ("import_too_many_rows", "import_cell_too_big"):
            raise
        result.file_problems.append(FileProblem(exc.code, exc.params))
        return result
    result.problems.sort(key=lambda p: p.row)
    if not result.ok:
        return result
    with db.sessions() as session:
        writer = _Writer(session, Actor(f"import:{path.name}", Source.IMPORT), rows)
        for row in rows:
            outcome = writer.apply(row)
            setattr(result, outcome, getattr(result, outcome) + 1)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return result


def _checked_rows(path: Path, province: str, today: date, result: ImportResult) -> list[FundRow]:
    """Every row read and checked; problems go into `result`."""
    sheet = read_sheet(path, max_rows=MAX_ROWS)
    head = list(islice(sheet, HEADER_SEARCH_ROWS))
    header_row = next((row for row in head if recognized(row.cells, COLUMNS) >= 3), None)
    if header_row is None:
        example = ", ".join(column.thai for column in COLUMNS if column.required)
        result.file_problems.append(FileProblem("no_header", {"example": example}))
        return []
    headers, result.file_problems = map_headers(header_row.cells, COLUMNS)
    if result.file_problems:
        return []
    checker = FundRowChecker(headers, province=province, today=today)
    rows: list[FundRow] = []
    seen: dict[tuple, int] = {}
    later = (row for row in head if row.number > header_row.number)
    for sheet_row in (*later, *sheet):
        if sheet_row.blank:
            continue
        row, problems = checker.check(sheet_row)
        result.problems.extend(problems)
        if row is None:
            continue
        key = (row.village_path, row.as_of)
        if key in seen:
            result.problems.append(
                checker.problem(row.number, "village", row.village, "repeats_fund", row=seen[key])
            )
            continue
        seen[key] = row.number
        rows.append(row)
    return rows


class _Writer:
    """Writes checked rows: the village and its fund when missing, then the entry."""

    def __init__(self, session: Session, actor: Actor, rows: list[FundRow]) -> None:
        self.session = session
        self.actor = actor
        paths = {"/".join(row.village_path) for row in rows}
        self.areas = {
            area.path: area for area in session.scalars(select(Area).where(Area.path.in_(paths)))
        }
        area_ids = [area.id for area in self.areas.values()]
        self.funds = {
            fund.area_id: fund
            for fund in session.scalars(
                select(Fund).where(Fund.kind == FundKind.KKCJ, Fund.area_id.in_(area_ids))
            )
        }
        stored = session.scalars(
            select(FundRegisterEntry).where(
                FundRegisterEntry.fund_id.in_([fund.id for fund in self.funds.values()]),
                FundRegisterEntry.as_of.in_({row.as_of for row in rows}),
            )
        )
        self.entries = {(entry.fund_id, entry.as_of): entry for entry in stored}

    def apply(self, row: FundRow) -> str:
        """Write one row: "created", "updated" or "unchanged"."""
        fund = self._fund(row)
        entry = self.entries.get((fund.id, row.as_of))
        if entry is None:
            (entry,) = record_entries(self.session, self.actor, [(fund, row.as_of, row.values)])
            self.entries[(fund.id, row.as_of)] = entry
            return "created"
        changed = {key for key, value in row.values.items() if getattr(entry, key) != value}
        if not changed:
            return "unchanged"
        before = {key: getattr(entry, key) for key in sorted(changed)}
        for key in changed:
            setattr(entry, key, row.values[key])
        after = {key: row.values[key] for key in sorted(changed)}
        audit(self.session, self.actor, "fund_register.update", "fund_register_entry", entry.id,
              before=before, after=after)  # fmt: skip
        return "updated"

    def _fund(self, row: FundRow) -> Fund:
        """The village's KKCJ fund, created (with the village, if new) and audited."""
        path = "/".join(row.village_path)
        area = self.areas.get(path)
        if area is None:
            area = ensure_area(self.session, *row.village_path[:3], row.village)
            self.areas[path] = area
        fund = self.funds.get(area.id)
        if fund is None:
            fund = Fund(kind=FundKind.KKCJ, name=fund_name(FundKind.KKCJ, area), area=area)
            self.session.add(fund)
            self.session.flush()
            self.funds[area.id] = fund
            after = {"kind": fund.kind, "name": fund.name, "area": area.path}
            audit(self.session, self.actor, "fund.create", "fund", fund.id, after=after)
        return fund
