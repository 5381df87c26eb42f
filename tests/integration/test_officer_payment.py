"""`รับชำระ`: an officer records cash collected, on both engines."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from models.audit import AuditEntry
from models.field_reports import FieldReport
from models.payment import Payment
from models.types import PaymentChannel
from tests.factories import make_borrower
from tests.integration.officer_fixtures import NOW, TODAY, setup_officer


@pytest.fixture
def rows(session):
    return setup_officer(session)


def payments(db):
    with db.session() as session:
        return list(session.scalars(select(Payment).order_by(Payment.id)))


def test_cash_is_recorded_allocated_and_audited(db, chat, rows):
    with time_machine.travel(NOW, tick=False):
        answer = chat.say("Uofficer", "รับชำระ สมศรี ใจดี 1,500")
    assert "1,500.00 บาท" in answer.text
    assert "W-001" in answer.text
    [payment] = payments(db)
    assert payment.amount == Decimal("1500.00")
    assert payment.channel is PaymentChannel.CASH_OFFICER
    assert payment.paid_on == TODAY
    assert payment.recorded_by == "line:Uofficer"
    with db.session() as session:
        report = session.scalar(select(FieldReport))
        assert report.kind == "payment" and report.payment_id == payment.id
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"payment.record", "field_report.payment", "collection_case.open"} <= actions


def test_forms_of_amount_date_and_debtor(db, chat, rows):
    with time_machine.travel(NOW, tick=False):
        chat.say("Uofficer", "/paid W-001 1.5พัน 10/3/69")
        chat.say("Uofficer", "รับชำระ 081-234-5678 ๕๐๐ บาท เมื่อวาน")
    first, second = payments(db)
    assert first.amount == Decimal("1500.00") and str(first.paid_on) == "2026-03-10"
    assert second.amount == Decimal("500.00") and str(second.paid_on) == "2026-03-10"


def test_more_than_owed_or_future_asks_first_and_yes_stores_once(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        answer = chat.say("Uofficer", "รับชำระ สมศรี 50000")
        assert answer.quick_replies() == ["ใช่", "ไม่"]
        assert payments(db) == []
        chat.say("Uofficer", "ใช่")
        chat.say("Uofficer", "ใช่")  # a second tap stores nothing more
        assert len(payments(db)) == 1
        chat.say("Uofficer", "รับชำระ สมศรี 100 พรุ่งนี้")
        chat.say("Uofficer", "ไม่")
    assert len(payments(db)) == 1


def test_mistyped_strangers_debtors_and_other_areas_store_nothing(db, chat, rows, session):
    rows["somsri"].line_user_id = "Udebtor"
    session.commit()
    with time_machine.travel(NOW, tick=False):
        assert "รับชำระ" in chat.say("Uofficer", "รับชำระ สมศรี").text
        assert chat.say("Ustranger", "รับชำระ สมศรี 100").text
        assert chat.say("Udebtor", "รับชำระ สมศรี 100").text
        outside = chat.say("Uofficer", "รับชำระ บุญมี ไกลบ้าน 100").text
        assert "ไม่พบ" in outside and "W-900" not in outside and "เสาไห้" not in outside
    assert payments(db) == []


def test_namesakes_get_a_pick_and_the_pick_completes_once(db, chat, rows, session):
    make_borrower(session, "นางสมศรี ใจงาม", rows["somsri"].area)
    session.commit()
    with time_machine.travel(NOW, tick=True):
        answer = chat.say("Uofficer", "รับชำระ สมศรี 300")
        assert len(answer.quick_replies()) == 2
        items = answer.messages[-1]["quickReply"]["items"]
        pick = next(q for q in items if "ใจดี" in q["action"]["text"])
        chat.say("Uofficer", pick["action"]["text"])
        chat.say("Uofficer", pick["action"]["text"])
    [payment] = payments(db)
    assert payment.amount == Decimal("300.00")
