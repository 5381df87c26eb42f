"""The chat simulator in a real browser: pick a debtor, link, ask the balance, read the answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.dashboard_data import PASSWORDS, add_tester
from tests.factories import make_contract

pytestmark = pytest.mark.browser


@pytest.fixture
def debtor(session):
    """สมศรี ใจดี with a 12-month contract that started four months ago."""
    today = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    start = today - timedelta(days=120)
    contract = make_contract(session, contract_date=start, first_due=start + timedelta(days=30))
    session.commit()
    add_tester(session)
    return contract.borrower


def test_pick_a_debtor_link_and_ask_the_balance(live_app, page, debtor, tmp_path):
    page.goto(f"{live_app}/simulator/")
    # The simulator sends a browser without a session to the dashboard's login, and back.
    page.wait_for_url("**/staff/login?next=**")
    page.fill("#username", "tester")
    page.fill("#password", PASSWORDS["tester"])
    page.click("button.primary")
    page.wait_for_url("**/simulator/")
    page.fill("#search", "สมศรี")
    page.locator(".who", has_text="สมศรี ใจดี").click()
    assert "W-001" in page.inner_text("#chat-sub")

    page.click("#chat-actions button.primary")  # link this LINE user to the borrower
    linked = page.locator(".row.bot .bubble", has_text="ใจดี").last
    linked.wait_for()
    # The bot's answers are green bubbles on the left.
    color = linked.evaluate("node => getComputedStyle(node).backgroundColor")
    assert color == "rgb(200, 242, 180)"

    page.fill("#text", "ยอด")
    page.press("#text", "Enter")
    # The balance is a Flex card: its texts and its buttons.
    answer = page.locator(".row.bot .card.flex", has_text="บาท").last
    answer.wait_for()
    assert "W-001" in answer.inner_text()
    assert "12,000.00 บาท" in answer.inner_text()
    assert answer.locator("button.flex-button").count() >= 2
    # The user's own message is on the right; quick replies wait under the input.
    assert page.locator(".row.user .bubble", has_text="ยอด").count() == 1
    assert page.locator("#quick button").count() >= 3

    # The debtors' rich menu sits under the chat; its language area answers like `ภาษา`.
    menu = page.locator("#richmenu")
    assert menu.is_visible()
    assert menu.locator(".areas button").count() == 6
    menu.locator(".areas button", has_text="ภาษา").click()
    page.locator(".row.user .bubble", has_text="ภาษา").wait_for()
    page.locator(".row.bot .bubble", has_text="ภาษาอะไรดีคะ").last.wait_for()

    shot = tmp_path / "simulator.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
