"""`ขอผ่อนผัน`: hardship requests from officers (for their debtors) and debtors, listed by the CLI."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from models.audit import AuditEntry
from models.hardship import HardshipRequest
from tests.line_events import in_thai
from tests.officers import APRIL_15, DEBTOR, OFFICER, build_world


@pytest.fixture
def world(session):
    return build_world(session)


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


def requests(db):
    with db.session() as s:
        return [
            (r.borrower_id, r.measure, r.reason, r.requested_by)
            for r in s.scalars(select(HardshipRequest))
        ]


def test_an_officer_files_for_a_debtor_by_name(chat, db, world):
    answer = chat.say(OFFICER, "ขอผ่อนผัน มานี มีนา น้ำท่วมนา ขอพักชำระ 3 เดือน").text
    assert "มานี" in answer and "น้ำท่วมนา" in answer
    assert requests(db) == [
        (world.mine[1], "moratorium", "น้ำท่วมนา ขอพักชำระ 3 เดือน", f"line:{OFFICER}")
    ]
    with db.session() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "hardship.request"))


def test_not_for_debtors_outside_my_areas(chat, db, world):
    answer = chat.say(OFFICER, "ขอผ่อนผัน W-009 ตกงาน").text
    assert "W-009" in answer and requests(db) == []
    assert chat.say(OFFICER, "ขอผ่อนผัน").text == in_thai(
        "Send ขอผ่อนผัน, the debtor's name or contract number, then the reason, for "
        "example: ขอผ่อนผัน W-001 น้ำท่วมนา ขอพักชำระ"
    )


def test_a_debtor_asks_for_themselves(chat, db, cli, world):
    answer = chat.say(DEBTOR, "ขอผ่อนผัน ตกงาน ขอปรับโครงสร้างหนี้").text
    assert answer.startswith(
        in_thai(
            "Thank you. Your request is recorded; the fund staff will look at it and your officer "
            "will contact you. Until then, please keep paying what you can."
        )
    )
    assert requests(db) == [
        (world.mine[0], "restructure", "ตกงาน ขอปรับโครงสร้างหนี้", f"line:{DEBTOR}")
    ]
    listed = cli("hardship", "list")
    assert listed.exit_code == 0 and "ตกงาน" in listed.output and "W-001" in listed.output
    assert "ตกงาน" not in cli("hardship", "list", "--area", "เมืองสระบุรี").output


def test_namesakes_get_the_pick_and_the_request_is_filed_on_it(chat, db, session, world):
    from models.borrower import Borrower
    from tests.factories import make_borrower

    village = session.get(Borrower, world.mine[1]).area
    make_borrower(session, "นางมานี ดีใจ", village)
    session.commit()
    asked = chat.say(OFFICER, "ขอผ่อนผัน มานี น้ำท่วมนา")
    assert asked.text.startswith(in_thai("Which debtor do you mean?"))
    assert requests(db) == []
    chat.say(OFFICER, next(q for q in asked.quick_replies() if "มีนา" in q))
    assert requests(db) == [(world.mine[1], None, "น้ำท่วมนา", f"line:{OFFICER}")]
