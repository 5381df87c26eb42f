"""The officers page: what each field officer of my areas did in a period, and their list."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.area import find_area
from models.contract import Contract
from models.field_reports import BROKEN, KEPT, NOTE, PAYMENT, PROMISE, VISIT, add_report
from models.ledger import record_payment, reverse_payment
from models.staff import Staff
from models.types import PaymentChannel, Role
from tests.dashboard_data import (  # noqa: F401 - fixtures
    NOON_15_MARCH_2026,
    TODAY,
    at_noon_15_march,
    build_province,
    dashboard_app,
    log_in,
)
from tests.factories import TEST_ACTOR
from tests.line_events import in_thai


@pytest.fixture
def officers(session):
    """สมชาย (หินซ้อน, แก่งคอย) and มานพ (ห้วยขมิ้น, หนองแค), with March's and February's reports."""
    debtors = build_province(session)
    a, b = debtors["a"], debtors["b"]
    somchai = _officer(session, "สมชาย พัฒนากร", "แก่งคอย/หินซ้อน")
    manop = _officer(session, "มานพ ขยัน", "หนองแค/ห้วยขมิ้น")
    contract_a = a_contract(session, a)

    def report(officer, borrower, kind, day=TODAY, **kw):
        return add_report(session, TEST_ACTOR, officer, borrower, kind, day, **kw)

    report(somchai, a, VISIT, text="พบลูกหนี้ที่บ้าน")
    report(somchai, a, VISIT, day=date(2026, 3, 2))
    report(somchai, a, VISIT, day=date(2026, 2, 20))  # last month
    report(somchai, a, NOTE, text="ขอผ่อนเป็นรายสัปดาห์")
    undone = report(somchai, a, NOTE, text="พิมพ์ผิด")
    undone.reversed_at = NOON_15_MARCH_2026
    for amount in ("300", "200.50", "999"):
        cash = record_payment(
            session, TEST_ACTOR, contract_a, Decimal(amount), TODAY, PaymentChannel.CASH_OFFICER
        )
        report(somchai, a, PAYMENT, contract=contract_a, payment=cash)
    reverse_payment(session, TEST_ACTOR, cash, "นับผิด")  # the 999 did not happen
    for status in (KEPT, BROKEN, BROKEN):
        promise = report(
            somchai,
            a,
            PROMISE,
            promise_date=date(2026, 3, 10),
            promise_amount=Decimal("500"),
        )
        promise.promise_status = status
    report(manop, b, VISIT, text="ไม่พบลูกหนี้")
    session.commit()
    return {"somchai": somchai.id, "manop": manop.id}


def _officer(session, name: str, area: str) -> Staff:
    staff = Staff(name=name, role=Role.FIELD_OFFICER, areas=[find_area(session, area, "สระบุรี")])
    session.add(staff)
    session.flush()
    return staff


def a_contract(session, borrower):
    return session.scalar(select(Contract).where(Contract.borrower_id == borrower.id))


def logged_in(app, username: str):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def cells(page: str, officer: str) -> list[str]:
    """The cells of an officer's row: visits, payments, amount, promises, kept, partial,
    broken, open, notes."""
    row = page[page.index(officer) :].split("</tr>", 1)[0]
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def test_this_month_per_officer_of_my_areas(app, officers):
    page = logged_in(app, "somchai").get("/staff/officers").text
    assert (
        in_thai("Officers' work, %(start)s – %(end)s", start="1 มี.ค. 2569", end="15 มี.ค. 2569")
        in page
    )
    assert cells(page, "สมชาย พัฒนากร") == [
        "2", "2", "500.50 บาท", "3", "1", "0", "2", "0", "1"
    ]  # fmt: skip
    assert "มานพ" not in page  # another district's officer


def test_the_province_sees_every_officer_and_a_chosen_period(app, officers):
    admin = logged_in(app, "admin")
    page = admin.get("/staff/officers").text
    assert cells(page, "มานพ ขยัน")[0] == "1"
    february = admin.get("/staff/officers?from=2026-02-01&to=2026-02-28").text
    assert cells(february, "สมชาย พัฒนากร")[:3] == ["1", "0", "0.00 บาท"]
    backwards = admin.get("/staff/officers?from=2026-02-28&to=2026-02-01").text
    assert cells(backwards, "สมชาย พัฒนากร")[0] == "1"
    assert admin.get("/staff/officers?from=nonsense").status_code == 200


def test_an_officers_list_of_reports(app, officers):
    staff = logged_in(app, "somchai")
    page = staff.get(f"/staff/officers/{officers['somchai']}?from=2026-03-01&to=2026-03-15").text
    assert "พบลูกหนี้ที่บ้าน" in page and "ขอผ่อนเป็นรายสัปดาห์" in page
    assert "พิมพ์ผิด" not in page  # undone
    assert "300.00 บาท" in page and "500.00 บาท" in page
    assert in_thai("broken") in page and in_thai("kept") in page
    assert "15 มี.ค. 2569" in page
    assert staff.get(f"/staff/officers/{officers['manop']}").status_code == 404
    assert staff.get("/staff/officers/999999").status_code == 404
    admin = logged_in(app, "admin")
    assert "ไม่พบลูกหนี้" in admin.get(f"/staff/officers/{officers['manop']}").text


def test_english_on_request(app, officers):
    page = logged_in(app, "somchai").get("/staff/officers?lang=en").text
    assert "work, 1 Mar 2026 – 15 Mar 2026" in page and "500.50" in page
