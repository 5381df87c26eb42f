"""Debtor self-service in a 1:1 chat: greeting, balance, language, reporting a transfer."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from models.audit import AuditEntry
from models.borrower import Borrower
from models.payment import Payment
from models.types import FundKind, PaymentChannel, PaymentState
from tests.factories import make_contract, make_fund
from tests.flex import flex_texts
from tests.line_events import in_english, in_thai

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
SLIP = b"\xff\xd8\xff\xe0 a jpeg slip"

# The msgids of the answers the handlers send; tests compare replies with their Thai.
HOW_TO_LINK = (
    "Your LINE account is not linked to a loan yet. Ask your community development "
    "officer for a 6-character code, then send it here, for example: ลงทะเบียน ABC234"
)
HELLO = (
    "Hello! I am the repayment assistant of the community development funds. I can tell you "
    "your loan balance and next installment, and take your transfer slips."
)
IN_ENGLISH_NOW = "From now on I will answer you in English."
IN_THAI_NOW = "From now on I will answer you in Thai."
WHICH_CONTRACT = "Which contract is the transfer for?"
HOW_MUCH = (
    "How much did you transfer for contract %(contract)s? Send the amount in baht, "
    "for example 1500."
)
SEND_SLIP = "Please send a photo of the transfer slip for %(amount)s (contract %(contract)s)."
RECORDED = (
    "Thank you. Your transfer of %(amount)s for contract %(contract)s is recorded; "
    "staff will check the slip and confirm it."
)
SLIP_KEPT = "I have received your slip."


@pytest.fixture
def debtor(session):
    """สมศรี, linked to LINE as Udebtor, with contract W-001 (12 x 1,000 baht from Feb 2025)."""
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    return contract.borrower


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(APRIL_15, tick=True):
        yield


def payments(db) -> list[Payment]:
    with db.session() as session:
        return list(session.scalars(select(Payment).order_by(Payment.id)))


def test_an_unlinked_user_is_told_how_to_link(chat):
    for command in ("ยอด", "งวดถัดไป", "แจ้งโอน"):
        assert chat.say("Ustranger", command).text == in_thai(HOW_TO_LINK)


def test_a_new_friend_is_greeted_in_the_language_of_their_line_app(chat):
    greeted = chat.follow("Unew", name="New Friend", language="en")
    assert greeted.to("Unew").texts == [in_english(HELLO), in_english(HOW_TO_LINK)]
    greeted = chat.follow("Uthai", name="เพื่อนใหม่")  # no language in the profile: Thai
    assert greeted.to("Uthai").texts == [in_thai(HELLO), in_thai(HOW_TO_LINK)]
    # The chosen language sticks for the next answer too.
    assert chat.say("Unew", "balance").text == in_english(HOW_TO_LINK)


def test_unfollow_marks_the_debtor_unreachable_and_follow_restores_it(db, chat, debtor):
    assert chat.unfollow("Udebtor").messages == []
    with db.session() as session:
        assert session.get(Borrower, debtor.id).line_reachable is False
    welcome = chat.follow("Udebtor")
    with db.session() as session:
        assert session.get(Borrower, debtor.id).line_reachable is True
        actions = session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "line_reachable")
        ).all()
    assert actions == [{"line_reachable": False}, {"line_reachable": True}]
    assert welcome.texts[-1] == in_thai(
        "Welcome back, %(name)s! Send ยอด to see your balance.", name="สมศรี ใจดี"
    )


def test_balance_is_a_card_per_contract(session, chat, debtor):
    kkcj = make_fund(session, FundKind.KKCJ, village=debtor.area)
    make_contract(session, contract_no="K-7", principal="6000", count=6, fund=kkcj, borrower=debtor)
    session.commit()
    [card] = chat.say("Udebtor", "ยอด").messages
    assert card["type"] == "flex" and card["contents"]["type"] == "carousel"
    first, second = card["contents"]["contents"]
    assert in_thai("Contract %(contract)s", contract="K-7") in flex_texts(first)
    assert in_thai("Contract %(contract)s", contract="W-001") in flex_texts(second)
    assert "12,000.00 บาท" in flex_texts(second) and "6,000.00 บาท" in flex_texts(first)
    assert card["altText"].startswith(in_thai("Your balance on %(date)s", date="15 เม.ย. 2568"))
    assert "K-7" in card["altText"] and "W-001" in card["altText"]


def test_next_installment(chat, debtor):
    answer = chat.say("Udebtor", "งวดถัดไป").text
    assert "1 พ.ค. 2568" in answer and "1,000.00 บาท" in answer
    assert answer.splitlines() == [
        in_thai(
            "Contract %(contract)s: next installment %(date)s, %(amount)s",
            contract="W-001",
            date="1 พ.ค. 2568",
            amount="1,000.00 บาท",
        ),
        in_thai("  plus %(amount)s overdue", amount="3,000.00 บาท"),
    ]


def test_language_switch_changes_the_next_answer(db, chat, debtor):
    assert "1 พ.ค. 2568" in flex_texts(chat.say("Udebtor", "balance").messages[0])
    assert chat.say("Udebtor", "ภาษา อังกฤษ").text == in_english(IN_ENGLISH_NOW)
    card = chat.say("Udebtor", "balance").messages[0]
    answer = flex_texts(card)
    assert card["altText"].startswith(in_english("Your balance on %(date)s", date="15 Apr 2025"))
    assert "1 May 2025" in answer and "THB 1,000.00" in answer and "บาท" not in answer
    assert chat.say("Udebtor", "language thai").text == in_thai(IN_THAI_NOW)
    card = chat.say("Udebtor", "ยอด").messages[0]
    assert card["altText"].startswith(in_thai("Your balance on %(date)s", date="15 เม.ย. 2568"))
    assert "1 พ.ค. 2568" in flex_texts(card) and "THB" not in flex_texts(card)
    with db.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "locale")).all()
    assert [e.after["locale"] for e in entries] == ["en", "th"]


def test_thai_digits_and_case_do_not_matter(chat, debtor):
    assert "1,000.00 บาท" in flex_texts(chat.say("Udebtor", "  BALANCE ").messages[0])
    assert chat.say("Udebtor", "ภาษาอังกฤษ").text == in_english(IN_ENGLISH_NOW)
    assert "THB 1,000.00" in flex_texts(chat.say("Udebtor", "Balance").messages[0])


def test_reporting_a_transfer_with_an_amount_records_a_pending_payment(db, chat, debtor):
    asked = chat.say("Udebtor", "แจ้งโอน ๑,๕๐๐").text
    assert asked == in_thai(SEND_SLIP, amount="1,500.00 บาท", contract="W-001")
    answer = chat.send_image("Udebtor", SLIP, message_id="90001").text
    assert answer == in_thai(RECORDED, amount="1,500.00 บาท", contract="W-001")
    [payment] = payments(db)
    assert payment.amount == Decimal("1500.00")
    assert (payment.state, payment.channel) == (PaymentState.PENDING, PaymentChannel.BANK_TRANSFER)
    assert payment.paid_on == date(2025, 4, 15)
    # Named by the file's hash, not by anything the sender chose.
    assert re.fullmatch(r"slips/2025/04/[0-9a-f]{32}\.jpg", payment.slip_path)
    instance = Path(chat.runtime.settings.instance_path)
    assert (instance / payment.slip_path).read_bytes() == SLIP
    # The exchange is over: another photo starts a report of its own (and waits for its amount).
    again = chat.send_image("Udebtor", SLIP + b"2", message_id="90002").text
    assert again == in_thai(SLIP_KEPT) + "\n" + in_thai(HOW_MUCH, contract="W-001")
    assert len(payments(db)) == 1


def test_reporting_a_transfer_asks_which_contract_and_how_much(db, session, chat, debtor):
    make_contract(session, contract_no="W-002", borrower=debtor)
    session.commit()
    question = chat.say("Udebtor", "แจ้งโอน")
    assert question.text == in_thai(WHICH_CONTRACT)
    assert question.quick_replies()[:3] == ["W-001", "W-002", in_thai("Cancel")]
    assert chat.say("Udebtor", "w-002").text == in_thai(HOW_MUCH, contract="W-002")
    asked = chat.say("Udebtor", "2,000 บาท").text
    assert asked == in_thai(SEND_SLIP, amount="2,000.00 บาท", contract="W-002")
    chat.send_image("Udebtor", SLIP, message_id="90003")
    [payment] = payments(db)
    assert payment.amount == Decimal("2000.00")
    with db.session() as s:
        assert s.get(Payment, payment.id).contract.contract_no == "W-002"


def test_a_bad_amount_is_explained(chat, debtor):
    assert chat.say("Udebtor", "แจ้งโอน พันห้า").text == in_thai(
        "%(text)s is not an amount. Send แจ้งโอน with the amount in baht, for example: แจ้งโอน 1,500",
        text="พันห้า",
    )
    assert chat.say("Udebtor", "แจ้งโอน").text == in_thai(HOW_MUCH, contract="W-001")
    assert chat.say("Udebtor", "เยอะเลย").text == in_thai(
        "Please send the amount in baht as a number, for example 1500, or ยกเลิก to cancel."
    )


def test_a_photo_that_cannot_be_downloaded_is_asked_for_again(db, chat, debtor):
    chat.say("Udebtor", "แจ้งโอน 500")
    assert chat.send_image("Udebtor", message_id="nope").text == in_thai(
        "I could not receive the photo. Please send it again."
    )
    assert payments(db) == []
    chat.send_image("Udebtor", SLIP, message_id="90004")
    assert len(payments(db)) == 1


def test_cancel_ends_the_exchange(db, chat, debtor):
    chat.say("Udebtor", "แจ้งโอน 500")
    assert chat.say("Udebtor", "ยกเลิก").text == in_thai("Cancelled.")
    # A photo now is a new report, with nothing carried over from the cancelled one.
    assert chat.send_image("Udebtor", SLIP, message_id="90005").text == (
        in_thai(SLIP_KEPT) + "\n" + in_thai(HOW_MUCH, contract="W-001")
    )
    assert payments(db) == []


def test_a_sticker_gets_a_hint(chat, debtor):
    answer = chat.sticker("Udebtor")
    assert answer.text == in_thai(
        "Sorry, I am not sure what you mean. Did you mean one of these? Tap a button below, "
        "or send ช่วยเหลือ to see everything I can do."
    )
    assert answer.quick_replies()[0] == in_thai("Balance")


def test_help_lists_the_debtor_commands(chat, debtor):
    answer = chat.say("Udebtor", "ช่วยเหลือ").text
    for command in ("ยอด", "งวดถัดไป", "ชำระเงิน", "แจ้งโอน", "ติดต่อพัฒนากร", "ภาษา"):
        assert command in answer
    lines = answer.splitlines()
    assert lines[0] == in_thai("What you can send me:")
    assert in_thai("แจ้งโอน (paid): report a transfer and send the slip photo") in lines
    assert in_thai("ภาษา อังกฤษ / language thai: change the language") in lines
