"""`fundbot report kkcj-monthly | kkcj-quarterly`: the follow-up files from the command line,
the same as the dashboard's, and the demo's fund register behind them."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import FundRegisterEntry
from models.kkcj_followup import followup_report, parse_quarter

EXAMPLE = Path(__file__).parent.parent / "data" / "fund_register_example.csv"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), tick=False):
        yield


def example_rows() -> list[dict]:
    with EXAMPLE.open(encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", "") or 0)


def test_the_monthly_report_from_the_imported_register(cli, tmp_path):
    assert cli("import-funds", str(EXAMPLE)).exit_code == 0
    out = tmp_path / "october.xlsx"

    result = cli("report", "kkcj-monthly", "--month", "10/2569", "-o", str(out))

    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    rows = example_rows()
    october = [r for r in rows if r["ณ วันที่"] == "31/10/2569"]
    september = {(r["อำเภอ"], r["ตำบล"], r["หมู่บ้าน"]): r for r in rows if r["ณ วันที่"] == "30/9/2569"}
    listed = [
        r for r in october
        if r["สถานะ"] == "เร่งรัดติดตาม" or (r["อำเภอ"], r["ตำบล"], r["หมู่บ้าน"]) in september
    ]  # fmt: skip
    sheet = load_workbook(out).active
    assert "ตุลาคม 2569" in sheet["A1"].value and "จังหวัดสระบุรี" in sheet["A1"].value
    assert "15 พ.ย. 2569" in sheet["A2"].value
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert len(body) == len(listed) + 1
    for line in body[:-1]:
        row = next(r for r in listed if (r["อำเภอ"], r["ตำบล"], r["หมู่บ้าน"]) == tuple(line[1:4]))
        before = september.get(tuple(line[1:4]))
        assert Decimal(str(line[6])) == money(row["เงินทุน"])
        assert Decimal(str(line[7])) == (money(before["เงินทุนที่มีปัญหา"]) if before else 0)
        assert Decimal(str(line[9])) == money(row["เงินทุนที่มีปัญหา"])
        assert Decimal(str(line[10])) == money(row["เงินทุนที่เสียหาย"])
    totals = body[-1]
    assert totals[0] == "รวม"
    assert Decimal(str(totals[9])) == sum(money(r["เงินทุนที่มีปัญหา"]) for r in listed)
    assert Decimal(str(totals[11])) == sum(
        money(r["เงินทุนที่มีปัญหา"]) + money(r["เงินทุนที่เสียหาย"]) for r in listed
    )


def test_the_quarterly_csv_for_one_district(cli, tmp_path, monkeypatch):
    assert cli("import-funds", str(EXAMPLE)).exit_code == 0

    result = cli("report", "kkcj-quarterly", "--quarter", "2570Q1", "--area", "แก่งคอย",
                 "--format", "csv")  # fmt: skip

    assert result.exit_code == 0, result.output
    written = Path("kkcj-quarterly-2570Q1.csv")
    data = written.read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert "ไตรมาส 1 ปีงบประมาณ 2570" in lines[0][0] and "แก่งคอย" in lines[0][0]
    assert all(line[1] == "แก่งคอย" for line in lines[3:-1])
    assert "หนองแค" not in data.decode("utf-8-sig")


def test_a_wrong_quarter_or_area_is_one_line(cli):
    result = cli("report", "kkcj-quarterly", "--quarter", "2570Q5")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "2570Q1" in result.output
    assert cli("report", "kkcj-monthly", "--area", "ไม่มี").exit_code == 1
    later = cli("report", "kkcj-monthly", "--month", "1/2570")
    assert later.exit_code == 1 and "2570-01" in later.output


def test_the_demo_has_a_fund_register_behind_its_kkcj_funds(cli, db):
    result = cli("seed-demo", "--borrowers", "300")
    assert result.exit_code == 0, result.output

    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(FundRegisterEntry)) > 0
        report = followup_report(s, ["สระบุรี"], parse_quarter("2570Q1"), date(2026, 12, 1))
    assert report.lines, "some demo funds are under follow-up"
    assert report.totals.at_risk > 0
    assert report.totals.lent > 0


def test_without_a_period_last_month_and_this_quarter(cli):
    assert cli("import-funds", str(EXAMPLE)).exit_code == 0

    assert cli("report", "kkcj-monthly").exit_code == 0
    assert cli("report", "kkcj-quarterly", "--format", "csv").exit_code == 0

    assert Path("kkcj-monthly-2569-11.xlsx").exists()  # today is 1 December 2569
    assert Path("kkcj-quarterly-2570Q1.csv").exists()
