"""`fundbot import`: the debtor register, checked first, written all at once, idempotent."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import time_machine
from click._termui_impl import ProgressBar
from sqlalchemy import func, select, text

import models
from bot.cli.importer import PROGRESS_ABOVE_ROWS, _progress_bar
from models import Area, AuditEntry, Borrower, Contract, Fund, Payment
from models.audit import Actor
from models.borrower import find_or_create_borrower, hash_national_id
from models.types import BorrowerKind, Frequency, FundKind, PaymentChannel, Source

EXAMPLE = Path(__file__).parent.parent / "data" / "register_example.csv"
THAI = {
    "fund": "กองทุน",
    "province": "จังหวัด",
    "contract_no": "เลขที่สัญญา",
    "borrower_name": "ชื่อผู้กู้",
    "borrower_type": "ประเภทผู้กู้",
    "national_id": "เลขบัตรประชาชน",
    "phone": "โทรศัพท์",
    "district": "อำเภอ",
    "subdistrict": "ตำบล",
    "village": "หมู่บ้าน",
    "principal": "เงินต้น",
    "annual_interest_rate": "อัตราดอกเบี้ย",
    "contract_date": "วันที่ทำสัญญา",
    "first_due_date": "วันครบกำหนดงวดแรก",
    "installments": "จำนวนงวด",
    "frequency": "ความถี่",
    "paid_to_date": "ชำระแล้ว",
}
KEYS = list(THAI)
# 13 digits with a valid check digit (see test_thai_input), and a second one.
NID = "3100500123458"
NID2 = "3199900345677"


def thai_row(**changes) -> dict:
    """A good Thai register row (BE dates, Thai words), with `changes` applied."""
    row = {
        "fund": "กองทุนพัฒนาบทบาทสตรี",
        "province": "",
        "contract_no": "ส.001/2566",
        "borrower_name": "นางสาวสมศรี ใจดี",
        "borrower_type": "บุคคล",
        "national_id": "3-1005-00123-45-8",
        "phone": "081-234-5678",
        "district": "แก่งคอย",
        "subdistrict": "หินซ้อน",
        "village": "หมู่ 3",
        "principal": "12,000",
        "annual_interest_rate": "3",
        "contract_date": "15/1/2566",
        "first_due_date": "15/2/2566",
        "installments": "12",
        "frequency": "รายเดือน",
        "paid_to_date": "",
    }
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict], *, thai=True, bom=False, delimiter=",") -> Path:
    """A register CSV with Thai (or English) headers."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([THAI[k] if thai else k for k in KEYS])
        for row in rows:
            writer.writerow([row.get(k, "") for k in KEYS])
    return path


