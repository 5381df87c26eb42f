"""The KKCJ funds page and the follow-up reports: scoped, filtered, sorted, and their files'
cells computed from the fixtures (the register entries and the arrears engine)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from models.arrears import contract_arrears
from models.fund_register import FundStatus, record_entries
from models.kkcj_followup import parse_month
from models.types import FundKind
from tests.dashboard_data import (  # noqa: F401 - fixtures
    NOON_15_MARCH_2026,
    TODAY,
    at_noon_15_march,
    build_province,
    dashboard_app,
    log_in,
)
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_fund, make_village

EVIL = '=HYPERLINK("http://evil.example/","x")'
JAN, FEB = date(2026, 1, 31), date(2026, 2, 28)
# The register: village -> [(as_of, capital, status, problem, damaged, chair)].
REGISTER = {
    "แก่งคอย/หินซ้อน/หมู่ 3": [
        (JAN, "280000", FundStatus.FOLLOWUP, "45000", "12000", "นายสมพงษ์ ใจมั่น"),
        (FEB, "280000", FundStatus.FOLLOWUP, "38500", "12000", "นายสมพงษ์ ใจมั่น"),
    ],
    "แก่งคอย/ท่าคล้อ/หมู่ 5": [
        (FEB, "310000.50", FundStatus.NORMAL, "0", "0", EVIL),
    ],
    "หนองแค/ห้วยขมิ้น/หมู่ 1": [
        (JAN, "250000", FundStatus.FOLLOWUP, "20000", "0", "นายประเสริฐ ดีงาม"),
        (FEB, "250000", FundStatus.NORMAL, "0", "0", "นายประเสริฐ ดีงาม"),
    ],
}


@pytest.fixture
def funds(session):
    """The dashboard's small province, a KKCJ fund in each REGISTER village with its entries,
    and KKCJ loans in two of them; returns {village path: fund}."""
    build_province(session)
    made = {}
    for path, entries in REGISTER.items():
        village = make_village(session, path)
        fund = make_fund(session, FundKind.KKCJ, village)
        made[path] = fund
        record_entries(session, TEST_ACTOR, [
            (fund, day, {"capital": Decimal(capital), "status": status,
                         "problem_money": Decimal(problem), "damaged_money": Decimal(damaged),
                         "chair_name": chair, "chair_phone": None, "committee": None})
            for day, capital, status, problem, damaged, chair in entries
        ])  # fmt: skip
    for number, path in enumerate(("แก่งคอย/หินซ้อน/หมู่ 3", "หนองแค/ห้วยขมิ้น/หมู่ 1")):
        borrower = make_borrower(session, f"นายกู้ ที่{number}", made[path].area)
        make_contract(
            session,
            f"K-00{number}",
            principal="6000",
            fund=made[path],
            borrower=borrower,
            contract_date=date(2025, 6, 1),
            first_due=date(2025, 6, 15),
        )
    session.commit()
    return made


def arrears_by_village(session, as_of: date) -> dict[str, tuple[Decimal, Decimal]]:
    """(outstanding, overdue) of each village's KKCJ contracts, per contract then summed."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for row in contract_arrears(session, as_of, scope=None, fund_kind="kkcj"):
        lent, overdue = sums.get(row.area, (Decimal(0), Decimal(0)))
        sums[row.area] = (lent + row.outstanding_principal, overdue + row.overdue_amount)
    return sums


def latest(path: str, on: date):
    return [e for e in REGISTER[path] if e[0] <= on][-1]


@pytest.fixture
def staff_a(app, funds):
    client = app.test_client()
    assert log_in(client, "somchai").status_code == 302
    return client


@pytest.fixture
def admin(app, funds):
    client = app.test_client()
    assert log_in(client, "admin").status_code == 302
    return client


def fund_rows(page: str) -> list[str]:
    body = page.split('<table id="funds">', 1)[1].split("<tfoot>", 1)[0]
    return [row for row in body.split("<tr")[2:]]


