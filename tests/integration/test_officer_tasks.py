"""`งานวันนี้`: open visit tasks of my areas (new defaults added), each marked done once."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from models.audit import AuditEntry
from models.reminders import VisitTask
from tests.line_events import in_thai
from tests.line_schema import problems
from tests.officers import APRIL_15, OFFICER, alt_lines, build_world, card_postbacks


@pytest.fixture
def world(session):
    return build_world(session)


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


def test_new_defaults_become_visits_and_are_marked_done_once(chat, db, world):
    # มานี is 135 days late: past 90 days within the last 30 was never true... she crossed on
    # 1 Mar; สมศรี (73 days) has not crossed. Only recent crossings (91-120 days) are added.
    sent = chat.say(OFFICER, "งานวันนี้")
    assert sent.text == in_thai("No visits are waiting in your areas today")
    with time_machine.travel(APRIL_15.replace(month=5, day=20), tick=False):
        sent = chat.say(OFFICER, "tasks")  # สมศรี is now 108 days late
    assert alt_lines(sent)[0] == in_thai("Visits to make (%(count)d):", count=1)
    assert "W-001" in sent.text and in_thai("more than 90 days late") in sent.text
    assert problems(sent.cards[0], "FlexMessage") == []
    [(label, data)] = card_postbacks(sent)
    assert label == in_thai("Visit made")
    tap = f"officer=task&id={data['id']}"
    assert chat.tap(OFFICER, tap).text == in_thai("Marked done, thank you")
    assert chat.tap(OFFICER, tap).text == in_thai("That visit was already marked done")
    with db.session() as s:
        assert s.get(VisitTask, int(data["id"])).status == "done"
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "visit_task.done")).all()
    assert len(entries) == 1 and entries[0].actor == f"line:{OFFICER}"


def test_a_task_of_another_area_cannot_be_closed(chat, db, session, world):
    from models.borrower import Borrower
    from models.contract import Contract

    far = session.get(Borrower, world.other)
    contract = session.scalar(select(Contract).where(Contract.borrower_id == far.id))
    task = VisitTask(
        task_key="x",
        borrower_id=far.id,
        contract_id=contract.id,
        area_id=far.area_id,
        reason="broken_promise",
        due_date=APRIL_15.date(),
        planned_on=APRIL_15.date(),
    )
    session.add(task)
    session.commit()
    assert "W-009" not in chat.say(OFFICER, "งานวันนี้").text
    answer = chat.tap(OFFICER, f"officer=task&id={task.id}")
    assert answer.text == in_thai("That visit is not on your list. Send งานวันนี้ to see your visits.")
    with db.session() as s:
        assert s.get(VisitTask, task.id).status == "open"