def table_counts(db) -> dict[str, int]:
    """Rows in every table, to show an import wrote nothing (or nothing more)."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in models.Base.metadata.sorted_tables
        }


def only(session, model):
    """The single row of `model`."""
    (row,) = session.scalars(select(model)).all()
    return row


# ---------------------------------------------------------------------------- good files


def test_the_example_register_imports_20_contracts(db, cli):
    result = cli("import", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 20
        # นางสมศรี ใจดี holds a Women's Fund and a KKCJ contract: one borrower, found by ID.
        assert s.scalar(select(func.count()).select_from(Borrower)) == 19
        funds = {f.name: f.kind for f in s.scalars(select(Fund))}
        assert funds["กองทุนพัฒนาบทบาทสตรีจังหวัดสระบุรี"] is FundKind.WOMENS_FUND
        assert funds["กข.คจ. สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3"] is FundKind.KKCJ
        assert len(funds) == 5
        # "1/2565" is a contract number in two village funds: unique per fund, not overall.
        same_number = s.scalars(select(Contract).where(Contract.contract_no == "1/2565")).all()
        assert len({c.fund_id for c in same_number}) == 2
        districts = s.scalars(select(Area.name).where(Area.level == "district")).all()
        assert len(districts) == 13
        # The row written in Thai digits (๑/๙/๒๕๖๖, ๑๒ งวด, ๔,๐๐๐ paid).
        thai_digits = s.scalar(select(Contract).where(Contract.contract_no == "ส.007/2566"))
        assert thai_digits.contract_date == date(2023, 9, 1)
        assert thai_digits.installment_count == 12
        paid = s.scalar(select(func.sum(Payment.amount)).where(Payment.contract == thai_digits))
        assert paid == Decimal("4000.00")


def test_thai_headers_with_be_dates_and_thai_digits(db, cli, tmp_path):
    rows = [
        thai_row(),
        thai_row(
            contract_no="ส.๐๐๒/๒๕๖๖",
            borrower_name="นายสมชาย  ทองดี",
            national_id="",
            phone="๐๘๙ ๑๑๑ ๒๒๓๓",
            village="๕",
            principal="๒๐,๐๐๐.๕๐",
            annual_interest_rate="3.5%",
            contract_date="1 มี.ค. 66",
            first_due_date="1 เมษายน 2566",
            installments="๒๔",
        ),
    ]
    result = cli("import", str(write_csv(tmp_path / "ทะเบียน.csv", rows)))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        first = s.scalar(select(Contract).where(Contract.contract_no == "ส.001/2566"))
        assert (first.contract_date, first.first_due_date) == (date(2023, 1, 15), date(2023, 2, 15))
        assert first.borrower.title == "นางสาว"
        assert first.borrower.name == "สมศรี ใจดี"
        second = s.scalar(select(Contract).where(Contract.contract_no == "ส.002/2566"))
        assert second.principal == Decimal("20000.50")
        assert second.annual_interest_rate == Decimal("3.5")
        assert second.contract_date == date(2023, 3, 1)
        assert second.first_due_date == date(2023, 4, 1)
        assert second.installment_count == 24
        assert second.frequency is Frequency.MONTHLY
        assert second.borrower.name == "สมชาย ทองดี"
        assert second.borrower.phone == "0891112233"
        # The province defaults to FUNDBOT_PROVINCE; "๕" is village number 5.
        assert second.borrower.area.path == "สระบุรี/แก่งคอย/หินซ้อน/หมู่ 5"
        assert len(second.installments) == 24


def test_english_headers_iso_dates_and_excel_cells_in_xlsx(db, cli, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Debtor register of Saraburi, March 2026"])  # a title above the header
    sheet.append(
        [
            " Fund *",
            "CONTRACT_NO",
            "borrower_name*",
            "phone",
            "national_id",
            "district",
            "subdistrict",
            "village",
            "principal",
            "annual_interest_rate",
            "contract_date",
            "first_due_date",
            "installments",
            "frequency",
            "paid_to_date",
            "remarks",  # not a register column: ignored
        ]
    )
    sheet.append(
        [
            "kkcj",
            1001,  # a number cell
            "Mrs. Jane Smith",
            812345678,  # a number cell: Excel dropped the leading zero
            int(NID),
            "หนองแค",
            "กุ่มหัก",
            3,
            15000,
            0,
            datetime(2024, 2, 29),  # a real date cell
            "2025-02-28",
            5,
            "yearly",
            3000.5,
            "pays at the temple fair",
        ]
    )
    sheet.append(
        [
            "womens_fund",
            "WF-7",
            "Group of weavers",
            None,
            None,
            "หนองแค",
            "กุ่มหัก",
            "หมู่ที่ 3",
            "8,000",
            0.035,  # shown as 3.5% by the cell's format
            datetime(2569, 3, 15),  # a date cell typed with the Buddhist year
            datetime(2569, 4, 15),
            "8",
            "Monthly",
            None,
        ]
    )
    sheet.cell(row=4, column=10).number_format = "0.0%"
    path = tmp_path / "register.xlsx"
    workbook.save(path)

    result = cli("import", str(path))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        kkcj = s.scalar(select(Contract).where(Contract.contract_no == "1001"))
        assert kkcj.fund.kind is FundKind.KKCJ
        assert kkcj.fund.name == "กข.คจ. สระบุรี/หนองแค/กุ่มหัก/หมู่ 3"
        assert kkcj.contract_date == date(2024, 2, 29)
        assert kkcj.frequency is Frequency.YEARLY
        assert kkcj.borrower.phone == "0812345678"
        assert (kkcj.borrower.title, kkcj.borrower.name) == ("Mrs.", "Jane Smith")
        paid = s.scalar(select(func.sum(Payment.amount)).where(Payment.contract == kkcj))
        assert paid == Decimal("3000.50")
        womens = s.scalar(select(Contract).where(Contract.contract_no == "WF-7"))
        assert womens.annual_interest_rate == Decimal("3.5")
        assert womens.contract_date == date(2026, 3, 15)
        # "หมู่ที่ 3" and 3 are the same village.
        assert womens.borrower.area_id == kkcj.borrower.area_id
        assert womens.borrower.kind is BorrowerKind.PERSON


def test_csv_with_bom_and_semicolons(db, cli, tmp_path):
    path = write_csv(
        tmp_path / "register.csv",
        [thai_row(), thai_row(contract_no="ส.002/2566", national_id="", borrower_name="นายดี")],
        bom=True,
        delimiter=";",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = cli("import", str(path))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 2


def test_dry_run_counts_and_writes_nothing(db, cli):
    result = cli("import", "--dry-run", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert "20" in result.stdout
    assert set(table_counts(db).values()) == {0}


def test_a_kkcj_row_creates_its_village_fund_interest_free(db, cli, tmp_path):
    row = thai_row(
        fund="กข.คจ.",
        contract_no="1/2565",
        village="หมู่บ้านหนองน้ำใส",
        annual_interest_rate="0",
        installments="5",
        frequency="รายปี",
    )
    result = cli("import", str(write_csv(tmp_path / "kkcj.csv", [row])))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        fund = only(s, Fund)
        assert fund.kind is FundKind.KKCJ
        assert fund.area.path == "สระบุรี/แก่งคอย/หินซ้อน/หมู่บ้านหนองน้ำใส"
        assert fund.name == "กข.คจ. สระบุรี/แก่งคอย/หินซ้อน/หมู่บ้านหนองน้ำใส"
        contract = only(s, Contract)
        assert all(i.interest_due == 0 for i in contract.installments)
        assert [i.due_date.year for i in contract.installments] == [2023, 2024, 2025, 2026, 2027]


def test_the_national_id_is_stored_only_as_a_keyed_hash_and_last4(db, cli, env):
    result = cli("import", str(EXAMPLE))
    assert result.exit_code == 0, result.output

    with db.engine.connect() as connection:
        for table in ("borrower", "audit_log"):
            dump = " ".join(
                str(value)
                for row in connection.execute(text(f"SELECT * FROM {table}"))
                for value in row
            )
            assert NID not in dump
            assert "3-1005-00123-45-8" not in dump
    with db.sessions() as s:
        borrower = s.scalar(select(Borrower).where(Borrower.national_id_last4 == "3458"))
        assert borrower.national_id_hash == hash_national_id(env["FUNDBOT_SECRET_KEY"], NID)
        assert borrower.national_id_hash != hash_national_id("another installation", NID)


# ---------------------------------------------------------------------------- bad files


def test_every_bad_row_is_reported_and_nothing_is_imported(db, cli, tmp_path):
    rows = [
        thai_row(),  # row 2: good
        thai_row(contract_no="ส.002", principal="12,0x0"),  # row 3
        {},  # row 4: blank, skipped
        thai_row(contract_no="ส.003", national_id="3100500123459", phone="12345"),  # row 5
        thai_row(contract_no="ส.004", contract_date="31/2/2566", fund="ธนาคาร"),  # row 6
        thai_row(contract_no="ส.005", first_due_date="1/1/2566"),  # row 7: before the contract
        thai_row(contract_no="ส.006", installments="0", annual_interest_rate="120"),  # row 8
        thai_row(contract_no="ส.001/2566", borrower_name=""),  # row 9
        thai_row(contract_no="ส.001/2566", national_id="", borrower_name="นายอื่น"),  # row 10
        thai_row(contract_no="ส.008", paid_to_date="50,000", frequency="ทุกวัน"),  # row 11
        thai_row(contract_no="ส.009", paid_to_date="50,000"),  # row 12: more than owed
    ]
    result = cli("import", str(write_csv(tmp_path / "bad.csv", rows)))

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    expected = [
        ("3", "เงินต้น", "'12,0x0'"),
        ("5", "เลขบัตรประชาชน", "'3100500123459'"),
        ("5", "โทรศัพท์", "'12345'"),
        ("6", "กองทุน", "'ธนาคาร'"),
        ("6", "วันที่ทำสัญญา", "'31/2/2566'"),
        ("7", "วันครบกำหนดงวดแรก", "'1/1/2566'"),
        ("8", "อัตราดอกเบี้ย", "'120'"),
        ("8", "จำนวนงวด", "'0'"),
        ("9", "ชื่อผู้กู้", None),
        ("10", "เลขที่สัญญา", "'ส.001/2566'"),
        ("11", "ความถี่", "'ทุกวัน'"),
        ("12", "ชำระแล้ว", "'50,000'"),
    ]
    assert len(lines) == 1 + len(expected), result.stderr
    for line, (row, column, value) in zip(lines[1:], expected, strict=True):
        assert row in line and column in line, line
        assert value is None or value in line, line
    assert "9" in lines[0]  # nine bad rows
    assert not any("4" in line.split(",")[0] for line in lines[1:])  # the blank row
    assert set(table_counts(db).values()) == {0}


def test_a_missing_required_column_is_reported_once(db, cli, tmp_path):
    path = tmp_path / "no_principal.csv"
    header = [THAI[k] for k in KEYS if k != "principal"]
    body = [[thai_row(contract_no=f"ส.{n}")[k] for k in KEYS if k != "principal"] for n in range(5)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])

    result = cli("import", str(path))

    assert result.exit_code == 1
    assert result.stderr.count("เงินต้น") == 1
    assert set(table_counts(db).values()) == {0}


def test_a_file_without_a_header_row_or_of_another_kind_is_refused(db, cli, tmp_path):
    no_header = tmp_path / "numbers.csv"
    no_header.write_text("1,2,3\n4,5,6\n", encoding="utf-8")
    result = cli("import", str(no_header))
    assert result.exit_code == 1
    assert "เลขที่สัญญา" in result.stderr  # names the columns it expected

    other = tmp_path / "register.pdf"
    other.write_bytes(b"%PDF-1.4")
    result = cli("import", str(other))
    assert result.exit_code == 1
    assert "Traceback" not in result.output

    result = cli("import", str(tmp_path / "missing.csv"))
    assert result.exit_code == 1
    assert "missing.csv" in result.stderr


# ---------------------------------------------------------------------------- importing again


def test_importing_the_same_file_again_changes_nothing(db, cli):
    assert cli("import", str(EXAMPLE)).exit_code == 0
    before = table_counts(db)

    result = cli("import", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert table_counts(db) == before
    assert before["audit_log"] > 0 and before["payment"] > 0
    assert "20" in result.stdout  # twenty unchanged


@time_machine.travel(datetime(2026, 3, 10, 20, 0, tzinfo=UTC), tick=False)
def test_a_new_phone_or_name_updates_the_borrower_with_an_audit_entry(db, cli, tmp_path):
    assert cli("import", str(write_csv(tmp_path / "a.csv", [thai_row()]))).exit_code == 0
    # The same ID; a new phone; the register now writes the name with "น.ส.".
    changed = thai_row(phone="0899999999", borrower_name="น.ส.สมศรี ใจงาม")

    result = cli("import", str(write_csv(tmp_path / "b.csv", [changed])))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        borrower = only(s, Borrower)
        assert (borrower.title, borrower.name, borrower.phone) == (
            "น.ส.",
            "สมศรี ใจงาม",
            "0899999999",
        )
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "borrower.update"))
        assert entry.actor == "import:b.csv"
        assert entry.source is Source.IMPORT
        assert entry.before == {"title": "นางสาว", "name": "สมศรี ใจดี", "phone": "0812345678"}
        assert entry.after["phone"] == "0899999999"
        assert s.scalar(select(func.count()).select_from(Contract)) == 1


@time_machine.travel(datetime(2026, 3, 10, 20, 0, tzinfo=UTC), tick=False)
def test_a_higher_paid_to_date_records_the_difference_a_lower_one_is_refused(db, cli, tmp_path):
    first = write_csv(tmp_path / "a.csv", [thai_row(paid_to_date="1,000")])
    assert cli("import", str(first)).exit_code == 0

    result = cli("import", str(write_csv(tmp_path / "b.csv", [thai_row(paid_to_date="2,500")])))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        payments = s.scalars(select(Payment).order_by(Payment.id)).all()
        assert [p.amount for p in payments] == [Decimal("1000.00"), Decimal("1500.00")]
        assert {p.channel for p in payments} == {PaymentChannel.IMPORT}
        # 20:00 UTC on 10 March is already 11 March in Bangkok.
        assert payments[1].paid_on == date(2026, 3, 11)
    before = table_counts(db)

    lower = cli("import", str(write_csv(tmp_path / "c.csv", [thai_row(paid_to_date="2,000")])))

    assert lower.exit_code == 1
    assert "ชำระแล้ว" in lower.stderr and "'2,000'" in lower.stderr
    assert table_counts(db) == before


def test_changed_loan_terms_of_an_imported_contract_are_refused(db, cli, tmp_path):
    assert cli("import", str(write_csv(tmp_path / "a.csv", [thai_row()]))).exit_code == 0
    before = table_counts(db)
    changed = [thai_row(principal="15,000", installments="10"), thai_row(contract_no="ส.2")]

    result = cli("import", str(write_csv(tmp_path / "b.csv", changed)))

    assert result.exit_code == 1
    (heading, problem) = result.stderr.splitlines()
    assert "2" in problem and "เงินต้น" in problem and "จำนวนงวด" in problem
    assert "restructure" in problem
    assert table_counts(db) == before  # the good new row was not imported either


def test_one_borrower_told_two_phones_in_one_file_is_refused(db, cli, tmp_path):
    rows = [thai_row(), thai_row(contract_no="ส.2", phone="0899999999")]
    result = cli("import", str(write_csv(tmp_path / "a.csv", rows)))

    assert result.exit_code == 1
    assert "0899999999" in result.stderr and "โทรศัพท์" in result.stderr


def test_long_files_get_a_progress_bar_on_stderr():
    short = _progress_bar(list(range(PROGRESS_ABOVE_ROWS)))
    long = _progress_bar(list(range(PROGRESS_ABOVE_ROWS + 1)))

    with short as rows:
        assert rows == list(range(PROGRESS_ABOVE_ROWS))
    assert isinstance(long, ProgressBar)
    assert long.file is sys.stderr
    assert long.length == PROGRESS_ABOVE_ROWS + 1


# ---------------------------------------------------------------------------- identity


def _village(session):
    from models.area import ensure_area

    return ensure_area(session, "สระบุรี", "แก่งคอย", "หินซ้อน", "3")


def test_a_borrower_is_found_again_by_name_without_title_in_the_same_village(session):
    actor = Actor("test", Source.CLI)
    village = _village(session)
    common = dict(secret_key="k", kind=BorrowerKind.PERSON, village=village, locale="th")
    first = find_or_create_borrower(
        session, actor, name="นางสาวมาลี ศรีสุข", phone=None, national_id=None, **common
    )
    again = find_or_create_borrower(
        session, actor, name="มาลี  ศรีสุข", phone="0812345678", national_id=NID, **common
    )
    other = find_or_create_borrower(
        session, actor, name="นางสาวมาลี ศรีสุข", phone=None, national_id=NID2, **common
    )

    assert again is first
    assert (first.title, first.phone, first.national_id_last4) == ("นางสาว", "0812345678", "3458")
    # Same name and village, another ID: another person.
    assert other is not first
    assert other.national_id_last4 == "5677"


def test_a_restructured_contract_imports_again_without_complaint(db, cli, tmp_path):
    from models.relief_rules import restructure

    path = write_csv(tmp_path / "a.csv", [thai_row()])
    assert cli("import", str(path)).exit_code == 0
    with db.session() as s:
        contract = only(s, Contract)
        restructure(
            s,
            Actor("test", Source.CLI),
            contract,
            installments=24,
            first_due=date(2023, 8, 15),
            rate=Decimal("1"),
            effective=date(2023, 7, 1),
        )
    before = table_counts(db)

    # The register still states the first terms (12 monthly installments at 3%).
    result = cli("import", str(path))

    assert result.exit_code == 0, result.output
    assert table_counts(db) == before


def test_an_id_belonging_to_another_borrower_is_refused(db, cli, tmp_path):
    rows = [thai_row(), thai_row(contract_no="ส.2", borrower_name="นายดำ", national_id=NID2)]
    assert cli("import", str(write_csv(tmp_path / "a.csv", rows))).exit_code == 0
    # Contract ส.2 now given สมศรี's ID: a mistake, not a reason to merge two people.
    swapped = [thai_row(contract_no="ส.2", borrower_name="นายดำ", national_id=NID)]

    result = cli("import", str(write_csv(tmp_path / "b.csv", swapped)))

    assert result.exit_code == 1
    assert "เลขบัตรประชาชน" in result.stderr and "ส.2" in result.stderr


def test_a_csv_saved_by_thai_windows_excel_is_read(db, cli, tmp_path):
    path = tmp_path / "tis620.csv"
    utf8 = write_csv(tmp_path / "utf8.csv", [thai_row()])
    path.write_bytes(utf8.read_text(encoding="utf-8").encode("cp874"))

    result = cli("import", str(path))

    assert result.exit_code == 0, result.output
    with db.sessions() as s:
        assert only(s, Borrower).name == "สมศรี ใจดี"
