"""Staff approve or reject a slip: the debtor is told by a push, within the contact hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from models.outbox import OutboxMessage
from models.payment import Payment
from tests.factories import make_contract
from tests.line_events import in_thai

BANGKOK = ZoneInfo("Asia/Bangkok")
TUESDAY_10 = datetime(2025, 4, 15, 10, 0, tzinfo=BANGKOK)
TUESDAY_21 = datetime(2025, 4, 15, 21, 30, tzinfo=BANGKOK)
SLIP = b"\xff\xd8\xff\xe0 a jpeg slip"


@pytest.fixture
def pending(db, session, chat):
    """A 1,500-baht slip Udebtor reported on Tuesday morning: the payment's id."""
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    with time_machine.travel(TUESDAY_10, tick=False):
        chat.say("Udebtor", "แจ้งโอน 1500")
        chat.send_image("Udebtor", SLIP, message_id="n1")
    with db.session() as s:
        return s.scalar(select(Payment.id))


def notices(db) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("slip-%"))))


def test_an_approval_in_office_hours_is_pushed_at_once(db, cli, chat, pending):
    with time_machine.travel(TUESDAY_10.replace(hour=14), tick=False):
        assert cli("slip", "approve", str(pending)).exit_code == 0
        [row] = notices(db)
        assert row.recipients == ["Udebtor"]
        sent = chat.messenger.flush()
    assert sent == 1
    [push] = chat.line.deliveries[-1:]
    text = push.messages[0]["text"]
    assert push.to == "Udebtor" and push.how == "push"
    assert "1,500.00 บาท" in text and "W-001" in text and text.endswith("ค่ะ")


def test_a_rejection_at_night_waits_for_the_morning(db, cli, chat, pending):
    with time_machine.travel(TUESDAY_21, tick=False):
        result = cli("slip", "reject", str(pending), "--reason", "ยอดในสลิปไม่ตรง")
        assert result.exit_code == 0, result.output
        [row] = notices(db)
        assert row.next_attempt_at == datetime(2025, 4, 16, 8, 0, tzinfo=BANGKOK)
        before = len(chat.line.deliveries)
        chat.messenger.flush()
        assert len(chat.line.deliveries) == before
    with time_machine.travel(datetime(2025, 4, 16, 8, 5, tzinfo=BANGKOK), tick=False):
        chat.messenger.flush()
    text = chat.line.deliveries[-1].messages[0]["text"]
    assert "ยอดในสลิปไม่ตรง" in text and "1,500.00 บาท" in text
    assert in_thai("Report a transfer") in [
        item["action"]["label"]
        for item in chat.line.deliveries[-1].messages[0]["quickReply"]["items"]
    ]
