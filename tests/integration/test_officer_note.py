"""`บันทึก`: a note in the debtor's collection case; refused outside team groups."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from models.area import Area
from models.field_reports import CollectionCase, FieldReport
from models.identity import GROUP_REMINDER, GROUP_TEAM, LineGroup
from tests.integration.officer_fixtures import NOW, setup_officer


@pytest.fixture
def rows(session):
    return setup_officer(session)


def test_a_note_goes_into_the_open_case(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "บันทึก สมศรี ใจดี ขอเลื่อนไปสิ้นเดือน")
        chat.say("Uofficer", "note 0812345678 ย้ายไปอยู่กับลูกสาว")
    with db.session() as session:
        notes = list(session.scalars(select(FieldReport).order_by(FieldReport.id)))
        [case] = session.scalars(select(CollectionCase)).all()
    assert [n.text for n in notes] == ["ขอเลื่อนไปสิ้นเดือน", "ย้ายไปอยู่กับลูกสาว"]
    assert {n.case_id for n in notes} == {case.id}


def test_team_groups_only(db, chat, rows, session):
    area = session.scalar(select(Area).where(Area.path == "สระบุรี/แก่งคอย/หินซ้อน"))
    session.add(LineGroup(group_id="Cteam", kind=GROUP_TEAM, area_id=area.id))
    session.add(LineGroup(group_id="Cdebtors", kind=GROUP_REMINDER, area_id=area.id))
    session.commit()
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "บันทึก สมศรี ใจดี โทรไม่ติด", group_id="Cdebtors")
        chat.say("Uofficer", "บันทึก สมศรี ใจดี โทรไม่ติด", group_id="Cteam")
    with db.session() as session:
        assert len(session.scalars(select(FieldReport)).all()) == 1
