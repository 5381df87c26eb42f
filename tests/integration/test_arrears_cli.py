"""`fundbot arrears`, end to end: options, formats and errors, on the real database."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import UTC, date, datetime

import pytest
import time_machine

from bot.i18n import _, use_locale
from models.types import FundKind
from tests.integration.test_arrears import Book

AS_OF = "2025-03-01"


@pytest.fixture
def loans(session):
    """Three contracts on 1 Mar 2025: one late, one current, one in another district."""
    book = Book(session)
    book.contract("K-1", [(date(2025, 2, 1), "12345.5", "0"), (date(2025, 4, 1), "1000", "0")])
    book.contract(
        "K-2",
        [(date(2025, 3, 1), "500", "25")],
        area="แก่งคอย/ท่าคล้อ/หมู่ 1",
        kind=FundKind.KKCJ,
    )
    book.contract("M-1", [(date(2025, 2, 20), "700", "0")], area="เมืองสระบุรี/ปากเพรียว/หมู่ 2")
    session.commit()


def test_json_lists_every_contract_with_its_figures(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--format", "json")

    assert result.exit_code == 0, result.output
    rows = {row["contract_no"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["M-1", "K-2", "K-1"]  # by area path
    assert rows["K-1"] == {
        "fund": "womens_fund",
        "contract_no": "K-1",
        "borrower_name": "ผู้กู้ K-1",
        "area": "สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3",
        "outstanding_principal": "13345.50",
        "overdue_amount": "12345.50",
        "days_past_due": 28,
        "aging_bucket": "1-30",
        "debtor_class": "late",
        "next_due_date": "2025-04-01",
        "next_due_amount": "1000.00",
    }
    assert (rows["K-2"]["fund"], rows["K-2"]["debtor_class"]) == ("kkcj", "normal")
    assert rows["K-2"]["next_due_amount"] == "525.00"  # due today: due, not overdue


def test_thai_buddhist_era_date_means_the_same_day(cli, loans):
    iso = cli("arrears", "--as-of", AS_OF, "--format", "json")
    thai = cli("arrears", "--as-of", "1/3/2568", "--format", "json")

    assert thai.exit_code == 0, thai.output
    assert json.loads(thai.stdout) == json.loads(iso.stdout)


def test_csv_has_english_header_keys_and_plain_amounts(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--format", "csv", "--contract", "K-1")

    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(row) == [
        "fund",
        "contract_no",
        "borrower_name",
        "area",
        "outstanding_principal",
        "overdue_amount",
        "days_past_due",
        "aging_bucket",
        "debtor_class",
        "next_due_date",
        "next_due_amount",
    ]
    assert (row["outstanding_principal"], row["overdue_amount"], row["days_past_due"]) == (
        "13345.50",
        "12345.50",
        "28",
    )


def test_table_is_in_thai_by_default(cli, loans):
    result = cli("arrears", "--as-of", AS_OF)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    with use_locale("th"):
        headers = [_("Contract"), _("Outstanding principal"), _("Days past due")]
    assert all(header in lines[1] for header in headers)
    assert "1 มี.ค. 2568" in lines[0]  # the as-of date, Buddhist Era
    k1 = next(line for line in lines if "K-1" in line)
    assert "13,345.50" in k1 and "12,345.50" in k1
    assert "1 เม.ย. 2568" in k1  # next due date
    assert "แก่งคอย/หินซ้อน/หมู่ 3" in k1 and "สระบุรี/" not in k1


def screen_width(text: str) -> int:
    """Columns a terminal gives `text`: Thai vowel and tone marks (Mn) sit on a letter."""
    return sum(1 for char in text if unicodedata.category(char) != "Mn")


def test_table_columns_line_up_with_thai_text(cli, loans):
    lines = cli("arrears", "--as-of", AS_OF).stdout.splitlines()

    column_ends = [match.end() for match in re.finditer(r"-+", lines[2])]
    outstanding_end = column_ends[4]
    for contract_no, amount in (("K-1", "13,345.50"), ("K-2", "500.00"), ("M-1", "700.00")):
        line = next(line for line in lines if contract_no in line)
        # Names and areas before the amount carry marks above and below Thai letters
        # ("ผู้กู้", "หมู่"), which take no width on screen.
        shown = screen_width(line[: line.index(amount) + len(amount)])
        assert shown == outstanding_end, (contract_no, shown, outstanding_end)


def test_table_in_english(cli, loans, monkeypatch):
    monkeypatch.setenv("FUNDBOT_LOCALE", "en")

    result = cli("arrears", "--as-of", AS_OF)

    assert result.exit_code == 0, result.output
    assert "Outstanding principal" in result.stdout
    assert "1 Mar 2025" in result.stdout
    assert "3 contracts" in result.stdout.splitlines()[-1]


def test_area_option_scopes_the_answer(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--area", "แก่งคอย", "--format", "json")
    sub = cli("arrears", "--as-of", AS_OF, "--area", "แก่งคอย/ท่าคล้อ/1", "--format", "json")

    assert [r["contract_no"] for r in json.loads(result.stdout)] == ["K-2", "K-1"]
    assert [r["contract_no"] for r in json.loads(sub.stdout)] == ["K-2"]


def test_unknown_area_is_an_error_in_the_users_language(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--area", "แก่งคอย2")

    assert result.exit_code != 0
    with use_locale("th"):
        assert _("Unknown area: %(path)s", path="แก่งคอย2") in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_unknown_contract_is_an_error(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--contract", "NOPE")

    assert result.exit_code != 0
    assert "NOPE" in result.stderr


def test_by_district_json_and_csv(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--by", "district", "--format", "json")
    table = cli("arrears", "--as-of", AS_OF, "--by", "district", "--format", "csv")

    assert result.exit_code == 0, result.output
    districts = {d["area"]: d for d in json.loads(result.stdout)}
    assert list(districts) == ["สระบุรี/เมืองสระบุรี", "สระบุรี/แก่งคอย"]
    kaeng_khoi = districts["สระบุรี/แก่งคอย"]
    assert (kaeng_khoi["contracts"], kaeng_khoi["outstanding_principal"]) == (2, "13845.50")
    assert kaeng_khoi["overdue_amount"] == "12345.50"
    assert kaeng_khoi["debtor_classes"]["late"] == 1
    assert kaeng_khoi["debtor_classes"]["normal"] == 1
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["area"] for r in rows] == list(districts)
    assert rows[1]["aging_1-30"] == "1" and rows[1]["late"] == "1"


def test_by_fund_table(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--by", "fund", "--format", "json")

    assert result.exit_code == 0, result.output
    totals = {t["fund"]: t for t in json.loads(result.stdout)}
    assert totals["kkcj"]["contracts"] == 1
    assert totals["womens_fund"]["overdue_amount"] == "13045.50"


def test_by_area_table_has_translated_headers(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--by", "subdistrict")

    assert result.exit_code == 0, result.output
    with use_locale("th"):
        assert _("Overdue contracts") in result.stdout.splitlines()[1]
    assert "แก่งคอย/ท่าคล้อ" in result.stdout


def test_contract_and_by_together_is_a_usage_error(cli, loans):
    result = cli("arrears", "--contract", "K-1", "--by", "district")

    assert result.exit_code == 2
    assert "--by" in result.stderr


def test_as_of_defaults_to_today_in_bangkok(cli, loans):
    # 20:00 UTC on 28 Feb is already 1 March in Bangkok.
    with time_machine.travel(datetime(2025, 2, 28, 20, 0, tzinfo=UTC), tick=False):
        result = cli("arrears", "--contract", "K-1", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["days_past_due"] == 28
