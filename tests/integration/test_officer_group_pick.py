"""Namesakes in a working-team group: a pick of buttons only the officer who asked may tap,
kept per (group, officer), so two officers of one group never answer each other's question."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from models.area import Area
from models.field_reports import FieldReport
from models.identity import GROUP_TEAM, LineGroup
from models.payment import Payment
from models.staff import Staff
from models.types import Role
from tests.factories import make_borrower
from tests.integration.officer_fixtures import NOW, setup_officer
from tests.line_events import in_thai
from tests.officers import postbacks

TEAM = "Cteam"
SECOND = "Uofficer2"


@pytest.fixture
def rows(session):
    rows = setup_officer(session)
    make_borrower(session, "นางสมศรี ใจงาม", rows["somsri"].area)
    subdistrict = session.scalar(select(Area).where(Area.path == "สระบุรี/แก่งคอย/หินซ้อน"))
    session.add(LineGroup(group_id=TEAM, kind=GROUP_TEAM, area_id=subdistrict.id, active=True))
    session.add(
        Staff(name="สมหญิง", role=Role.FIELD_OFFICER, line_user_id=SECOND, areas=[subdistrict])
    )
    session.commit()
    return rows


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=True):
        yield


def payments(db):
    with db.session() as session:
        return list(session.scalars(select(Payment)))


def notes(db):
    with db.session() as session:
        return [
            r.text for r in session.scalars(select(FieldReport).where(FieldReport.kind == "note"))
        ]


def data_of_choice(sent, name: str) -> str:
    [(label, fields)] = [(lb, f) for lb, f in postbacks(sent) if name in lb]
    return "&".join(f"{k}={v}" for k, v in fields.items())


def test_two_officers_pick_in_one_group_and_others_are_refused(db, chat, rows):
    mine = chat.say("Uofficer", "รับชำระ สมศรี 300", group_id=TEAM)
    assert mine.to(TEAM).text.startswith(in_thai("Which debtor do you mean?"))
    assert len(postbacks(mine)) == 2
    theirs = chat.say(SECOND, "บันทึก สมศรี ไม่อยู่บ้าน", group_id=TEAM)
    assert len(postbacks(theirs)) == 2

    refusal = in_thai(
        "Sorry, this question is for %(name)s, who sent the command. Please send "
        "your own command if you need one.",
        name="สมชาย รักงาน",
    )
    tap = data_of_choice(mine, "ใจดี")
    assert chat.tap("Ustranger", tap, group_id=TEAM).text == refusal
    assert chat.tap(SECOND, tap, group_id=TEAM).text == refusal
    assert payments(db) == []

    done = chat.tap("Uofficer", tap, group_id=TEAM)
    assert "W-001" in done.to(TEAM).text or "สมศรี ใจดี" in done.to(TEAM).text
    assert chat.tap("Uofficer", tap, group_id=TEAM).text == in_thai(
        "That question is no longer open (answered, replaced or expired)"
    )
    [payment] = payments(db)
    assert payment.amount == Decimal("300.00") and payment.contract_id == rows["contract"].id

    # The other officer's question was not touched by the first one's answer.
    chat.tap(SECOND, data_of_choice(theirs, "ใจงาม"), group_id=TEAM)
    assert notes(db) == ["ไม่อยู่บ้าน"]


def test_a_pick_then_a_yes_in_the_group(db, chat, rows):
    asked = chat.say("Uofficer", "รับชำระ สมศรี 50000", group_id=TEAM)
    confirm = chat.tap("Uofficer", data_of_choice(asked, "ใจดี"), group_id=TEAM)
    assert [label for label, _f in postbacks(confirm)] == [in_thai("Yes"), in_thai("No")]
    assert payments(db) == []
    [(_label, yes)] = [(lb, f) for lb, f in postbacks(confirm) if lb == in_thai("Yes")]
    chat.tap("Uofficer", "&".join(f"{k}={v}" for k, v in yes.items()), group_id=TEAM)
    assert len(payments(db)) == 1


def test_a_new_question_replaces_the_old_one(db, chat, rows):
    first = chat.say("Uofficer", "รับชำระ สมศรี 300", group_id=TEAM)
    chat.say("Uofficer", "รับชำระ สมศรี 400", group_id=TEAM)
    stale = chat.tap("Uofficer", data_of_choice(first, "ใจดี"), group_id=TEAM)
    assert stale.text == in_thai("That question is no longer open (answered, replaced or expired)")
    assert payments(db) == []


def test_a_pick_in_a_group_leaves_the_officers_private_chat_alone(db, chat, rows):
    chat.say("Uofficer", "รับชำระ สมศรี 300", group_id=TEAM)
    private = chat.say("Uofficer", "รับชำระ สมศรี 200")
    chat.say("Uofficer", next(q for q in private.quick_replies() if "ใจดี" in q))
    assert [p.amount for p in payments(db)] == [Decimal("200.00")]


def test_cancel_in_the_group_forgets_the_officers_open_pick(db, chat, rows):
    asked = chat.say("Uofficer", "รับชำระ สมศรี 300", group_id=TEAM)
    theirs = chat.say(SECOND, "บันทึก สมศรี ไม่อยู่บ้าน", group_id=TEAM)
    cancelled = chat.say("Uofficer", "ยกเลิก", group_id=TEAM)
    assert cancelled.to(TEAM).text == in_thai("Cancelled: nothing was recorded")
    stale = chat.tap("Uofficer", data_of_choice(asked, "ใจดี"), group_id=TEAM)
    assert stale.text == in_thai("That question is no longer open (answered, replaced or expired)")
    assert payments(db) == []
    # Only the officer's own question went: the other officer's pick still works.
    chat.tap(SECOND, data_of_choice(theirs, "ใจงาม"), group_id=TEAM)
    assert notes(db) == ["ไม่อยู่บ้าน"]
    # With nothing open, ยกเลิก in a group says where undoing entries happens.
    again = chat.say("Uofficer", "ยกเลิก", group_id=TEAM)
    assert again.to(TEAM).text == in_thai("Please undo entries in a 1:1 chat with me")
