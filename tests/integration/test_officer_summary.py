"""`สรุป [เดือน]`: collected this month, arrears now vs 1 October, visits made."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from bot.i18n import format_date, format_money
from models.contract import Contract
from models.ledger import record_payment, reverse_payment
from models.types import PaymentChannel
from tests.factories import TEST_ACTOR
from tests.line_events import in_thai
from tests.officers import APRIL_15, OFFICER, build_world


@pytest.fixture
def world(session):
    world = build_world(session)
    mine = session.scalar(select(Contract).where(Contract.contract_no == "W-001"))
    far = session.scalar(select(Contract).where(Contract.contract_no == "W-009"))
    record_payment(
        session, TEST_ACTOR, mine, Decimal("1000"), date(2025, 4, 2), PaymentChannel.CASH_OFFICER
    )
    wrong = record_payment(
        session, TEST_ACTOR, mine, Decimal("700"), date(2025, 4, 5), PaymentChannel.CASH_OFFICER
    )
    reverse_payment(session, TEST_ACTOR, wrong, "ซ้ำ")
    record_payment(
        session, TEST_ACTOR, far, Decimal("5000"), date(2025, 4, 2), PaymentChannel.CASH_OFFICER
    )
    record_payment(
        session, TEST_ACTOR, mine, Decimal("1000"), date(2025, 3, 2), PaymentChannel.CASH_OFFICER
    )
    session.commit()
    return world


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


def test_this_month(chat, world):
    lines = chat.say(OFFICER, "สรุป").text.splitlines()
    assert lines[0] == in_thai("Summary of %(month)s for your areas:", month="เม.ย. 2568")
    # Only my areas, and a reversed payment counts nothing.
    assert lines[1] == in_thai(
        "Collected: %(amount)s (%(count)d payments)", amount=format_money(Decimal("1000")), count=1
    )
    # Now: W-001 owes Feb-Apr less 2,000 paid = 1,000; W-002 owes Dec-Apr = 5,000.
    assert lines[2] == in_thai(
        "Overdue on %(day)s: %(amount)s on %(count)d contracts",
        day=format_date(date(2025, 4, 15)),
        amount=format_money(Decimal("6000")),
        count=2,
    )
    # 1 October 2024: nothing was due yet.
    assert lines[3] == in_thai(
        "Overdue on %(day)s (start of the fiscal year): %(amount)s on %(count)d contracts",
        day=format_date(date(2024, 10, 1)),
        amount=format_money(Decimal("0")),
        count=0,
    )
    assert lines[5] == in_thai("Visits made: %(count)d", count=0)


def test_a_month_named(chat, world):
    lines = chat.say(OFFICER, "สรุป มี.ค.").text.splitlines()
    assert lines[0] == in_thai("Summary of %(month)s for your areas:", month="มี.ค. 2568")
    assert format_money(Decimal("1000")) in lines[1]
    assert format_date(date(2025, 3, 31)) in lines[2]


def test_mistyped(chat, world):
    assert chat.say(OFFICER, "สรุป เดือนหน้า").text == in_thai(
        "Send สรุป for this month, or สรุป and a month, for example: สรุป มี.ค. 2569"
    )
