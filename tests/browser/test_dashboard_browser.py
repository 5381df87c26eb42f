"""The staff dashboard in a real browser: log in, filter who paid, open a debtor, export;
approve a slip, see the officers' work and the reminders.

Screenshots of the main pages go to tests/artifacts/screenshots/ (git-ignored), at an
office PC's 1366x768 and a phone's 390x844.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.i18n import format_date
from models.area import find_area
from models.field_reports import PROMISE, VISIT, add_report
from models.staff import Staff
from models.types import Role
from tests.dashboard_data import PASSWORDS, build_province
from tests.factories import TEST_ACTOR
from tests.slip_data import add_slips

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


@pytest.fixture
def province(session):
    """The test province, with March's installment moved to this month."""
    today = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    month = today.year * 12 + today.month - 1 - 9  # nine months back
    first_due = date(month // 12, month % 12 + 1, 15)
    return build_province(session, first_due=first_due, paid_on=today), today


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_log_in_filter_open_a_debtor_and_export(live_app, chromium, province, tmp_path):
    _debtors, today = province
    context = chromium.new_context(locale="th-TH", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_app}/staff/paid")
    assert "/staff/login" in page.url
    _shot(page, "login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button.primary")
    page.wait_for_url("**/staff/paid")

    page.goto(f"{live_app}/staff/")
    assert page.inner_text("#overdue-now").endswith("บาท")
    assert "หนองแค" in page.inner_text("#areas")
    _shot(page, "overview")

    page.goto(f"{live_app}/staff/paid")
    page.select_option("select[name=status]", "unpaid")
    page.click("#filters button.primary")
    page.wait_for_url("**status=unpaid**")
    table = page.inner_text("#paid")
    assert "บุญมี ศรีสุข" in table and "สมศรี" not in table
    assert format_date(date(today.year, today.month, 15)) in table
    _shot(page, "who-paid")

    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "export.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.values)
    assert rows[2][0] == "ชื่อ"
    assert [r[0] for r in rows[3:-1]] == ["นายบุญมี ศรีสุข"]
    assert rows[3][9] == "ยังไม่ชำระ" and rows[-1][0] == "รวม" and rows[-1][6] == 1000

    page.click("#paid a")
    page.wait_for_url("**/staff/debtor/**")
    assert page.inner_text("#debtor-name") == "นายบุญมี ศรีสุข"
    assert "W-002" in page.inner_text("main")
    _shot(page, "debtor")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_app}/staff/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling of the page on a phone
    _shot(page, "overview-phone")
    page.goto(f"{live_app}/staff/paid")
    _shot(page, "who-paid-phone")

    page.click("text=ออกจากระบบ")
    page.wait_for_url("**/staff/login")
    context.close()


def test_open_a_debtor_and_record_a_payment(live_app, chromium, province):
    debtors, _today = province
    context = chromium.new_context(locale="th-TH", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_app}/staff/debtor/{debtors['b'].id}")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button.primary")
    page.wait_for_url(f"**/staff/debtor/{debtors['b'].id}")
    page.fill("#payment-amount", "1,500")
    page.click("#payment-form button.primary")
    page.wait_for_selector("p.notice")
    assert "1,500.00 บาท" in page.inner_text("p.notice")
    first = page.inner_text("#timeline li:first-child")
    assert "1,500.00 บาท" in first and "web:admin" in first
    # More than the debtor owes: asked first, stored on "Record it anyway".
    page.fill("#payment-amount", "500000")
    page.click("#payment-form button.primary")
    page.wait_for_selector("#confirm-payment")
    page.click("#confirm-payment button.primary")
    page.wait_for_selector("p.notice")
    assert "500,000.00 บาท" in page.inner_text("#timeline li:first-child")
    assert "ปิดเรื่อง" not in page.inner_text("#timeline")  # no case was open to close
    _shot(page, "debtor-after-payment")
    context.close()


def test_approve_a_slip_and_see_the_officers_and_the_reminders(live_app, chromium, env, session):
    debtors, today = build_province(session), datetime.now(ZoneInfo("Asia/Bangkok")).date()
    slips = add_slips(session, Path(env["FUNDBOT_INSTANCE_PATH"]), debtors, datetime.now(UTC))
    officer = Staff(
        name="สมชาย พัฒนากร",
        role=Role.FIELD_OFFICER,
        areas=[find_area(session, "แก่งคอย/หินซ้อน", "สระบุรี")],
    )
    session.add(officer)
    session.flush()
    add_report(session, TEST_ACTOR, officer, debtors["a"], VISIT, today, text="พบลูกหนี้ที่บ้าน")
    promise = add_report(
        session,
        TEST_ACTOR,
        officer,
        debtors["a"],
        PROMISE,
        today,
        promise_date=today + timedelta(days=5),
        promise_amount=Decimal("500"),
    )
    session.commit()

    context = chromium.new_context(locale="th-TH", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_app}/staff/slips")
    page.fill("#username", "somchai")
    page.fill("#password", PASSWORDS["somchai"])
    page.click("button.primary")
    page.wait_for_url("**/staff/slips")
    mine = page.locator(f"#slip-{slips['mine']}")
    assert "1,000.00 บาท" in mine.inner_text() and "รอตรวจสอบ" in mine.inner_text()
    # The photo comes through the login-protected route and is really drawn.
    assert mine.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") == 720
    assert page.locator(f"#slip-{slips['far']}").count() == 0
    _shot(page, "slips")

    mine.locator("button.approve").click()
    page.wait_for_selector(".notice.done")
    assert "อนุมัติแล้ว" in page.inner_text(".notice.done")
    assert mine.locator("button.approve").count() == 0
    assert "อนุมัติแล้ว" in mine.inner_text()

    page.click("nav >> text=พัฒนากร")
    page.wait_for_url("**/staff/officers")
    row = page.locator("#officers tbody tr", has_text="สมชาย พัฒนากร")
    assert row.locator("td").nth(1).inner_text() == "1"  # one visit
    _shot(page, "officers")
    row.locator("a").click()
    page.wait_for_url(f"**/staff/officers/{officer.id}**")
    assert "พบลูกหนี้ที่บ้าน" in page.inner_text("#reports")
    assert promise.promise_amount == Decimal("500")
    _shot(page, "officer-reports")

    page.goto(f"{live_app}/staff/reminders")
    # The approval queued the debtor's notice, planned within the contact hours.
    assert "ผลการตรวจสลิป" in page.inner_text("#outbox")
    _shot(page, "reminders")

    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (("slips", "slips"), ("officers", "officers"), ("reminders", "reminders")):
        page.goto(f"{live_app}/staff/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        _shot(page, f"{name}-phone")
    context.close()
