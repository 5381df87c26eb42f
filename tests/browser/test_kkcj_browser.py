"""The KKCJ funds page in a real browser: filter by district, sort, download the monthly
report and read its cells. Screenshots: kkcj-funds.png and kkcj-funds-phone.png."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from models.fund_register import FundStatus, record_entries
from models.kkcj_followup import month_of
from models.types import FundKind
from tests.browser.test_dashboard_browser import _shot
from tests.dashboard_data import PASSWORDS, build_province
from tests.factories import TEST_ACTOR, make_fund, make_village

pytestmark = pytest.mark.browser
# village -> (capital, status, problem money)
FUNDS = {
    "แก่งคอย/หินซ้อน/หมู่ 3": ("280000", FundStatus.FOLLOWUP, "38500"),
    "แก่งคอย/ท่าคล้อ/หมู่ 5": ("310000", FundStatus.NORMAL, "0"),
    "หนองแค/ห้วยขมิ้น/หมู่ 1": ("250000", FundStatus.FOLLOWUP, "20000"),
}


@pytest.fixture
def register(session):
    """The dashboard's province, and a KKCJ fund register dated the end of last month."""
    build_province(session)
    today = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    last_month = month_of(today.replace(day=1) - timedelta(days=1))
    for path, (capital, status, problem) in FUNDS.items():
        fund = make_fund(session, FundKind.KKCJ, make_village(session, path))
        figures = {
            "capital": Decimal(capital),
            "status": status,
            "problem_money": Decimal(problem),
            "damaged_money": Decimal(0),
            "chair_name": "นายสมพงษ์ ใจมั่น",
            "chair_phone": None,
            "committee": None,
        }
        record_entries(session, TEST_ACTOR, [(fund, last_month.end, figures)])
    session.commit()
    return last_month


def test_filter_sort_and_download_the_monthly_report(live_app, chromium, register, tmp_path):
    context = chromium.new_context(locale="th-TH", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_app}/staff/funds")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button.primary")
    page.wait_for_url("**/staff/funds")
    assert page.locator("#funds tbody tr").count() == len(FUNDS)
    _shot(page, "kkcj-funds")

    page.select_option("#filters select[name=district]", label="แก่งคอย")
    page.click("#filters button.primary")
    page.wait_for_url("**district=**")
    assert page.locator("#funds tbody tr").count() == 2
    page.click("#funds thead a:has-text('เงินทุน')")
    page.wait_for_url("**sort=capital**")
    first = page.inner_text("#funds tbody tr:first-child")
    assert "310,000.00 บาท" in first  # the biggest capital first

    page.select_option("#reports select[name=month]", register.start.strftime("%Y-%m"))
    with page.expect_download() as download:
        page.click("#monthly-xlsx")
    path = tmp_path / "monthly.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.values)
    assert "แก่งคอย" in rows[0][0]
    body = rows[4:-1]
    assert [r[2] for r in body] == ["หินซ้อน"]  # the one fund under follow-up in แก่งคอย
    assert rows[-1][0] == "รวม" and rows[-1][9] == 38500

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_app}/staff/funds")
    _shot(page, "kkcj-funds-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
