"""A full history for debtor A of tests/dashboard_data.py: one of each thing the debtor
timeline shows, recorded through the domain operations (reminders and slips as the planner
and the chat would leave them), on 15 March 2026 and the days before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import time_machine
from sqlalchemy import select

from models.area import Area
from models.audit import Actor
from models.field_reports import NOTE, PROMISE, VISIT, add_report, attach_to_visit, settle_promises
from models.hardship import request_hardship
from models.ledger import record_payment, reverse_payment
from models.linking import issue_borrower_code
from models.outbox import OutboxMessage, OutboxStatus
from models.relief_rules import add_moratorium
from models.reminders import ReminderItem
from models.slip import QR_READ, Slip
from models.staff import Staff
from models.types import PaymentChannel, PaymentState, Role, Source
from tests.factories import TEST_ACTOR

OFFICER_LINE_ID = "Uofficer0001"
OFFICER = Actor(f"line:{OFFICER_LINE_ID}", Source.LINE)
LINE_ERROR = "The user hasn't added the LINE Official Account as a friend."
PHOTO = b"\xff\xd8\xff\xe0 a visit photo"


def _at(day: int, hour: int) -> datetime:
    """A moment in March 2026, Bangkok time (UTC+7)."""
    return datetime(2026, 3, day, hour - 7, 0, tzinfo=UTC)


def build_history(session, borrower, instance: Path) -> dict:
    """Everything on the timeline of `borrower` (debtor A); the ids the tests look for."""
    contract = borrower.contracts[0]
    district = session.scalar(select(Area).where(Area.path == "สระบุรี/แก่งคอย"))
    officer = Staff(
        name="สมชาย รักงาน",
        role=Role.FIELD_OFFICER,
        line_user_id=OFFICER_LINE_ID,
        areas=[district],
    )
    session.add(officer)
    session.flush()
    ids = {}
    with time_machine.travel(_at(1, 9), tick=False):
        ids["broken"] = add_report(
            session, OFFICER, officer, borrower, PROMISE, date(2026, 3, 1),
            promise_date=date(2026, 3, 5), promise_amount=Decimal("3000"),
        ).id  # fmt: skip
    with time_machine.travel(_at(8, 10), tick=False):
        visit = add_report(
            session, OFFICER, officer, borrower, VISIT, date(2026, 3, 8), text="พบที่บ้าน รับปากจะจ่าย"
        )
        ids["visit"] = visit.id
        photo = instance / "field_photos" / "2026" / "03" / "m1.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        photo.write_bytes(PHOTO)
        attach_to_visit(
            session, OFFICER, officer, _at(8, 10),
            photo={"path": "field_photos/2026/03/m1.jpg", "sha256": "x"},
        )  # fmt: skip
        attach_to_visit(
            session, OFFICER, officer, _at(8, 10),
            location={"latitude": 14.528, "longitude": 101.06, "address": "หมู่ 3 หินซ้อน"},
        )  # fmt: skip
        ids["kept"] = add_report(
            session, OFFICER, officer, borrower, PROMISE, date(2026, 3, 8),
            promise_date=date(2026, 3, 12), promise_amount=Decimal("2000"),
        ).id  # fmt: skip
    with time_machine.travel(_at(9, 11), tick=False):
        add_report(session, OFFICER, officer, borrower, NOTE, date(2026, 3, 9), text="โทรไม่รับสาย")
        request_hardship(session, OFFICER, borrower, "ขอพักชำระหนี้ น้ำท่วมนา", now=_at(9, 11))
    with time_machine.travel(_at(12, 9), tick=False):
        add_moratorium(
            session, TEST_ACTOR, contract, round_no=1, start=date(2026, 4, 1), end=date(2026, 6, 30)
        )
        ids["code"] = issue_borrower_code(
            session, TEST_ACTOR, borrower, now=_at(12, 9), secret_key="test-secret"
        )
    with time_machine.travel(_at(13, 14), tick=False):
        wrong = record_payment(
            session, TEST_ACTOR, contract, Decimal("100"), date(2026, 3, 13), PaymentChannel.OFFICE
        )
        ids["reversed"] = wrong.id
        ids["reversal"] = reverse_payment(session, TEST_ACTOR, wrong, "บันทึกผิดสัญญา").id
        pending = record_payment(
            session, Actor("line:Udebtor", Source.LINE), contract, Decimal("500"),
            date(2026, 3, 13), PaymentChannel.BANK_TRANSFER, state=PaymentState.PENDING,
            slip_path="slips/2026/03/s1.jpg",
        )  # fmt: skip
        ids["pending"] = pending.id
        session.add(
            Slip(
                borrower_id=borrower.id, payment_id=pending.id, path="slips/2026/03/s1.jpg",
                sha256="ab" * 32, size=1000, qr_status=QR_READ, created_at=_at(13, 14),
            )
        )  # fmt: skip
    _reminder(session, borrower, contract, OutboxStatus.FAILED, _at(14, 9), LINE_ERROR, 1)
    _reminder(session, borrower, contract, OutboxStatus.HELD, _at(15, 9), None, 2)
    settle_promises(session, TEST_ACTOR, date(2026, 3, 15), borrower_id=borrower.id)
    session.commit()
    return ids


def _reminder(session, borrower, contract, status, when, error, seq) -> None:
    """A reminder the planner queued, as the dispatcher left it."""
    installment = contract.installments[seq]
    message = OutboxMessage(
        dedupe_key=f"reminder:{borrower.id}:{seq}",
        recipients=["Udebtor"],
        messages=[{"type": "text", "text": "..."}],
        status=status,
        next_attempt_at=when,
        last_error=error,
        purpose="reminder",
        created_at=when - timedelta(hours=1),
    )
    session.add(message)
    session.flush()
    session.add(
        ReminderItem(
            kind="installment", ref_id=installment.id, stage=30 * seq, borrower_id=borrower.id,
            contract_id=contract.id, due_date=installment.due_date, contact_day=when.date(),
            expires_on=when.date(), channel="line", outbox_id=message.id,
        )
    )  # fmt: skip
