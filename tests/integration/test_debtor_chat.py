"""Debtor self-service in a 1:1 chat: greeting, balance, language, reporting a transfer."""

from __future__ import annotations

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
from tests.line_events import (
    follow_event,
    image_event,
    in_english,
    in_thai,
    post_events,
    routed,
    sticker_event,
    text_event,
    unfollow_event,
)

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
SLIP_FIRST = "If this is a transfer slip, send แจ้งโอน first, then the photo."


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


def say(client, fake, text: str, user_id: str = "Udebtor") -> str:
    """Send `text` 1:1; the bot's answer texts joined."""
    before = len(fake.texts_to(user_id))
    post_events(client, routed(fake, text_event(user_id, text)))
    return "\n".join(fake.texts_to(user_id)[before:])


def send_photo(client, fake, message_id: str, user_id: str = "Udebtor") -> str:
    before = len(fake.texts_to(user_id))
    post_events(client, routed(fake, image_event(user_id, message_id)))
    return "\n".join(fake.texts_to(user_id)[before:])


def payments(db) -> list[Payment]:
    with db.session() as session:
        return list(session.scalars(select(Payment).order_by(Payment.id)))


def test_an_unlinked_user_is_told_how_to_link(client, fake_line):
    for command in ("ยอด", "งวดถัดไป", "แจ้งโอน"):
        assert say(client, fake_line, command, user_id="Ustranger") == in_thai(HOW_TO_LINK)


def test_a_new_friend_is_greeted_in_the_language_of_their_line_app(client, fake_line):
    fake_line.add_profile("Unew", "New Friend", language="en")
    fake_line.add_profile("Uthai", "เพื่อนใหม่")  # no language in the profile: Thai
    post_events(client, routed(fake_line, follow_event("Unew")))
    post_events(client, routed(fake_line, follow_event("Uthai")))
    assert fake_line.texts_to("Unew") == [in_english(HELLO), in_english(HOW_TO_LINK)]
    assert fake_line.texts_to("Uthai") == [in_thai(HELLO), in_thai(HOW_TO_LINK)]
    # The chosen language sticks for the next answer too.
    assert say(client, fake_line, "hello", user_id="Unew") == in_english(HOW_TO_LINK)


def test_unfollow_marks_the_debtor_unreachable_and_follow_restores_it(
    db, client, fake_line, debtor
):
    post_events(client, unfollow_event("Udebtor"))
    with db.session() as session:
        assert session.get(Borrower, debtor.id).line_reachable is False
    post_events(client, routed(fake_line, follow_event("Udebtor")))
    with db.session() as session:
        assert session.get(Borrower, debtor.id).line_reachable is True
        actions = session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "line_reachable")
        ).all()
    assert actions == [{"line_reachable": False}, {"line_reachable": True}]
    assert fake_line.texts_to("Udebtor")[-1] == in_thai(
        "Welcome back, %(name)s! Send ยอด to see your balance.", name="สมศรี ใจดี"
    )


def contract_lines(contract_no: str, fund: str, principal: str) -> str:
    """The Thai balance of one contract on 15 April 2025: Feb, Mar and Apr unpaid."""
    return "\n".join(
        [
            in_thai("Contract %(contract)s (%(fund)s)", contract=contract_no, fund=in_thai(fund)),
            in_thai("Outstanding principal: %(amount)s", amount=principal),
            in_thai("Overdue: %(amount)s (%(days)d days late)", amount="3,000.00 บาท", days=73),
            in_thai(
                "Next installment: %(date)s, %(amount)s", date="1 พ.ค. 2568", amount="1,000.00 บาท"
            ),
        ]
    )


def test_balance_lists_every_contract(session, client, fake_line, debtor):
    kkcj = make_fund(session, FundKind.KKCJ, village=debtor.area)
    make_contract(session, contract_no="K-7", principal="6000", count=6, fund=kkcj, borrower=debtor)
    session.commit()
    answer = say(client, fake_line, "ยอด")
    assert "W-001" in answer and "K-7" in answer
    assert "6,000.00 บาท" in answer and "12,000.00 บาท" in answer
    assert "15 เม.ย. 2568" in answer
    assert answer == "\n\n".join(
        [
            in_thai("Your balance on %(date)s", date="15 เม.ย. 2568"),
            contract_lines("K-7", "KKCJ fund", "6,000.00 บาท"),
            contract_lines("W-001", "Women's Development Fund", "12,000.00 บาท"),
        ]
    )


def test_next_installment(client, fake_line, debtor):
    answer = say(client, fake_line, "งวดถัดไป")
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


def test_language_switch_changes_the_next_answer(db, client, fake_line, debtor):
    assert "1 พ.ค. 2568" in say(client, fake_line, "balance")
    assert say(client, fake_line, "ภาษา อังกฤษ") == in_english(IN_ENGLISH_NOW)
    answer = say(client, fake_line, "balance")
    assert answer.startswith(in_english("Your balance on %(date)s", date="15 Apr 2025"))
    assert "1 May 2025" in answer and "THB 1,000.00" in answer and "บาท" not in answer
    assert say(client, fake_line, "language thai") == in_thai(IN_THAI_NOW)
    answer = say(client, fake_line, "ยอด")
    assert answer.startswith(in_thai("Your balance on %(date)s", date="15 เม.ย. 2568"))
    assert "1 พ.ค. 2568" in answer and "THB" not in answer
    with db.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "locale")).all()
    assert [e.after["locale"] for e in entries] == ["en", "th"]


