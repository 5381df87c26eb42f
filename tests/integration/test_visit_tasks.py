"""Visit tasks from the command line (`fundbot tasks`, `fundbot task done`) and officers'
phones (`fundbot officer add --phone`, `fundbot officer phone`)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.line.dispatcher import dispatch
from bot.line.transport import LineTransport
from models.audit import AuditEntry
from models.borrower import Borrower
from models.identity import GROUP_TEAM, LineGroup
from models.reminder_policy import PolicyBook
from models.reminders import VisitTask
from models.staff import Staff
from models.types import Role
from scheduler.reminders import plan_reminders, remind
from tests.factories import make_borrower, make_contract, make_village

BKK = ZoneInfo("Asia/Bangkok")
DUE = date(2026, 3, 16)
TEAM = "C" + "b" * 32


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BKK)


@pytest.fixture
def line(line_env):
    transport = LineTransport(Settings.from_env(line_env), timeout=2.0)
    yield transport
    transport.client.close()


@pytest.fixture
def unreachable(db):
    """Two debtors who never linked LINE, overdue since DUE, in two villages; a team group."""
    with db.session() as session:
        officer = Staff(name="สมชาย รักงาน", role=Role.FIELD_OFFICER, phone="0812345678")
        session.add(officer)
        session.flush()
        first = make_village(session)
        other = make_village(session, "แก่งคอย/ตาลเดี่ยว/หมู่ 5")
        for n, village in enumerate((first, other), start=1):
            borrower = make_borrower(session, f"นางทดสอบ คนที่{n}", village=village)
            contract = make_contract(
                session,
                f"W-00{n}",
                principal="12000",
                contract_date=date(2026, 2, 1),
                first_due=DUE,
                count=12,
                borrower=borrower,
            )
            contract.officer_id = officer.id
        session.add(LineGroup(group_id=TEAM, kind=GROUP_TEAM, area_id=first.province_id))
    return db


def test_tasks_lists_and_filters_then_done_is_audited_and_leaves_the_digest(
    cli, unreachable, line, fake_line
):
    db = unreachable
    plan_reminders(db, line, PolicyBook(), now=at("2026-03-17 06:00"))
    dispatch(db, line, now=at("2026-03-17 08:00"))
    [digest] = fake_line.texts_to(TEAM)
    assert "คนที่1" in digest and "คนที่2" in digest
    listed = cli("tasks")
    assert listed.exit_code == 0, listed.output
    assert "นางทดสอบ คนที่1" in listed.output and "นางทดสอบ คนที่2" in listed.output
    assert "16 มี.ค. 2569" in listed.output and "1,000.00 บาท" in listed.output
    only_here = cli("tasks", "--area", "แก่งคอย/หินซ้อน")
    assert "คนที่1" in only_here.output and "คนที่2" not in only_here.output
    with db.session() as session:
        first = session.scalar(
            select(VisitTask.id)
            .join(Borrower, Borrower.id == VisitTask.borrower_id)
            .where(Borrower.name.like("%คนที่1"))
        )

    done = cli("task", "done", str(first), "--note", "  ไปพบแล้ว  จะโอนวันศุกร์ ")
    assert done.exit_code == 0, done.output
    with db.session() as session:
        assert session.get(VisitTask, first).status == "done"
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "visit_task.done"))
        assert entry.entity_id == first
        assert entry.before == {"status": "open"}
        assert entry.after["status"] == "done"
        assert entry.after["note"] == "ไปพบแล้ว จะโอนวันศุกร์"

    still_open = cli("tasks", "--open")
    assert "คนที่1" not in still_open.output and "คนที่2" in still_open.output
    assert "คนที่1" in cli("tasks").output  # a done task is still listed without --open

    again = cli("task", "done", str(first))
    assert again.exit_code != 0 and "Traceback" not in again.output
    missing = cli("task", "done", "999999")
    assert missing.exit_code != 0 and "999999" in missing.output

    remind(db, line, PolicyBook(), now=at("2026-03-18 07:56"))
    dispatch(db, line, now=at("2026-03-18 08:00"))
    [_first, digest] = fake_line.texts_to(TEAM)
    assert "คนที่2" in digest and "คนที่1" not in digest


def test_officer_phone_is_validated_normalised_audited_and_named_in_reminders(
    cli, db, line, fake_line
):
    with db.session() as session:
        make_village(session)
    added = cli(
        "officer", "add", "--name", "สมหญิง ขยัน", "--role", "field_officer",
        "--area", "แก่งคอย/หินซ้อน", "--phone", "๐๘๑-๒๓๔-๕๖๗๘",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    with db.session() as session:
        staff = session.scalar(select(Staff))
        assert staff.phone == "0812345678"
        staff_id = staff.id
    refused = cli("officer", "phone", str(staff_id), "12345")
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "12345" in refused.output
    changed = cli("officer", "phone", str(staff_id), "+66 89 765 4321")
    assert changed.exit_code == 0, changed.output
    assert "0897654321" in cli("officer", "list").output
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.phone"))
        assert (entry.before, entry.after) == ({"phone": "0812345678"}, {"phone": "0897654321"})
        village = make_village(session)
        borrower = make_borrower(
            session, "นางสมศรี ใจดี", village=village, line_user_id="U" + "1" * 32
        )
        contract = make_contract(
            session, "W-001", contract_date=date(2026, 2, 1), first_due=DUE, borrower=borrower
        )
        contract.officer_id = staff_id
    remind(db, line, PolicyBook(), now=at("2026-03-16 09:00"))
    [text] = fake_line.texts_to("U" + "1" * 32)
    assert "0897654321" in text and "สมหญิง ขยัน" in text
