"""`fundbot import-funds`: the KKCJ fund register, checked first, all or nothing, idempotent."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import time_machine
from sqlalchemy import func, select

from models import Area, AuditEntry, Fund, FundRegisterEntry
from models.fund_register import FundStatus
from models.types import FundKind, Source

EXAMPLE = Path(__file__).parent.parent / "data" / "fund_register_example.csv"
HEADERS = ["อำเภอ", "ตำบล", "หมู่บ้าน", "ณ วันที่", "เงินทุน", "สถานะ", "เงินทุนที่มีปัญหา",
           "เงินทุนที่เสียหาย", "ประธานกรรมการ", "โทรศัพท์ประธาน"]  # fmt: skip
GOOD = ["แก่งคอย", "หินซ้อน", "หมู่ 3", "31/10/2569", "280,000", "เร่งรัดติดตาม", "38,500", "12,000",
        "นายสมพงษ์ ใจมั่น", "081-234-5678"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), tick=False):
        yield


def write_csv(path: Path, rows: list[list[str]], headers=HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def example_rows() -> list[dict]:
    """The example file's data rows, by header (read here, so the test follows the file)."""
    with EXAMPLE.open(encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]


def test_the_example_file_imports_with_its_funds_audited(db, cli):
    result = cli("import-funds", str(EXAMPLE))

    rows = example_rows()
    assert result.exit_code == 0, result.output
    assert f"สร้างใหม่ {len(rows)} แถว" in result.output
    with db.sessions() as s:
        entries = s.scalars(select(FundRegisterEntry).order_by(FundRegisterEntry.id)).all()
        assert len(entries) == len(rows)
        for entry, row in zip(entries, rows, strict=True):
            assert entry.fund.kind is FundKind.KKCJ
            assert entry.fund.area.path.endswith(f"{row['อำเภอ']}/{row['ตำบล']}/{row['หมู่บ้าน']}")
            assert entry.capital == Decimal(row["เงินทุน"].replace(",", ""))
            assert entry.problem_money == Decimal(row["เงินทุนที่มีปัญหา"].replace(",", ""))
            day, month, year = (int(x) for x in row["ณ วันที่"].split("/"))
            assert entry.as_of == date(year - 543, month, day)
        assert entries[0].status is FundStatus.FOLLOWUP
        assert entries[0].chair_phone == "0812345678"
        villages = {(r["อำเภอ"], r["ตำบล"], r["หมู่บ้าน"]) for r in rows}
        assert s.scalar(select(func.count()).select_from(Fund)) == len(villages)
        audits = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert {a.actor for a in audits} == {"import:fund_register_example.csv"}
        assert {a.source for a in audits} == {Source.IMPORT}
        actions = [a.action for a in audits]
        assert actions.count("fund.create") == len(villages)
        assert actions.count("fund_register.create") == len(rows)
        created = next(a for a in audits if a.action == "fund_register.create")
        assert created.after["capital"] == "280000.00"
        assert created.after["status"] == "followup"


def test_importing_again_changes_nothing(db, cli):
    assert cli("import-funds", str(EXAMPLE)).exit_code == 0
    audits = count(db, AuditEntry)

    again = cli("import-funds", str(EXAMPLE))

    assert again.exit_code == 0
    assert "สร้างใหม่ 0 แถว ปรับปรุง 0 แถว" in again.output
    assert count(db, AuditEntry) == audits
    assert count(db, FundRegisterEntry) == len(example_rows())


def test_a_corrected_figure_updates_the_entry_with_its_audit(db, cli, tmp_path):
    assert cli("import-funds", str(write_csv(tmp_path / "a.csv", [GOOD]))).exit_code == 0
    corrected = [*GOOD[:6], "30,000", *GOOD[7:]]

    result = cli("import-funds", str(write_csv(tmp_path / "b.csv", [corrected])))

    assert result.exit_code == 0, result.output
    assert "ปรับปรุง 1 แถว" in result.output
    with db.sessions() as s:
        entry = s.scalar(select(FundRegisterEntry))
        assert entry.problem_money == Decimal("30000")
        update = s.scalar(select(AuditEntry).where(AuditEntry.action == "fund_register.update"))
        assert update.actor == "import:b.csv"
        assert update.before == {"problem_money": "38500.00"}
        assert update.after == {"problem_money": "30000.00"}


def test_every_bad_row_is_reported_and_nothing_is_imported(db, cli, tmp_path):
    rows = [
        GOOD,  # row 2
        [*GOOD[:4], "สองแสน", *GOOD[5:]],  # 3: capital not an amount
        [*GOOD[:5], "ดีมาก", *GOOD[6:]],  # 4: no such status
        ["แก่งคอย", "ท่าคล้อ", "5", "31/10/2569", "100,000", "", "90,000", "20,000", "", ""],  # 5
        ["แก่งคอย", "ท่าคล้อ", "6", "1/1/2570", "100,000", "", "", "", "", ""],  # 6: future
        GOOD,  # 7: the fund and date of row 2 again
        ["", "ท่าคล้อ", "7", "31/10/2569", "100,000", "", "", "", "", ""],  # 8: no district
        [*GOOD[:6], "-5", *GOOD[7:]],  # 9: negative
    ]

    result = cli("import-funds", str(write_csv(tmp_path / "bad.csv", rows)))

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("bad.csv: มีข้อผิดพลาด 7 แถว")
    expected = [
        "แถว 3, คอลัมน์ เงินทุน: 'สองแสน'",
        "แถว 4, คอลัมน์ สถานะ: 'ดีมาก'",
        "แถว 5, คอลัมน์ เงินทุนที่เสียหาย: '20,000'",
        "แถว 6, คอลัมน์ ณ วันที่: '1/1/2570'",
        "แถว 7, คอลัมน์ หมู่บ้าน: 'หมู่ 3'",
        "แถว 8, คอลัมน์ อำเภอ:",
        "แถว 9, คอลัมน์ เงินทุนที่มีปัญหา: '-5'",
    ]
    for start, line in zip(expected, lines[1:], strict=True):
        assert line.startswith(start), line
    assert not any(line.startswith("แถว 2,") for line in lines)
    assert count(db, FundRegisterEntry) == 0
    assert count(db, Fund) == 0
    assert count(db, Area) == 0
    assert count(db, AuditEntry) == 0


def test_a_missing_column_is_one_line(db, cli, tmp_path):
    path = write_csv(tmp_path / "short.csv", [GOOD[:4]], headers=HEADERS[:4])

    result = cli("import-funds", str(path))

    assert result.exit_code == 1
    assert "ไม่พบคอลัมน์: เงินทุน (capital)" in result.output


def test_an_excel_sheet_with_english_headers_and_date_cells(db, cli, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["KKCJ register, Saraburi"])
    sheet.append(["district", "subdistrict", "village", "as_of", "capital", "status", "problem"])
    sheet.append(["หนองแค", "ห้วยขมิ้น", 1, datetime(2026, 9, 30), 250000, "followup", 20000.5])
    path = tmp_path / "funds.xlsx"
    book.save(path)

    result = cli("import-funds", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert count(db, FundRegisterEntry) == 0
    assert cli("import-funds", str(path)).exit_code == 0

    with db.sessions() as s:
        entry = s.scalar(select(FundRegisterEntry))
        assert (entry.as_of, entry.capital, entry.problem_money, entry.damaged_money) == (
            date(2026, 9, 30),
            Decimal(250000),
            Decimal("20000.5"),
            Decimal(0),
        )
        assert entry.fund.area.path == "สระบุรี/หนองแค/ห้วยขมิ้น/หมู่ 1"