def test_thai_digits_and_case_do_not_matter(client, fake_line, debtor):
    assert "1,000.00 บาท" in say(client, fake_line, "  BALANCE ")
    assert say(client, fake_line, "ภาษาอังกฤษ") == in_english(IN_ENGLISH_NOW)
    assert "THB 1,000.00" in say(client, fake_line, "Balance")


def test_reporting_a_transfer_with_an_amount_records_a_pending_payment(
    db, app, client, fake_line, debtor
):
    asked = say(client, fake_line, "แจ้งโอน ๑,๕๐๐")
    assert asked == in_thai(SEND_SLIP, amount="1,500.00 บาท", contract="W-001")
    fake_line.add_content("90001", SLIP)
    answer = send_photo(client, fake_line, "90001")
    assert answer == in_thai(RECORDED, amount="1,500.00 บาท", contract="W-001")
    [payment] = payments(db)
    assert payment.amount == Decimal("1500.00")
    assert (payment.state, payment.channel) == (PaymentState.PENDING, PaymentChannel.BANK_TRANSFER)
    assert payment.paid_on == date(2025, 4, 15)
    assert payment.slip_path == "slips/2025/04/90001.jpg"
    instance = Path(app.extensions["fundbot"].settings.instance_path)
    assert (instance / payment.slip_path).read_bytes() == SLIP
    # The exchange is over: another photo is not taken as a slip.
    assert send_photo(client, fake_line, "90002") == in_thai(SLIP_FIRST)
    assert len(payments(db)) == 1


def test_reporting_a_transfer_asks_which_contract_and_how_much(
    db, session, client, fake_line, debtor
):
    make_contract(session, contract_no="W-002", borrower=debtor)
    session.commit()
    assert say(client, fake_line, "แจ้งโอน") == in_thai(WHICH_CONTRACT)
    [question] = fake_line.messages_to("Udebtor")[-1:]
    labels = [item["action"]["label"] for item in question["quickReply"]["items"]]
    assert labels == ["W-001", "W-002", in_thai("Cancel")]
    assert say(client, fake_line, "w-002") == in_thai(HOW_MUCH, contract="W-002")
    asked = say(client, fake_line, "2,000 บาท")
    assert asked == in_thai(SEND_SLIP, amount="2,000.00 บาท", contract="W-002")
    fake_line.add_content("90003", SLIP)
    send_photo(client, fake_line, "90003")
    [payment] = payments(db)
    assert payment.amount == Decimal("2000.00")
    with db.session() as s:
        assert s.get(Payment, payment.id).contract.contract_no == "W-002"


def test_a_bad_amount_is_explained(client, fake_line, debtor):
    assert say(client, fake_line, "แจ้งโอน พันห้า") == in_thai(
        "%(text)s is not an amount. Send แจ้งโอน with the amount in baht, for example: แจ้งโอน 1,500",
        text="พันห้า",
    )
    assert say(client, fake_line, "แจ้งโอน") == in_thai(HOW_MUCH, contract="W-001")
    assert say(client, fake_line, "เยอะเลย") == in_thai(
        "Please send the amount in baht as a number, for example 1500, or ยกเลิก to cancel."
    )


def test_a_photo_that_cannot_be_downloaded_is_asked_for_again(db, client, fake_line, debtor):
    say(client, fake_line, "แจ้งโอน 500")
    assert send_photo(client, fake_line, "nope") == in_thai(
        "I could not receive the photo. Please send it again."
    )
    assert payments(db) == []
    fake_line.add_content("90004", SLIP)
    send_photo(client, fake_line, "90004")
    assert len(payments(db)) == 1


def test_cancel_ends_the_exchange(db, client, fake_line, debtor):
    say(client, fake_line, "แจ้งโอน 500")
    assert say(client, fake_line, "ยกเลิก") == in_thai("Cancelled.")
    fake_line.add_content("90005", SLIP)
    assert send_photo(client, fake_line, "90005") == in_thai(SLIP_FIRST)
    assert payments(db) == []


def test_a_sticker_gets_a_hint(client, fake_line, debtor):
    post_events(client, routed(fake_line, sticker_event("Udebtor")))
    assert fake_line.texts_to("Udebtor")[-1] == in_thai(
        "Sorry, I did not understand. Send ช่วยเหลือ to see what I can do."
    )


def test_help_lists_the_debtor_commands(client, fake_line, debtor):
    answer = say(client, fake_line, "ช่วยเหลือ")
    for command in ("ยอด", "งวดถัดไป", "แจ้งโอน", "ภาษา"):
        assert command in answer
    lines = answer.splitlines()
    assert lines[0] == in_thai("What you can send me:")
    assert in_thai("แจ้งโอน (paid): report a transfer and send the slip photo") in lines
    assert in_thai("ภาษา อังกฤษ / language thai: change the language") in lines
