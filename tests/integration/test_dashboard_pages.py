"""The dashboard's pages and exports: figures, filters, and never a debtor outside one's areas."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from models.staff_login import create_demo_logins, list_logins
from tests.dashboard_data import (  # noqa: F401 - fixtures
    NOON_15_MARCH_2026,
    at_noon_15_march,
    build_province,
    dashboard_app,
    log_in,
)
from tests.factories import make_borrower, make_contract, make_village


@pytest.fixture
def debtors(session):
    return build_province(session)


@pytest.fixture
def staff_a(app, debtors):
    """A fund staff of แก่งคอย, logged in."""
    client = app.test_client()
    assert log_in(client, "somchai").status_code == 302
    return client


@pytest.fixture
def admin(app, debtors):
    client = app.test_client()
    assert log_in(client, "admin").status_code == 302
    return client


def test_overview_of_a_zone_against_its_baseline_and_target(staff_a):
    page = staff_a.get("/staff/").text
    assert '<p class="big" id="overdue-now">0.00 บาท</p>' in page
    assert '<p class="big" id="baseline">4,000.00 บาท</p>' in page  # Jun-Sep were overdue
    assert '<p class="big" id="target">3,600.00 บาท</p>' in page
    assert '<p class="big" id="collected">9,500.00 บาท</p>' in page
    assert "บรรลุเป้าหมายแล้ว" in page
    assert "15 มี.ค. 2569" in page and "1 ต.ค. 2568" in page  # Buddhist Era
    assert "แก่งคอย" in page
    assert "หนองแค" not in page


def test_the_admin_sees_the_province_and_how_far_from_the_target(admin):
    page = admin.get("/staff/").text
    assert '<p class="big" id="overdue-now">9,000.00 บาท</p>' in page  # B owes Jun-Feb
    assert '<p class="big" id="baseline">8,000.00 บาท</p>' in page
    assert '<p class="big" id="target">7,200.00 บาท</p>' in page
    assert "ต้องลดอีก 1,800.00 บาท" in page
    assert "แก่งคอย" in page and "หนองแค" in page


def test_the_overview_draws_the_weekly_trend_against_baseline_and_target(admin, session):
    from models.dashboard_queries import keep_overview_ready

    first = admin.get("/staff/").text  # today, the baseline and two more weeks
    assert first.count("<circle") == 4
    assert "ยังคำนวณอยู่ค่ะ" in first
    keep_overview_ready(session, ["สระบุรี"], NOON_15_MARCH_2026.date())  # the scheduler's job
    session.commit()
    page = admin.get("/staff/").text
    assert "ยังคำนวณอยู่ค่ะ" not in page
    chart = page[page.index('<svg class="trend"') : page.index("</svg>")]
    # 1 October 2025 and every 7th day to 11 March, then today: 25 points, dated in BE.
    assert chart.count("<circle") == 25
    assert "<title>1 ต.ค. 2568: 8,000.00 บาท</title>" in chart
    assert "<title>15 มี.ค. 2569: 9,000.00 บาท</title>" in chart
    assert "วันฐาน 1 ตุลาคม: 8,000.00 บาท" in chart or "8,000.00 บาท</title></line>" in chart
    assert "7,200.00 บาท</title></line>" in chart  # the target line
    assert "1/10/68" in chart  # the first date label, Buddhist Era


def test_the_overview_follows_a_payment_made_after_it_was_shown(admin, session, debtors):
    from decimal import Decimal

    from models.contract import Contract
    from models.ledger import record_payment
    from models.types import PaymentChannel
    from tests.factories import TEST_ACTOR

    assert '<p class="big" id="overdue-now">9,000.00 บาท</p>' in admin.get("/staff/").text
    contract = session.query(Contract).filter_by(contract_no="W-002").one()
    record_payment(
        session, TEST_ACTOR, contract, Decimal("2000"), NOON_15_MARCH_2026.date(),
        PaymentChannel.CASH_OFFICER,
    )  # fmt: skip
    session.commit()
    page = admin.get("/staff/").text
    assert '<p class="big" id="overdue-now">7,000.00 บาท</p>' in page
    assert '<p class="big" id="baseline">8,000.00 บาท</p>' in page
    # Back-dated before the baseline: the baseline and every week move too.
    september = date(2025, 9, 15)
    record_payment(
        session, TEST_ACTOR, contract, Decimal("1000"), september, PaymentChannel.CASH_OFFICER
    )
    session.commit()
    page = admin.get("/staff/").text
    assert '<p class="big" id="baseline">7,000.00 บาท</p>' in page
    assert "<title>1 ต.ค. 2568: 7,000.00 บาท</title>" in page


def test_a_district_opens_to_its_subdistricts(admin):
    page = admin.get("/staff/?area=สระบุรี/หนองแค").text
    assert "ห้วยขมิ้น" in page and "หินซ้อน" not in page
    assert admin.get("/staff/?area=สระบุรี/หนองแค/ห้วยขมิ้น").status_code == 200


def test_a_district_outside_ones_areas_is_not_found(staff_a):
    response = staff_a.get("/staff/?area=สระบุรี/หนองแค")
    assert response.status_code == 404
    assert "นอกพื้นที่" in response.text and "ห้วยขมิ้น" not in response.text


def test_who_paid_lists_the_months_installments_with_totals(admin):
    page = admin.get("/staff/paid?month=2026-03").text
    assert "สมศรี ใจดี" in page and "บุญมี ศรีสุข" in page
    assert "ชำระบางส่วน" in page and "ยังไม่ชำระ" in page
    assert "2,000.00 บาท" in page  # due over both
    assert "500.00 บาท" in page  # paid
    assert "1,500.00 บาท" in page  # remaining
    assert "15 มี.ค. 2569" in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status=unpaid", "บุญมี", "สมศรี"),
        ("status=partial", "สมศรี", "บุญมี"),
        ("q=ใจดี", "สมศรี", "บุญมี"),
        ("q=W-002", "บุญมี", "สมศรี"),
        ("q=0898", "บุญมี", "สมศรี"),
        ("class=defaulted", "บุญมี", "สมศรี"),  # B is over 90 days late
        ("class=normal", "สมศรี", "บุญมี"),
    ],
)
def test_who_paid_filters(admin, query, shown, hidden):
    page = admin.get(f"/staff/paid?month=2026-03&{query}").text
    assert shown in page and hidden not in page


def test_who_paid_filters_by_district(admin, app, debtors, session):
    district_b = debtors["b"].area.district_id
    page = admin.get(f"/staff/paid?month=2026-03&district={district_b}").text
    assert "บุญมี" in page and "สมศรี ใจดี" not in page
    assert "ห้วยขมิ้น" in page  # its subdistricts are offered next


def test_a_month_without_installments(admin):
    assert "ไม่พบงวดที่ตรงกับเงื่อนไข" in admin.get("/staff/paid?month=2024-01").text


def test_who_paid_pages(admin, session, debtors):
    village = make_village(session, "หนองแค/ห้วยขมิ้น/หมู่ 2")
    for n in range(60):
        borrower = make_borrower(session, f"ลูกหนี้ ที่{n:02d}", village)
        make_contract(session, f"P-{n:02d}", borrower=borrower)
    session.commit()
    first = admin.get("/staff/paid?month=2025-03").text
    assert "หน้า 1 จาก 2" in first and first.count("/staff/debtor/") == 50
    second = admin.get("/staff/paid?month=2025-03&page=2").text
    assert second.count("/staff/debtor/") == 10


def _table(html: str) -> str:
    return html[html.index('<table id="paid">') :]


def test_a_fund_staff_never_sees_another_districts_debtor(staff_a, debtors):
    page = staff_a.get("/staff/paid?month=2026-03").text
    assert "สมศรี ใจดี" in page and "บุญมี" not in page and "หนองแค" not in page
    district_b = debtors["b"].area.district_id
    assert "บุญมี" not in staff_a.get(f"/staff/paid?month=2026-03&district={district_b}").text
    searched = staff_a.get("/staff/paid?month=2026-03&q=บุญมี").text
    assert "บุญมี" not in _table(searched) and "0898765432" not in searched
    assert staff_a.get(f"/staff/debtor/{debtors['b'].id}").status_code == 404
    xlsx = staff_a.get(f"/staff/paid.xlsx?month=2026-03&district={district_b}")
    cells = [c for row in load_workbook(io.BytesIO(xlsx.data)).active.values for c in row if c]
    assert not any("บุญมี" in str(c) or "0898765432" in str(c) for c in cells)
    text = staff_a.get("/staff/paid.csv?month=2026-03").data.decode("utf-8-sig")
    assert "สมศรี" in text and "บุญมี" not in text and "0898765432" not in text


def test_the_xlsx_export(admin):
    response = admin.get("/staff/paid.xlsx?month=2026-03")
    assert response.headers["Content-Disposition"].endswith("paid-2026-03.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "งวดที่ครบกำหนดเดือนมีนาคม 2569 พื้นที่ สระบุรี"
    assert rows[2][:6] == ("ชื่อ", "เลขที่สัญญา", "กองทุน", "พื้นที่", "โทรศัพท์", "วันครบกำหนด")
    body = {r[1]: r for r in rows[3:-1]}
    assert body["W-001"][0] == "นางสมศรี ใจดี"
    assert body["W-001"][5] == "15 มี.ค. 2569"
    assert body["W-001"][6:10] == (1000, 500, 500, "ชำระบางส่วน")
    assert body["W-002"][9] == "ยังไม่ชำระ"
    assert rows[-1][0] == "รวม" and rows[-1][6:9] == (2000, 500, 1500)
    assert sheet.cell(row=4, column=7).number_format == "#,##0.00"


def test_the_xlsx_export_of_a_month_without_installments(admin):
    rows = list(
        load_workbook(io.BytesIO(admin.get("/staff/paid.xlsx?month=2025-01").data)).active.values
    )
    assert rows[2][0] == "ชื่อ"
    assert rows[3][:2] == ("รวม", "0 งวด") and rows[3][6:9] == (0, 0, 0)


def test_a_whole_month_is_summed_from_its_rows_as_a_page_is_by_sql(session, debtors):
    from models.dashboard_queries import PaidFilter, due_in_month

    chosen, today = PaidFilter(year=2026, month=3), date(2026, 3, 15)
    rows, summed = due_in_month(session, ["สระบุรี"], chosen, today)
    page, by_sql = due_in_month(session, ["สระบุรี"], chosen, today, limit=1)
    assert len(rows) == 2 and len(page) == 1
    assert summed == by_sql
    assert summed.by_status == {"paid": 0, "partial": 1, "unpaid": 1}
    assert (summed.amount_due, summed.amount_paid) == (Decimal("2000.00"), Decimal("500.00"))


def test_the_csv_export_has_a_bom_and_the_totals(admin):
    response = admin.get("/staff/paid.csv?month=2026-03&status=partial")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][0] == "ชื่อ"
    assert rows[2][:2] == ["นางสมศรี ใจดี", "W-001"] and rows[2][6:9] == [
        "1000.00",
        "500.00",
        "500.00",
    ]
    assert rows[-1][0] == "รวม" and rows[-1][6] == "1000.00"


def test_exports_defuse_formulas(admin, session, debtors):
    village = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    borrower = make_borrower(session, '=HYPERLINK("http://x")', village, phone="+66812345678")
    make_contract(
        session, "@SUM(A1)", borrower=borrower, first_due=debtors["a"].contracts[0].first_due_date
    )
    session.commit()
    sheet = load_workbook(io.BytesIO(admin.get("/staff/paid.xlsx?month=2026-03").data)).active
    row = next(r for r in sheet.iter_rows(min_row=4) if r[1].value == "'@SUM(A1)")
    assert row[0].value == '\'=HYPERLINK("http://x")' and row[0].data_type == "s"
    assert row[4].value == "'+66812345678"
    text = admin.get("/staff/paid.csv?month=2026-03").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert "\n=" not in text and ",=" not in text


def test_the_debtor_page(admin, debtors):
    page = admin.get(f"/staff/debtor/{debtors['a'].id}").text
    assert "นางสมศรี ใจดี" in page and "0812345678" in page
    assert "W-001" in page and "ตารางผ่อนชำระ" in page
    assert "9,500.00 บาท" in page and "เงินสดผ่านเจ้าหน้าที่" in page
    assert "test" in page  # who recorded the payment
    assert "ยังไม่เชื่อมต่อ" in page or "not linked" in page
    assert admin.get("/staff/debtor/999999").status_code == 404


def test_english_on_request_and_remembered(admin):
    page = admin.get("/staff/?lang=en")
    assert "Overdue now" in page.text and "THB 9,000.00" in page.text and "15 Mar 2026" in page.text
    assert "Overdue now" in admin.get("/staff/").text


def test_pages_work_on_their_own_without_any_script(admin):
    for url in ("/staff/", "/staff/paid", "/staff/login"):
        response = admin.get(url)
        assert "<script" not in response.text
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_demo_logins_one_per_role(db, session):
    build_province(session)
    created = create_demo_logins(session)
    session.commit()
    # "admin" was taken by the province's own admin, so it is left alone.
    assert [u for u, _p in created] == ["district", "fundstaff", "officer"]
    roles = {login.username: str(login.staff.role) for login in list_logins(session)}
    assert roles["district"] == "district_head" and roles["officer"] == "field_officer"
    assert create_demo_logins(session) == []  # again: nothing new
