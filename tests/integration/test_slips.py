"""Slips sent any time: stored at once, only the unknown asked, mini QR read, duplicates caught."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from models.payment import Payment
from models.slip import Slip
from models.slip_reader import read_slip_qr
from models.types import PaymentState
from tests.factories import make_borrower, make_contract
from tests.line_events import in_thai
from tests.slip_data import slip_image

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
UNREADABLE = b"\xff\xd8\xff\xe0 a jpeg slip"
KEPT = "I have received your slip."
HOW_MUCH = (
    "How much did you transfer for contract %(contract)s? Send the amount in baht, "
    "for example 1500."
)
RECORDED = (
    "Thank you. Your transfer of %(amount)s for contract %(contract)s is recorded; "
    "staff will check the slip and confirm it."
)
DUPLICATE = (
    "This slip has been sent before, so I have not counted it again. If you made another "
    "transfer, please send the slip of that transfer. If you think this is a mistake, please "
    "contact your officer."
)


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(APRIL_15, tick=True):
        yield


@pytest.fixture
def contract(session):
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    return contract


def slips(db) -> list[Slip]:
    with db.session() as session:
        return list(session.scalars(select(Slip).order_by(Slip.id)))


def payments(db) -> list[Payment]:
    with db.session() as session:
        return list(session.scalars(select(Payment).order_by(Payment.id)))


def test_the_mini_qr_is_read_off_a_slip_photo():
    qr = read_slip_qr(slip_image("0014242082547BPM0498"))
    assert (qr.bank, qr.reference, qr.crc_ok) == ("004", "0014242082547BPM0498", True)
    assert read_slip_qr(UNREADABLE) is None
    assert read_slip_qr(b"not an image at all") is None


def test_a_photo_without_report_is_stored_at_once_then_only_the_amount_asked(db, chat, contract):
    photo = slip_image("0014242082547BPM0498")
    asked = chat.send_image("Udebtor", photo, message_id="m1")
    assert asked.text == in_thai(KEPT) + "\n" + in_thai(HOW_MUCH, contract="W-001")
    # Overdue (Feb, Mar, Apr) and the next installment, then "other" and cancel.
    assert asked.quick_replies() == [
        "3,000.00 บาท",
        "1,000.00 บาท",
        in_thai("Other amount"),
        in_thai("Cancel"),
    ]
    [slip] = slips(db)
    assert (slip.qr_status, slip.bank_code, slip.bank_reference) == (
        "read",
        "004",
        "0014242082547BPM0498",
    )
    assert slip.payment_id is None
    stored = Path(chat.runtime.settings.instance_path) / slip.path
    assert stored.read_bytes() == photo and slip.sha256 in stored.name + slip.sha256
    answer = chat.say("Udebtor", "3,000.00")
    assert answer.text == in_thai(RECORDED, amount="3,000.00 บาท", contract="W-001")
    [payment] = payments(db)
    assert (payment.amount, payment.state) == (Decimal("3000.00"), PaymentState.PENDING)
    assert payment.slip_path == slip.path
    assert payment.reference == "slip-qr:004:0014242082547BPM0498"
    assert slips(db)[0].payment_id == payment.id


def test_other_amount_then_typed(db, chat, contract):
    chat.send_image("Udebtor", UNREADABLE, message_id="m2")
    typed = chat.say("Udebtor", in_thai("Other amount"))
    typed_amount = "Please type the amount you transferred in baht, for example 1500."
    assert typed.text == in_thai(typed_amount)
    chat.say("Udebtor", "1,234.50")
    [payment] = payments(db)
    assert payment.amount == Decimal("1234.50")
    assert slips(db)[0].qr_status == "unread"


def test_with_several_contracts_it_asks_which_then_how_much(db, session, chat, contract):
    make_contract(session, contract_no="W-002", borrower=contract.borrower)
    session.commit()
    asked = chat.send_image("Udebtor", slip_image("REF0000000000001"), message_id="m3")
    assert asked.quick_replies() == ["W-001", "W-002", in_thai("Cancel")]
    assert len(slips(db)) == 1
    assert chat.say("Udebtor", "W-002").text == in_thai(HOW_MUCH, contract="W-002").join(
        [in_thai(KEPT) + "\n", ""]
    )
    chat.say("Udebtor", "500")
    [payment] = payments(db)
    with db.session() as s:
        assert s.get(Payment, payment.id).contract.contract_no == "W-002"


def test_send_slip_postback_chooses_the_contract(db, session, chat, contract):
    other = make_contract(session, contract_no="W-002", borrower=contract.borrower)
    session.commit()
    asked = chat.tap("Udebtor", f"send_slip:{other.id}")
    assert "W-002" in asked.text
    chat.send_image("Udebtor", slip_image("REF0000000000002"), message_id="m4")
    chat.say("Udebtor", "700")
    [payment] = payments(db)
    assert payment.contract_id == other.id


def test_a_reference_submitted_before_by_anyone_is_flagged_and_not_counted(
    db, session, chat, contract
):
    neighbour = make_borrower(session, "มาลี ดีงาม", line_user_id="Uother")
    make_contract(session, contract_no="W-003", borrower=neighbour)
    session.commit()
    chat.send_image("Udebtor", slip_image("0014242082547BPM0498"), message_id="m5")
    chat.say("Udebtor", "1,000")
    # The same transfer, photographed again (different bytes), by someone else.
    again = chat.send_image("Uother", slip_image("0014242082547BPM0498", caption="x"))
    assert again.text == in_thai(DUPLICATE)
    first, second = slips(db)
    assert second.qr_status == "duplicate" and second.duplicate_of_id == first.id
    assert second.payment_id is None and second.reference_key is None
    assert len(payments(db)) == 1
    # The very same file again is a duplicate too, even without a readable QR.
    chat.send_image("Udebtor", UNREADABLE, message_id="m6")
    chat.say("Udebtor", "ยกเลิก")
    assert chat.send_image("Udebtor", UNREADABLE).text == in_thai(DUPLICATE)


def test_non_images_and_huge_files_are_refused_and_not_stored(db, chat, contract):
    refused = chat.send_image("Udebtor", b"%PDF-1.7 not a photo", message_id="m7")
    assert refused.text == in_thai(
        "That is not a photo I can read. Please send the slip as a photo."
    )
    huge = b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024)
    assert chat.send_image("Udebtor", huge).text == in_thai(
        "The photo is too large. Please send a smaller photo of the slip."
    )
    assert slips(db) == []


def test_photos_in_a_group_are_not_taken(db, chat, contract):
    chat.send_image("Udebtor", slip_image("REF0000000000003"), group_id="Cgroup")
    assert slips(db) == []
