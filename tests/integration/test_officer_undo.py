"""`ยกเลิก` / `undo` for officers: the last entry reversed after a yes, never deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from models.field_reports import FieldReport
from models.payment import Payment
from models.types import PaymentState
from tests.integration.officer_fixtures import NOW, setup_officer


@pytest.fixture
def rows(session):
    return setup_officer(session)


def test_undo_reverses_the_last_payment_after_a_yes(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "รับชำระ สมศรี 1500")
        question = chat.say("Uofficer", "ยกเลิก")
        assert question.quick_replies() == ["ใช่", "ไม่"]
        chat.say("Uofficer", "ใช่")
    with db.session() as session:
        original, reversal = session.scalars(select(Payment).order_by(Payment.id)).all()
        report = session.scalar(select(FieldReport))
    assert original.state is PaymentState.REVERSED
    assert reversal.reverses_id == original.id
    assert report.reversed_at is not None


def test_no_keeps_it_and_ยกเลิก_cancels_the_question(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "บันทึก สมศรี โทรไม่ติด")
        chat.say("Uofficer", "undo")
        chat.say("Uofficer", "ไม่")
        chat.say("Uofficer", "ยกเลิก")
        chat.say("Uofficer", "ยกเลิก")  # cancels the question, reverses nothing
    with db.session() as session:
        assert session.scalar(select(FieldReport)).reversed_at is None


def test_nothing_older_than_a_day(db, chat, rows):
    with time_machine.travel(NOW, tick=False):
        chat.say("Uofficer", "บันทึก สมศรี โทรไม่ติด")
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        answer = chat.say("Uofficer", "ยกเลิก")
    assert "24" in answer.text
