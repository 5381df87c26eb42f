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
    make_app,
    post_events,
    routed,
    sticker_event,
    text_event,
    unfollow_event,
)

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
SLIP = b"\xff\xd8\xff\xe0 a jpeg slip"


@pytest.fixture
def app(line_env):
    app = make_app(line_env)
    yield app
    app.extensions["fundbot"].db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


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
        assert "ลงทะเบียน" in say(client, fake_line, command, user_id="Ustranger")


def test_a_new_friend_is_greeted_in_the_language_of_their_line_app(client, fake_line):
    fake_line.add_profile("Unew", "New Friend", language="en")
    post_events(client, routed(fake_line, follow_event("Unew")))
    greeting = "\n".join(fake_line.texts_to("Unew"))
    assert greeting.startswith("Hello!")
    assert "ลงทะเบียน" in greeting
    # The chosen language sticks for the next answer too.
    assert say(client, fake_line, "hello", user_id="Unew").startswith("Your LINE account")


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
    assert "สมศรี" in fake_line.texts_to("Udebtor")[-1]


def test_balance_lists_every_contract(session, client, fake_line, debtor):
    kkcj = make_fund(session, FundKind.KKCJ, village=debtor.area)
    make_contract(session, contract_no="K-7", principal="6000", count=6, fund=kkcj, borrower=debtor)
    session.commit()
    answer = say(client, fake_line, "ยอด")
    assert "W-001" in answer and "K-7" in answer
    assert "6,000.00 บาท" in answer and "12,000.00 บาท" in answer
    assert "15 เม.ย. 2568" in answer


def test_next_installment(client, fake_line, debtor):
    answer = say(client, fake_line, "งวดถัดไป")
    assert "1 พ.ค. 2568" in answer and "1,000.00 บาท" in answer


def test_language_switch_changes_the_next_answer(db, client, fake_line, debtor):
    say(client, fake_line, "ภาษา อังกฤษ")
    answer = say(client, fake_line, "balance")
    assert "1 May 2025" in answer and "THB 1,000.00" in answer
    say(client, fake_line, "language thai")
    assert "1 พ.ค. 2568" in say(client, fake_line, "ยอด")
    with db.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "locale")).all()
    assert [e.after["locale"] for e in entries] == ["en", "th"]


def test_thai_digits_and_case_do_not_matter(client, fake_line, debtor):
    assert "1,000.00 บาท" in say(client, fake_line, "  BALANCE ")
    assert "English" in say(client, fake_line, "ภาษาอังกฤษ")
    assert "THB 1,000.00" in say(client, fake_line, "Balance")


def test_reporting_a_transfer_with_an_amount_records_a_pending_payment(
    db, app, client, fake_line, debtor
):
    assert "slip" in say(client, fake_line, "แจ้งโอน ๑,๕๐๐")
    fake_line.add_content("90001", SLIP)
    answer = send_photo(client, fake_line, "90001")
    assert "1,500.00 บาท" in answer
    [payment] = payments(db)
    assert payment.amount == Decimal("1500.00")
    assert (payment.state, payment.channel) == (PaymentState.PENDING, PaymentChannel.BANK_TRANSFER)
    assert payment.paid_on == date(2025, 4, 15)
    assert payment.slip_path == "slips/2025/04/90001.jpg"
    instance = Path(app.extensions["fundbot"].settings.instance_path)
    assert (instance / payment.slip_path).read_bytes() == SLIP
    # The exchange is over: another photo is not taken as a slip.
    assert "แจ้งโอน" in send_photo(client, fake_line, "90002")
    assert len(payments(db)) == 1


def test_reporting_a_transfer_asks_which_contract_and_how_much(
    db, session, client, fake_line, debtor
):
    make_contract(session, contract_no="W-002", borrower=debtor)
    session.commit()
    assert "Which contract" in say(client, fake_line, "แจ้งโอน")
    assert "How much" in say(client, fake_line, "w-002")
    assert "slip for 2,000.00 บาท" in say(client, fake_line, "2,000 บาท")
    fake_line.add_content("90003", SLIP)
    send_photo(client, fake_line, "90003")
    [payment] = payments(db)
    assert payment.amount == Decimal("2000.00")
    with db.session() as s:
        assert s.get(Payment, payment.id).contract.contract_no == "W-002"


def test_a_bad_amount_is_explained(client, fake_line, debtor):
    assert "not an amount" in say(client, fake_line, "แจ้งโอน พันห้า")
    assert "How much" in say(client, fake_line, "แจ้งโอน")
    assert "amount in baht" in say(client, fake_line, "เยอะเลย")


def test_a_photo_that_cannot_be_downloaded_is_asked_for_again(db, client, fake_line, debtor):
    say(client, fake_line, "แจ้งโอน 500")
    assert "send it again" in send_photo(client, fake_line, "nope")
    assert payments(db) == []
    fake_line.add_content("90004", SLIP)
    send_photo(client, fake_line, "90004")
    assert len(payments(db)) == 1


def test_cancel_ends_the_exchange(db, client, fake_line, debtor):
    say(client, fake_line, "แจ้งโอน 500")
    say(client, fake_line, "ยกเลิก")
    fake_line.add_content("90005", SLIP)
    send_photo(client, fake_line, "90005")
    assert payments(db) == []


def test_a_sticker_gets_a_hint(client, fake_line, debtor):
    post_events(client, routed(fake_line, sticker_event("Udebtor")))
    assert "ช่วยเหลือ" in fake_line.texts_to("Udebtor")[-1]


def test_help_lists_the_debtor_commands(client, fake_line, debtor):
    answer = say(client, fake_line, "ช่วยเหลือ")
    for command in ("ยอด", "งวดถัดไป", "แจ้งโอน", "ภาษา"):
        assert command in answer
