"""The debtors' rich menu: each of its six areas, tapped, gets the answer its label promises.

A tap on a message area is the text LINE sends for the user, so each test sends exactly the
text the layout gives LINE (handlers/debtor_menu.py) and reads the reply.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.line.rich_menu import MenuLayout
from handlers.debtor_menu import debtor_menu
from models.staff import Staff
from models.types import Role
from tests.flex import flex_texts
from tests.line_events import in_thai
from tests.line_schema import problems

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))


@pytest.fixture
def debtor(session):
    """สมศรี, linked as Udebtor, contract W-001, followed by officer สมชาย (081-234-5678)."""
    from tests.factories import make_contract

    contract = make_contract(session)
    officer = Staff(name="สมชาย รักงาน", role=Role.FIELD_OFFICER, phone="081-234-5678")
    session.add(officer)
    session.flush()
    contract.officer_id = officer.id
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    return contract.borrower


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(APRIL_15, tick=True):
        yield


def tap(chat, english_label: str):
    """Udebtor taps the area whose English line is `english_label`: LINE sends its text."""
    [button] = [b for b in debtor_menu().buttons if b.hint == english_label]
    return chat.say("Udebtor", button.action()["text"])


def test_the_six_areas_in_order():
    menu = debtor_menu()
    assert [b.label for b in menu.buttons] == [
        "ยอดหนี้", "ชำระเงิน", "ส่งสลิป", "ติดต่อพัฒนากร", "ช่วยเหลือ", "ภาษา",
    ]  # fmt: skip
    assert [b.hint for b in menu.buttons] == [
        "Balance", "Pay", "Send a slip", "Contact my officer", "Help", "Language",
    ]  # fmt: skip
    assert menu.chat_bar_text == "เมนู"


def test_balance_area_answers_with_the_card(chat, debtor):
    [card] = tap(chat, "Balance").cards
    assert in_thai("Contract %(contract)s", contract="W-001") in flex_texts(card["contents"])


def test_pay_area_says_how_to_pay_with_the_pay_button(chat, debtor):
    answer = tap(chat, "Pay")
    assert answer.texts[0] == in_thai(
        "To pay, tap Pay now on your contract below for a PromptPay QR code. After you "
        "transfer, tap Send a slip, or send แจ้งโอน, and send the slip photo."
    )
    assert len(answer.cards) == 1


def test_send_a_slip_area_starts_the_transfer_report(chat, debtor):
    assert tap(chat, "Send a slip").text == in_thai(
        "How much did you transfer for contract %(contract)s? Send the amount in baht, "
        "for example 1500.",
        contract="W-001",
    )


def test_officer_area_gives_the_name_and_phone(chat, debtor):
    assert tap(chat, "Contact my officer").text == in_thai(
        "Your community development officer is %(name)s, phone %(phone)s. Tap the number to call.",
        name="สมชาย รักงาน",
        phone="081-234-5678",
    )


def test_help_area_lists_the_commands(chat, debtor):
    answer = tap(chat, "Help")
    assert answer.texts[0].splitlines()[0] == in_thai("What you can send me:")
    assert answer.quick_replies()


def test_language_area_offers_both_languages(chat, debtor):
    answer = tap(chat, "Language")
    assert answer.text == in_thai("Which language would you like me to answer in?")
    assert answer.quick_replies() == ["ไทย", "English"]


def test_a_tap_mid_way_through_a_report_still_answers(chat, debtor):
    tap(chat, "Send a slip")  # the bot now waits for the amount
    [card] = tap(chat, "Balance").cards
    assert in_thai("Contract %(contract)s", contract="W-001") in flex_texts(card["contents"])


def test_the_body_is_valid_for_line():
    body = debtor_menu().request_body()
    assert problems(body, "RichMenuRequest") == []
    assert len(body["chatBarText"]) <= 14
    assert all(len(a["action"]["label"]) <= 20 for a in body["areas"])


@pytest.mark.parametrize("count", [1, 5, 6, 7])
def test_the_areas_tile_the_picture_exactly(count):
    menu = debtor_menu()
    layout = MenuLayout(menu.name, menu.chat_bar_text, menu.buttons[:1] * count)
    width, height = layout.size
    bounds = layout.bounds()
    assert len(bounds) == count
    for x, y, w, h in bounds:
        assert 0 <= x < x + w <= width and 0 <= y < y + h <= height
    # Each full row spans the width; the first column's cells stack to the height.
    if count >= layout.columns:
        assert sum(w for _x, _y, w, _h in bounds[: layout.columns]) == width
    assert sum(h for _x, _y, _w, h in bounds[:: layout.columns]) == height
