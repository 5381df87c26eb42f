"""`นัดชำระ`: a promise to pay, settled from the payments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from models.audit import Actor
from models.field_reports import FieldReport, settle_promises
from models.reminders import VisitTask
from models.types import Source
from tests.integration.officer_fixtures import NOW, setup_officer

SYSTEM = Actor("scheduler", Source.SYSTEM)


@pytest.fixture
def rows(session):
    return setup_officer(session)


def promise(db) -> FieldReport:
    with db.session() as session:
        return session.scalar(select(FieldReport).where(FieldReport.kind == "promise"))


def test_a_promise_kept_by_paying_in_full(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        answer = chat.say("Uofficer", "นัดชำระ สมศรี ใจดี 20/3/69 1,000")
        assert "20 มี.ค. 2569" in answer.text
        chat.say("Uofficer", "รับชำระ สมศรี 1000")
    assert promise(db).promise_status == "kept"


def test_a_broken_promise_becomes_a_visit_task_the_day_after(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "นัดชำระ สมศรี พรุ่งนี้ 1,000")
    with db.session() as session:
        settle_promises(session, SYSTEM, date(2026, 3, 12))
        assert session.scalar(select(FieldReport.promise_status)) == "open"
        settle_promises(session, SYSTEM, date(2026, 3, 13))
    with db.session() as session:
        [task] = session.scalars(select(VisitTask)).all()
    assert promise(db).promise_status == "broken"
    assert task.reason == "promise_broken"
    assert task.planned_on == date(2026, 3, 12) + timedelta(days=1)


def test_a_part_paid_promise_is_partial(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "นัดชำระ สมศรี พรุ่งนี้ 1,000")
        chat.say("Uofficer", "รับชำระ สมศรี 400")
    with db.session() as session:
        settle_promises(session, SYSTEM, date(2026, 3, 13))
    assert promise(db).promise_status == "partial"


def test_a_date_in_the_past_is_refused(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "นัดชำระ สมศรี 1/3/69 1,000")
    assert promise(db) is None


def test_the_debtor_hears_only_of_the_promise_the_day_before(db, chat, rows, session):
    from zoneinfo import ZoneInfo

    from models.reminder_policy import PolicyBook
    from models.reminders import ReminderItem, plan
    from scheduler.reminder_texts import ReminderTexts

    rows["somsri"].line_user_id = "U" + "1" * 32
    session.commit()
    bkk = ZoneInfo("Asia/Bangkok")
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "นัดชำระ สมศรี 20/3/69 1,000")

    def planned(day: int) -> list[tuple[str, int]]:
        with db.session() as s:
            moment = NOW.replace(day=day, hour=9).astimezone(bkk)
            plan(s, moment, bkk, PolicyBook(), ReminderTexts())
        with db.session() as s:
            rows_ = s.execute(
                select(ReminderItem.kind, ReminderItem.stage).where(
                    ReminderItem.contact_day == date(2026, 3, day)
                )
            )
            return sorted(rows_.all())

    assert planned(16) == []  # the 15-days-late stage waits behind the promise
    assert planned(19) == [("promise", -1)]
    assert planned(21) != [] and all(kind == "installment" for kind, _ in planned(21))
