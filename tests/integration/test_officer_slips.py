"""`ตรวจสลิป`: approve or reject debtors' transfer slips from LINE, audited, the debtor told."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from bot.i18n import format_date, format_money
from models.audit import AuditEntry
from models.contract import Contract
from models.ledger import record_payment
from models.outbox import OutboxMessage
from models.payment import Payment
from models.types import PaymentChannel, PaymentState, Source
from tests.factories import TEST_ACTOR
from tests.line_events import in_thai
from tests.line_schema import problems
from tests.officers import (
    APRIL_15,
    BANGKOK,
    DEBTOR,
    OFFICER,
    alt_lines,
    build_world,
    card_data_of,
    card_postbacks,
    data_of,
)


@pytest.fixture
def slips(session):
    world = build_world(session)
    ids = []
    for number, amount, day in (
        ("W-001", "1500", date(2025, 4, 3)),
        ("W-009", "900", date(2025, 4, 4)),
    ):
        contract = session.scalar(select(Contract).where(Contract.contract_no == number))
        payment = record_payment(
            session,
            TEST_ACTOR,
            contract,
            Decimal(amount),
            day,
            PaymentChannel.BANK_TRANSFER,
            state=PaymentState.PENDING,
            slip_path=f"slips/2025/04/{number}.jpg",
        )
        ids.append(payment.id)
    session.commit()
    return world, ids


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


def state_of(db, payment_id):
    with db.session() as s:
        return s.get(Payment, payment_id).state


def test_lists_only_my_areas_slips(chat, slips):
    sent = chat.say(OFFICER, "ตรวจสลิป")
    assert "W-001" in sent.text and format_money(Decimal("1500")) in sent.text
    assert "W-009" not in sent.text
    assert alt_lines(sent)[0] == in_thai("Transfer slips to check (%(count)d):", count=1)
    assert [label for label, _data in card_postbacks(sent)] == [
        in_thai("Approve"),
        in_thai("Reject"),
    ]
    assert problems(sent.cards[0], "FlexMessage") == []
    assert sent.quick_replies() == []  # one page


def test_approve_allocates_audits_and_tells_the_debtor_once(chat, db, slips):
    _world, (mine, _far) = slips
    listing = chat.say(OFFICER, "ตรวจสลิป")
    data = card_data_of(listing, in_thai("Approve"))
    approved = chat.tap(OFFICER, data)
    assert approved.replies.text.startswith(
        in_thai(
            "Approved: %(amount)s from %(name)s (%(contract)s), allocated to the installments",
            amount=format_money(Decimal("1500")),
            name="นางสมศรี ใจดี",
            contract="W-001",
        )
    )
    assert state_of(db, mine) is PaymentState.CONFIRMED
    told = approved.pushes.to(DEBTOR).text
    assert told == in_thai(
        "Your transfer of %(amount)s on %(date)s for contract %(contract)s has been "
        "checked and confirmed. Thank you. Send ยอด to see your balance.",
        amount="1,500.00 บาท",
        date=format_date(date(2025, 4, 3)),
        contract="W-001",
    )
    assert "3 เม.ย. 2568" in told
    # The same button again: nothing more happens.
    again = chat.tap(OFFICER, data)
    assert again.text == in_thai(
        "That slip was already handled: %(state)s", state=in_thai("approved")
    )
    assert again.pushes.deliveries == []
    with db.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "payment.confirm")).all()
        allocated = s.get(Payment, mine).allocations
    assert [(e.actor, e.source) for e in entries] == [(f"line:{OFFICER}", Source.LINE)]
    assert sum(a.principal + a.interest for a in allocated) == Decimal("1500.00")


def test_a_slip_outside_my_areas_cannot_be_approved(chat, db, slips):
    _world, (_mine, far) = slips
    answer = chat.tap(OFFICER, f"officer=slip&act=approve&id={far}")
    assert answer.text == in_thai("That slip is not one of your areas'. Send ตรวจสลิป to see yours.")
    assert state_of(db, far) is PaymentState.PENDING


def test_reject_asks_the_reason_then_tells_the_debtor(chat, db, slips):
    _world, (mine, _far) = slips
    listing = chat.say(OFFICER, "ตรวจสลิป")
    asked = chat.tap(OFFICER, card_data_of(listing, in_thai("Reject")))
    assert "นางสมศรี ใจดี" in asked.text
    assert state_of(db, mine) is PaymentState.PENDING
    done = chat.say(OFFICER, "ยอดในสลิปไม่ตรง")
    assert state_of(db, mine) is PaymentState.REJECTED
    told = done.pushes.to(DEBTOR).text
    assert "ยอดในสลิปไม่ตรง" in told and "1,500.00 บาท" in told
    with db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "payment.reject"))
    assert entry.after["reason"] == "ยอดในสลิปไม่ตรง" and entry.source is Source.LINE


def test_reject_can_be_cancelled(chat, db, slips):
    _world, (mine, _far) = slips
    chat.tap(OFFICER, f"officer=slip&act=reject&id={mine}")
    assert chat.say(OFFICER, "ยกเลิก").text == in_thai("Cancelled.")
    assert state_of(db, mine) is PaymentState.PENDING


def test_the_debtor_is_told_within_the_contact_hours(chat, db, slips):
    _world, (mine, _far) = slips
    late = datetime(2025, 4, 15, 21, 30, tzinfo=BANGKOK)
    with time_machine.travel(late, tick=False):
        approved = chat.tap(OFFICER, f"officer=slip&act=approve&id={mine}")
    assert approved.pushes.to(DEBTOR).deliveries == []
    with db.session() as s:
        row = s.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"slip-approved:{mine}")
        )
    assert row.status == "queued"
    assert row.next_attempt_at == datetime(2025, 4, 16, 8, 0, tzinfo=BANGKOK)


def test_ten_slips_a_carousel_and_more_continues(chat, session, slips):
    contract = session.scalar(select(Contract).where(Contract.contract_no == "W-001"))
    for n in range(11):
        record_payment(
            session,
            TEST_ACTOR,
            contract,
            Decimal(100 + n),
            date(2025, 4, 5),
            PaymentChannel.BANK_TRANSFER,
            state=PaymentState.PENDING,
            slip_path=f"slips/2025/04/more-{n}.jpg",
        )
    session.commit()
    first = chat.say(OFFICER, "ตรวจสลิป")
    [carousel] = first.cards
    assert len(carousel["contents"]["contents"]) == 10
    assert problems(carousel, "FlexMessage") == [] and len(carousel["altText"]) <= 400
    assert alt_lines(first)[0] == in_thai("Transfer slips to check (%(count)d):", count=12)
    second = chat.tap(OFFICER, data_of(first, in_thai("More")))
    assert len(second.cards[0]["contents"]["contents"]) == 2
    assert alt_lines(second)[1].startswith("11. ")
    assert len(card_postbacks(second)) == 4  # approve and reject on each
