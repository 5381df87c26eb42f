"""The staff dashboard in a real browser: log in, filter who paid, open a debtor, export.

Screenshots of the main pages go to tests/artifacts/screenshots/ (git-ignored), at an
office PC's 1366x768 and a phone's 390x844.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.i18n import format_date
from tests.dashboard_data import PASSWORDS, build_province

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