def test_the_page_needs_a_login(app, funds):
    client = app.test_client()
    for url in ("/staff/funds", "/staff/funds/monthly.xlsx", "/staff/funds/quarterly.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]


def test_fund_staff_see_only_their_districts_funds_with_register_and_arrears(staff_a, session):
    page = staff_a.get("/staff/funds").text

    rows = fund_rows(page)
    assert len(rows) == 2
    assert "หนองแค" not in page.split('<table id="funds">', 1)[1]
    sums = arrears_by_village(session, TODAY)
    path = "สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3"
    lent, overdue = sums[path]
    assert overdue > 0
    row = next(r for r in rows if "หินซ้อน" in r)
    _day, capital, _status, problem, damaged, chair = latest("แก่งคอย/หินซ้อน/หมู่ 3", TODAY)
    for amount in (Decimal(capital), lent, overdue, Decimal(problem), Decimal(damaged)):
        assert f"{amount:,.2f} บาท" in row
    assert chair in row and "เร่งรัดติดตาม" in row
    capitals = sum(Decimal(latest(p, TODAY)[1]) for p in REGISTER if p.startswith("แก่งคอย"))
    total = page.split('id="funds-total"', 1)[1]
    assert f"{capitals:,.2f} บาท" in total
    assert f"{lent:,.2f} บาท" in total


def test_the_admin_sees_every_district_and_filters_by_one(admin, funds):
    everything = admin.get("/staff/funds").text
    assert len(fund_rows(everything)) == len(REGISTER)

    district = funds["หนองแค/ห้วยขมิ้น/หมู่ 1"].area.parent.parent_id
    page = admin.get(f"/staff/funds?district={district}").text

    rows = fund_rows(page)
    assert len(rows) == 1 and "ห้วยขมิ้น" in rows[0]


def test_a_district_outside_ones_areas_is_ignored(staff_a, funds):
    district = funds["หนองแค/ห้วยขมิ้น/หมู่ 1"].area.parent.parent_id
    page = staff_a.get(f"/staff/funds?district={district}").text
    assert len(fund_rows(page)) == 2
    assert "ห้วยขมิ้น" not in page.split('<table id="funds">', 1)[1]


def test_sorting_by_capital(admin):
    page = admin.get("/staff/funds?sort=capital&dir=desc").text
    order = [next(p for p in REGISTER if p.split("/")[1] in row) for row in fund_rows(page)]
    assert order == sorted(REGISTER, key=lambda p: Decimal(latest(p, TODAY)[1]), reverse=True)
    ascending = admin.get("/staff/funds?sort=capital&dir=asc").text
    assert [r[:40] for r in fund_rows(ascending)] == [r[:40] for r in reversed(fund_rows(page))]


def expected_report(session, paths, start: date, end: date):
    """(district, subdistrict, village, values...) per fund the February report lists."""
    before = date(start.year, start.month, 1).replace(day=1)
    baseline = date.fromordinal(before.toordinal() - 1)
    sums = arrears_by_village(session, end)
    lines = []
    for path in paths:
        now = latest(path, end)
        then = [e for e in REGISTER[path] if e[0] <= baseline]
        then = then[-1] if then else None
        statuses = {now[2], then[2] if then else FundStatus.NORMAL}
        if FundStatus.FOLLOWUP not in statuses and not (Decimal(now[3]) + Decimal(now[4])):
            continue
        lent, overdue = sums.get(f"สระบุรี/{path}", (Decimal(0), Decimal(0)))
        start_problem = Decimal(then[3]) if then else Decimal(0)
        start_damaged = Decimal(then[4]) if then else Decimal(0)
        at_risk = Decimal(now[3]) + Decimal(now[4])
        lines.append([*path.split("/"), now[5], Decimal(now[1]), start_problem, start_damaged,
                      Decimal(now[3]), Decimal(now[4]), at_risk,
                      start_problem + start_damaged - at_risk, lent, overdue])  # fmt: skip
    return lines


def test_the_monthly_report_as_xlsx(admin, session):
    response = admin.get("/staff/funds/monthly.xlsx?month=2569-02")

    assert response.status_code == 200
    assert "kkcj-monthly-2569-02.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    title = sheet["A1"].value
    assert "กุมภาพันธ์ 2569" in title and "จังหวัดสระบุรี" in title
    assert "28 ก.พ. 2569" in sheet["A2"].value and "15 มี.ค. 2569" in sheet["A2"].value
    assert sheet["B4"].value == "อำเภอ" and sheet["G4"].value == "เงินทุน (บาท)"
    expected = expected_report(session, list(REGISTER), date(2026, 2, 1), FEB)
    assert len(expected) == 2
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    for number, (row, want) in enumerate(zip(body, expected, strict=False), start=1):
        assert row[0] == number
        assert row[1:5] == want[:4]
        assert row[5] in ("อยู่ระหว่างเร่งรัดติดตาม", "ปกติ")
        assert [Decimal(str(v)) for v in row[6:]] == want[4:]
    totals = body[len(expected)]
    assert totals[0] == "รวม"
    for column in range(6, 15):
        assert Decimal(str(totals[column])) == sum(w[column - 2] for w in expected)
    assert sheet.cell(row=5, column=7).number_format == "#,##0.00"


def test_the_quarterly_report_as_csv_is_scoped_safe_and_has_a_bom(staff_a, session):
    response = staff_a.get("/staff/funds/quarterly.csv?quarter=2569Q2")

    assert response.data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert "ไตรมาส 2 ปีงบประมาณ 2569" in lines[0][0] and "แก่งคอย" in lines[0][0]
    period = parse_month("2569-01")
    expected = expected_report(
        session, [p for p in REGISTER if p.startswith("แก่งคอย")], period.start, TODAY
    )
    body = lines[3:-1]
    assert [row[1:4] for row in body] == [w[:3] for w in expected]
    assert lines[-1][0] == "รวม"
    assert Decimal(lines[-1][11]) == sum(w[9] for w in expected)


def test_a_chair_written_as_a_formula_is_inert_in_both_files(admin, funds, session):
    fund = funds["แก่งคอย/ท่าคล้อ/หมู่ 5"]
    figures = {"capital": Decimal(310000), "status": FundStatus.FOLLOWUP,
               "problem_money": Decimal(5000), "damaged_money": Decimal(0),
               "chair_name": EVIL, "chair_phone": None, "committee": None}  # fmt: skip
    record_entries(session, TEST_ACTOR, [(fund, date(2026, 3, 1), figures)])
    session.commit()

    book = admin.get("/staff/funds/quarterly.xlsx?quarter=2569Q2").data
    text = admin.get("/staff/funds/quarterly.csv?quarter=2569Q2").data.decode("utf-8-sig")

    sheet = load_workbook(io.BytesIO(book)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in cells] == [("'" + EVIL, "s")]
    row = next(r for r in csv.reader(io.StringIO(text)) if "ท่าคล้อ" in r)
    assert row[4] == "'" + EVIL
    assert Decimal(row[9]) == Decimal(5000)


def test_a_bad_period_is_not_found(admin):
    assert admin.get("/staff/funds/monthly.xlsx?month=2569-13").status_code == 404
    assert admin.get("/staff/funds/quarterly.xlsx?quarter=2570Q5").status_code == 404
    assert admin.get("/staff/funds/monthly.csv?month=2569-04").status_code == 404  # not begun
