"""`fundbot arrears`, end to end: options, formats and errors, on the real database."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from bot.i18n import _, ngettext, use_locale
from bot.labels import bucket_label, class_label
from models.borrower import Borrower
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


def test_raw_csv_has_english_header_keys_and_plain_amounts(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--format", "csv", "--raw", "--contract", "K-1")

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
    table = cli("arrears", "--as-of", AS_OF, "--by", "district", "--format", "csv", "--raw")

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


# --- For Excel: --format csv (Thai, BE dates, BOM, Thai order, totals) and --format xlsx ---

FORMULA = '=HYPERLINK("http://evil.example/","click")'


@pytest.fixture
def offices(session, loans):
    """`loans`, and two contracts in เสาไห้ (after แก่งคอย in a Thai dictionary, before it in
    code points), one of them borrowed under a name that a spreadsheet would run."""
    book = Book(session)
    village = book.village("เสาไห้/ต้นตาล/หมู่ 4")
    sly = Borrower(name=FORMULA, name_key="sly", area=village)
    book.contract("S-1", [(date(2025, 1, 10), "2000.25", "0")], area="เสาไห้/ต้นตาล/หมู่ 4")
    book.contract("S-2", [(date(2025, 5, 10), "300", "0")], area="เสาไห้/ต้นตาล/หมู่ 4", borrower=sly)
    session.commit()


def excel_csv(cli, *args: str) -> tuple[str, list[list[str]]]:
    """`fundbot arrears --format csv ARGS`: its raw text and its rows (BOM taken off)."""
    result = cli("arrears", "--as-of", AS_OF, "--format", "csv", *args)
    assert result.exit_code == 0, result.output
    return result.stdout, list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))


def test_csv_for_excel_speaks_thai_with_be_dates_and_a_bom(cli, offices):
    text, [header, *body, total] = excel_csv(cli)

    assert text.startswith("\ufeff")
    with use_locale("th"):
        assert header[:3] == [_("Fund"), _("Contract"), _("Borrower")]
        rows = {row[1]: row for row in body}
        assert rows["K-1"][0] == "กองทุนพัฒนาบทบาทสตรี"
        assert rows["K-2"][0] == "กองทุน กข.คจ."
        assert rows["K-1"][7:9] == [bucket_label("1-30"), class_label("late")]
        assert total[0] == _("Total")
    assert rows["K-1"][3] == "แก่งคอย/หินซ้อน/หมู่ 3"
    assert rows["K-1"][4:7] == ["13345.50", "12345.50", "28"]
    assert rows["K-1"][9] == "1 เม.ย. 2568"  # next due, Buddhist Era
    assert "late" not in text and "2025-" not in text


def test_csv_rows_are_in_thai_dictionary_order(cli, offices):
    _text, [_header, *body, _total] = excel_csv(cli)

    districts = [row[3].split("/")[0] for row in body]
    assert districts == ["แก่งคอย", "แก่งคอย", "เมืองสระบุรี", "เสาไห้", "เสาไห้"]
    raw = cli("arrears", "--as-of", AS_OF, "--format", "csv", "--raw").stdout
    raw_areas = [row["area"].split("/")[1] for row in csv.DictReader(io.StringIO(raw))]
    assert raw_areas.index("เสาไห้") < raw_areas.index("แก่งคอย")  # scripts: as before


def test_csv_totals_are_the_sum_of_the_rows(cli, offices):
    _text, [_header, *body, total] = excel_csv(cli)

    for column in (4, 5):
        assert Decimal(total[column]) == sum(Decimal(row[column]) for row in body)
    assert total[1] == ngettext("%(num)d contract", "%(num)d contracts", 5)
    assert len(body) == 5


def test_csv_by_district_has_thai_names_order_and_totals(cli, offices):
    _text, [header, *body, total] = excel_csv(cli, "--by", "district")

    with use_locale("th"):
        assert header[0] == _("Area") and class_label("late") in header
        assert total[0] == _("Total")
    assert [row[0] for row in body] == ["แก่งคอย", "เมืองสระบุรี", "เสาไห้"]
    for column in range(1, len(header)):
        assert Decimal(total[column]) == sum(Decimal(row[column]) for row in body), header[column]
    assert total[1] == "5"


def test_csv_neutralises_a_name_that_looks_like_a_formula(cli, offices):
    for args in ((), ("--raw",)):
        text = cli("arrears", "--as-of", AS_OF, "--format", "csv", *args).stdout
        names = [row[2] for row in csv.reader(io.StringIO(text.removeprefix("\ufeff")))]
        assert "'" + FORMULA in names and FORMULA not in names


def test_csv_in_english(cli, offices, monkeypatch):
    monkeypatch.setenv("FUNDBOT_LOCALE", "en")

    _text, [header, *body, total] = excel_csv(cli)

    assert header[:2] == ["Fund", "Contract"] and total[0] == "Total"
    assert next(row for row in body if row[1] == "K-1")[9] == "1 Apr 2025"


def test_raw_is_only_for_csv(cli, loans):
    result = cli("arrears", "--as-of", AS_OF, "--raw")

    assert result.exit_code == 2
    assert "--raw" in result.stderr


def read_xlsx(path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path).active
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()], sheet


def test_xlsx_has_a_title_thai_headers_number_cells_and_totals(cli, offices, tmp_path):
    path = tmp_path / "arrears.xlsx"

    result = cli("arrears", "--as-of", AS_OF, "--format", "xlsx", "-o", str(path))

    assert result.exit_code == 0, result.output
    values, sheet = read_xlsx(path)
    title, blank, header, *body, total = values
    assert "1 มี.ค. 2568" in title[0] and "จังหวัดสระบุรี" in title[0]
    assert not any(blank)
    _text, [csv_header, *_rows] = excel_csv(cli)
    assert list(header) == csv_header
    # ท่าคล้อ before หินซ้อน; in a village, a name in Latin letters before Thai ones.
    assert [row[1] for row in body] == ["K-2", "K-1", "M-1", "S-2", "S-1"]
    k1 = body[1]
    assert k1[4:7] == (Decimal("13345.50"), Decimal("12345.50"), 28)
    assert k1[9] == "1 เม.ย. 2568"
    assert sheet.cell(row=4, column=5).number_format == "#,##0.00"
    assert total[4] == sum(row[4] for row in body)
    assert total[5] == sum(row[5] for row in body)
    sly = next(row for row in body if row[1] == "S-2")
    assert sly[2] == "'" + FORMULA
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_by_fund_to_standard_output(cli, offices):
    result = cli("arrears", "--as-of", AS_OF, "--format", "xlsx", "--by", "fund")

    assert result.exit_code == 0, result.output
    values, _sheet = read_xlsx(io.BytesIO(result.stdout_bytes))
    _title, _blank, header, *body, total = values
    assert sorted(row[0] for row in body) == ["กองทุน กข.คจ.", "กองทุนพัฒนาบทบาทสตรี"]
    for column in range(1, len(header)):
        assert total[column] == sum(row[column] for row in body)
    assert total[1] == 5


def test_xlsx_is_not_written_to_a_terminal(cli, loans, monkeypatch):
    monkeypatch.setattr("bot.cli.arrears._on_terminal", lambda: True)

    result = cli("arrears", "--as-of", AS_OF, "--format", "xlsx")

    assert result.exit_code != 0
    assert result.stdout == ""
    assert "-o" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_output_option_writes_any_format_to_a_file(cli, loans, tmp_path):
    for output in ("json", "csv", "table"):
        path = tmp_path / f"arrears.{output}"
        shown = cli("arrears", "--as-of", AS_OF, "--format", output)

        written = cli("arrears", "--as-of", AS_OF, "--format", output, "-o", str(path))

        assert written.exit_code == 0 and written.stdout == ""
        assert path.read_text(encoding="utf-8") == shown.stdout
