"""Reminders end to end: planning, the law, once-only, sending to the fake LINE server.

Every test here ends with an audit of what was sent (the `law_audit` fixture): no planned
message went out outside the contact hours, and no group got a name or an amount.
"""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from bot.config import Settings
from bot.line.dispatcher import dispatch
from bot.line.transport import LineTransport
from models.borrower import Borrower
from models.contact_rules import discloses, in_window, next_contact_time
from models.errors import DomainError
from models.identity import GROUP_REMINDER, GROUP_TEAM, LineGroup
from models.ledger import record_payment
from models.outbox import OutboxMessage
from models.reminder_policy import PolicyBook, load_policy, parse_policy
from models.reminders import ReminderItem, VisitTask, kkcj_report_due
from models.staff import Staff
from models.types import FundKind, PaymentChannel, PaymentState, Role
from scheduler.reminders import plan_reminders, remind
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_fund, make_village

BKK = ZoneInfo("Asia/Bangkok")
BOOK = PolicyBook()
DUE = date(2026, 3, 16)  # a Monday
USER = "U" + "1" * 32
USER2 = "U" + "2" * 32
OFFICER_USER = "U" + "9" * 32
GROUP = "C" + "a" * 32
TEAM = "C" + "b" * 32


def at(text: str) -> datetime:
    """A Bangkok wall-clock moment."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BKK)


@pytest.fixture
def line(line_env):
    transport = LineTransport(Settings.from_env(line_env), timeout=2.0)
    yield transport
    transport.client.close()


@pytest.fixture(autouse=True)
def law_audit(request):
    """After each test: every planned message sent went inside the window; groups saw no
    name and no amount (scanned on the real texts)."""
    db = request.getfixturevalue("db") if "db" in request.fixturenames else None
    yield
    if db is None:
        return
    with db.session() as session:
        names = [b.display_name for b in session.scalars(select(Borrower))]
        names += [b.name for b in session.scalars(select(Borrower))]
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.status == "sent", OutboxMessage.purpose.is_not(None)
            )
        ).all()
    for row in rows:
        assert in_window(row.sent_at, BKK), (row.dedupe_key, row.sent_at)
        for recipient in row.recipients:
            if recipient.startswith("C") and row.purpose != "staff":
                for message in row.messages:
                    assert not discloses(message["text"], names), message["text"]


@pytest.fixture
def world(db):
    """A linked debtor with one contract due on DUE, her officer, a reminder group."""
    with db.session() as session:
        village = make_village(session)
        officer = Staff(name="สมชาย รักงาน", role=Role.FIELD_OFFICER, phone="0812345678")
        session.add(officer)
        session.flush()
        borrower = make_borrower(session, "นางสมศรี ใจดี", village=village, line_user_id=USER)
        contract = make_contract(
            session,
            "W-001",
            principal="12000",
            contract_date=date(2026, 2, 1),
            first_due=DUE,
            count=12,
            borrower=borrower,
        )
        contract.officer_id = officer.id
        return {"village_id": village.id, "officer_id": officer.id, "contract_id": contract.id}


def plan_at(db, line, moment: str, book=BOOK):
    return plan_reminders(db, line, book, now=at(moment))


def items(db):
    with db.session() as session:
        return session.execute(
            select(ReminderItem.kind, ReminderItem.stage, ReminderItem.contact_day).order_by(
                ReminderItem.id
            )
        ).all()


# ---------------------------------------------------------------------------- the stages


@pytest.mark.parametrize(
    ("day", "stage"),
    [
        (DUE - timedelta(days=8), None),
        (DUE - timedelta(days=7), -7),
        (DUE - timedelta(days=4), -7),  # caught up after downtime, not yet overtaken
        (DUE - timedelta(days=3), -3),
        (DUE - timedelta(days=1), -3),
        (DUE, 0),
        (DUE + timedelta(days=1), 1),
        (DUE + timedelta(days=6), 1),
        (DUE + timedelta(days=7), 7),
        (DUE + timedelta(days=15), 15),
        (DUE + timedelta(days=30), 30),
        (DUE + timedelta(days=37), 30),  # the last stage: up to 7 days late
        (DUE + timedelta(days=38), None),
    ],
)
def test_each_stage_and_its_boundaries(db, line, fake_line, world, day, stage):
    result = plan_at(db, line, f"{day.isoformat()} 06:00").plan
    stages = [i.stage for d in result.debtors for i in d.items if i.due_date == DUE]
    assert stages == ([] if stage is None else [stage])


def test_the_text_is_polite_thai_with_amount_be_date_how_to_pay_and_officer(
    db, line, fake_line, world
):
    report = remind(db, line, BOOK, now=at("2026-03-13 10:00"))
    assert report.sent == 1
    [text] = fake_line.texts_to(USER)
    assert "1,000.00 บาท" in text and "16 มี.ค. 2569" in text
    assert "W-001" in text and "สมชาย รักงาน" in text and "0812345678" in text
    assert '"แจ้งโอน"' in text and '"ยอด"' in text and "ค่ะ" in text


def test_planning_twice_plans_nothing_new(db, line, fake_line, world):
    first = plan_at(db, line, "2026-03-16 06:00")
    second = plan_at(db, line, "2026-03-16 12:00")
    assert len(first.plan.debtors) == 1 and second.plan.debtors == []
    with db.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1
    # The next day the due-today stage is overtaken by "1 day late": one new reminder.
    third = plan_at(db, line, "2026-03-17 06:00")
    assert [i.stage for i in third.plan.debtors[0].items] == [1]


def test_a_restructured_contract_is_reminded_on_its_new_schedule_only(db, line, fake_line, world):
    from models.relief_rules import restructure

    with db.session() as session:
        from models.contract import Contract

        contract = session.get(Contract, world["contract_id"])
        restructure(
            session,
            TEST_ACTOR,
            contract,
            installments=6,
            first_due=date(2026, 4, 20),
            effective=date(2026, 3, 1),
        )
    result = plan_at(db, line, "2026-03-16 06:00").plan
    assert result.debtors == []
    result = plan_at(db, line, "2026-04-13 06:00").plan
    assert [(i.due_date, i.stage) for i in result.debtors[0].items] == [(date(2026, 4, 20), -7)]


# ---------------------------------------------------------------------------- the law


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("2026-03-16 07:59", False),
        ("2026-03-16 08:00", True),
        ("2026-03-16 19:59", True),
        ("2026-03-16 20:00", False),
        ("2026-03-14 17:59", True),  # Saturday
        ("2026-03-14 18:00", False),
        ("2026-03-15 18:00", False),  # Sunday
        ("2026-04-13 17:59", True),  # Songkran, a Monday holiday
        ("2026-04-13 18:00", False),
        ("2026-04-17 19:00", True),  # the Friday after Songkran: a working day
    ],
)
def test_the_contact_window(moment, allowed):
    assert in_window(at(moment), BKK) is allowed


def test_outside_the_window_waits_for_the_next_one():
    assert next_contact_time(at("2026-03-16 20:00"), BKK) == at("2026-03-17 08:00")
    assert next_contact_time(at("2026-03-16 07:59"), BKK) == at("2026-03-16 08:00")
    assert next_contact_time(at("2026-03-14 18:30"), BKK) == at("2026-03-15 08:00")


def test_dispatch_at_night_waits_then_sends_in_the_morning(db, line, fake_line, world):
    # Planned at 21:00 on the 12th: the contact day is the 13th (3 days before), at 09:00.
    report = remind(db, line, BOOK, now=at("2026-03-12 21:00"))
    assert report.plan.day == date(2026, 3, 13) and report.sent == 0
    assert dispatch(db, line, now=at("2026-03-13 07:59")).sent == 0
    assert dispatch(db, line, now=at("2026-03-13 09:00")).sent == 1
    assert len(fake_line.texts_to(USER)) == 1


def test_a_retry_that_drifts_past_20_00_waits_for_the_morning(db, line, fake_line, world):
    plan_at(db, line, "2026-03-16 06:00")
    with db.session() as session:
        session.scalar(select(OutboxMessage)).next_attempt_at = at("2026-03-16 20:05")
    assert dispatch(db, line, now=at("2026-03-16 20:05")).sent == 0
    with db.session() as session:
        row = session.scalar(select(OutboxMessage))
        assert row.next_attempt_at == at("2026-03-17 08:00")
        assert row.last_error == "outside the contact hours"
    assert fake_line.pushes() == []


def test_one_message_a_day_for_several_stages_and_contracts(db, line, fake_line, world):
    with db.session() as session:
        borrower = session.scalar(select(Borrower))
        make_contract(
            session,
            "W-002",
            contract_date=date(2026, 1, 1),
            first_due=date(2026, 3, 9),
            count=6,
            borrower=borrower,
        )
    report = remind(db, line, BOOK, now=at("2026-03-16 10:00"))
    [debtor] = report.plan.debtors
    assert sorted((i.contract_no, i.stage) for i in debtor.items) == [("W-001", 0), ("W-002", 7)]
    [text] = fake_line.texts_to(USER)
    assert "W-001" in text and "W-002" in text
    assert report.sent == 1


def test_group_texts_carry_no_name_nor_amount(db, line, fake_line, world):
    with db.session() as session:
        session.add(LineGroup(group_id=GROUP, kind=GROUP_REMINDER, area_id=world["village_id"]))
    remind(db, line, BOOK, now=at("2026-03-13 10:00"))
    remind(db, line, BOOK, now=at("2026-03-14 10:00"))  # same due date: not again
    [text] = fake_line.texts_to(GROUP)
    assert "16 มี.ค. 2569" in text and '"ยอด"' in text
    assert "สมศรี" not in text and "1,000" not in text and "W-001" not in text
    assert not discloses(text, ["นางสมศรี ใจดี"])
    with pytest.raises(DomainError):
        from models.contact_rules import check_group_text

        check_group_text("งวดของ สมศรี 1,000.00 บาท")


# ---------------------------------------------------------------------------- at send time


def test_a_payment_between_planning_and_sending_drops_the_reminder(db, line, fake_line, world):
    plan_at(db, line, "2026-03-16 06:00")
    with db.session() as session:
        from models.contract import Contract

        contract = session.get(Contract, world["contract_id"])
        record_payment(
            session, TEST_ACTOR, contract, Decimal("1000"), DUE, PaymentChannel.CASH_OFFICER
        )
    assert dispatch(db, line, now=at("2026-03-16 09:00")).sent == 0
    with db.session() as session:
        row = session.scalar(select(OutboxMessage))
        assert row.status == "dropped"
    assert fake_line.pushes() == []


def test_a_pending_slip_drops_the_reminder_and_stops_planning(db, line, fake_line, world):
    plan_at(db, line, "2026-03-16 06:00")
    with db.session() as session:
        from models.contract import Contract

        contract = session.get(Contract, world["contract_id"])
        record_payment(
            session,
            TEST_ACTOR,
            contract,
            Decimal("1000"),
            DUE,
            PaymentChannel.BANK_TRANSFER,
            state=PaymentState.PENDING,
        )
    assert dispatch(db, line, now=at("2026-03-16 09:00")).sent == 0
    assert plan_at(db, line, "2026-03-17 06:00").plan.debtors == []


# ---------------------------------------------------------------------------- unreachable


def test_unreachable_debtors_become_visit_tasks_and_a_morning_digest(db, line, fake_line, world):
    with db.session() as session:
        session.scalar(select(Borrower)).line_reachable = False  # blocked the bot
        village = make_village(session)
        session.add(LineGroup(group_id=TEAM, kind=GROUP_TEAM, area_id=village.district_id))
    plan_at(db, line, "2026-03-17 06:00")  # 1 day late
    plan_at(db, line, "2026-03-23 06:00")  # 7 days late: the same visit, not a second one
    with db.session() as session:
        [task] = session.scalars(select(VisitTask)).all()
        assert (task.reason, task.due_date, task.officer_id) == (
            "overdue",
            DUE,
            world["officer_id"],
        )
    assert dispatch(db, line, now=at("2026-03-17 07:59")).sent == 0
    dispatch(db, line, now=at("2026-03-17 08:00"))
    texts = fake_line.texts_to(TEAM)
    assert len(texts) == 1 and "นางสมศรี ใจดี" in texts[0] and "W-001" in texts[0]
    assert fake_line.texts_to(USER) == []


def test_kkcj_report_reminders_on_the_10th_and_in_the_quarters_last_week(db, line, fake_line):
    assert [k for k, _p, _d in kkcj_report_due(date(2026, 3, 10))] == ["kkcj_monthly"]
    assert kkcj_report_due(date(2026, 3, 9)) == []
    assert [k for k, _p, _d in kkcj_report_due(date(2026, 3, 25))] == ["kkcj_quarterly"]
    assert kkcj_report_due(date(2026, 3, 24)) == []
    assert kkcj_report_due(date(2026, 12, 31))[0][1] == "2027-Q1"  # fiscal year from October
    with db.session() as session:
        village = make_village(session)
        fund = make_fund(session, FundKind.KKCJ, village=village)
        for n, user in enumerate((OFFICER_USER, "U" + "8" * 32)):
            staff = Staff(name=f"พัฒนากร {n}", role=Role.FIELD_OFFICER, line_user_id=user)
            session.add(staff)
            session.flush()
            contract = make_contract(
                session,
                f"K-{n}",
                fund=fund,
                borrower=make_borrower(session, f"ผู้กู้ {n}", village=village),
                frequency="yearly",
                first_due=date(2027, 1, 1),
                contract_date=date(2026, 1, 1),
                count=3,
            )
            contract.officer_id = staff.id
    remind(db, line, BOOK, now=at("2026-03-10 09:00"))
    remind(db, line, BOOK, now=at("2026-03-11 09:00"))
    [multicast] = fake_line.multicasts()
    assert sorted(multicast["to"]) == sorted([OFFICER_USER, "U" + "8" * 32])
    assert "15 มี.ค. 2569" in multicast["messages"][0]["text"]


# ---------------------------------------------------------------------------- LINE failing


def test_a_500_is_retried_and_the_reminder_arrives_once(db, line, fake_line, world):
    plan_at(db, line, "2026-03-16 06:00")
    fake_line.fail_next("/push", 500, after_accept=True)
    assert dispatch(db, line, now=at("2026-03-16 09:00")).retrying == 1
    assert dispatch(db, line, now=at("2026-03-16 09:05")).sent == 1
    assert len(fake_line.texts_to(USER)) == 1


def test_a_429_waits_at_least_its_retry_after(db, line, fake_line, world):
    plan_at(db, line, "2026-03-16 06:00")
    fake_line.fail_next(
        "/push", 429, {"message": "Too many requests"}, headers={"Retry-After": "120"}
    )
    dispatch(db, line, now=at("2026-03-16 09:00"))
    with db.session() as session:
        row = session.scalar(select(OutboxMessage))
        assert row.next_attempt_at >= at("2026-03-16 09:02")
    assert dispatch(db, line, now=at("2026-03-16 09:01")).sent == 0
    assert dispatch(db, line, now=at("2026-03-16 09:03")).sent == 1
    assert len(fake_line.texts_to(USER)) == 1


def test_a_timeout_after_line_accepted_is_sent_once(db, line_env, fake_line, world):
    quick = LineTransport(Settings.from_env(line_env), timeout=0.2)
    plan_at(db, quick, "2026-03-16 06:00")
    fake_line.delay_next("/push", 0.6)
    assert dispatch(db, quick, now=at("2026-03-16 09:00")).retrying == 1
    assert dispatch(db, quick, now=at("2026-03-16 09:05")).sent == 1
    quick.client.close()
    assert len(fake_line.texts_to(USER)) == 1


def test_the_monthly_quota_sends_overdue_first_and_holds_the_rest(db, line, fake_line, world):
    with db.session() as session:
        village = make_village(session)
        late = make_borrower(session, "นายบุญมี ศรีสุข", village=village, line_user_id=USER2)
        make_contract(
            session, "W-009", contract_date=date(2026, 1, 1), first_due=date(2026, 3, 9),
            count=3, borrower=late,
        )  # fmt: skip
    fake_line.set_quota(100, used=99)
    report = remind(db, line, BOOK, now=at("2026-03-16 10:00"))
    assert (report.queued, report.held, report.sent) == (1, 1, 1)
    assert len(fake_line.texts_to(USER2)) == 1 and fake_line.texts_to(USER) == []
    with db.session() as session:
        held = session.scalar(select(OutboxMessage).where(OutboxMessage.status == "held"))
        assert held.recipients == [USER]


@pytest.mark.postgres
def test_two_dispatchers_at_once_send_each_reminder_once(db, line_env, fake_line):
    if db.is_sqlite:
        pytest.skip("the concurrent claim is PostgreSQL's FOR UPDATE SKIP LOCKED")
    with db.session() as session:
        village = make_village(session)
        for n in range(30):
            borrower = make_borrower(
                session, f"ลูกหนี้ {n}", village=village, line_user_id=f"U{n:032x}"
            )
            make_contract(
                session, f"W-{n:03d}", contract_date=date(2026, 2, 1), first_due=DUE,
                count=3, borrower=borrower,
            )  # fmt: skip
    transport = LineTransport(Settings.from_env(line_env))
    plan_reminders(db, transport, BOOK, now=at("2026-03-16 06:00"))
    transport.client.close()
    fake_line.latency = 0.003

    def run():
        mine = LineTransport(Settings.from_env(line_env))
        while dispatch(db, mine, now=at("2026-03-16 09:00"), limit=5).sent:
            pass
        mine.client.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    keys = [r.headers["x-line-retry-key"] for r in fake_line.requests if r.method == "POST"]
    assert len(keys) == 30 and len(set(keys)) == 30
    assert len({p["to"] for p in fake_line.pushes()}) == 30


# ---------------------------------------------------------------------------- policy, CLI


def test_the_policy_file_is_checked_with_one_line_errors(tmp_path):
    assert load_policy(tmp_path).for_fund("kkcj").due_offsets() == (-7, -3, 0, 1, 7, 15, 30)
    (tmp_path / "reminders.toml").write_text(
        'after_due = [1, 10]\n[kkcj]\nbefore_due = [14]\nsend_at = "10:30"\n'
    )
    book = load_policy(tmp_path)
    assert book.for_fund("womens_fund").due_offsets() == (-7, -3, 0, 1, 10)
    assert book.for_fund("kkcj").due_offsets() == (-14, 0, 1, 10)
    for bad, code in [
        ("after_due = [0]", "policy_bad_value"),
        ('send_at = "21:00"', "policy_bad_value"),
        ("remind_at_night = true", "policy_unknown_key"),
        ("after_due = [", "policy_unreadable"),
    ]:
        (tmp_path / "reminders.toml").write_text(bad)
        with pytest.raises(DomainError) as raised:
            load_policy(tmp_path)
        assert raised.value.code == code
    with pytest.raises(DomainError) as raised:
        parse_policy({"kkcj": {"on_due": "yes"}})
    assert raised.value.params["key"] == "kkcj.on_due"


def test_remind_dry_run_prints_and_changes_nothing(cli, db, world):
    with time_machine.travel(at("2026-03-16 09:00"), tick=False):
        result = cli("remind", "--at", "2026-03-16 09:00", "--dry-run")
    assert result.exit_code == 0, result.output
    assert USER in result.output and "W-001" in result.output
    with db.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0
        assert session.scalar(select(func.count(ReminderItem.id))) == 0


def test_remind_then_outbox_lists_what_was_sent(cli, db, world):
    assert cli("remind", "--at", "2026-03-16 09:00").exit_code == 0
    listed = cli("outbox", "--status", "sent")
    assert listed.exit_code == 0 and "reminder:" in listed.output
    assert "sent 1" in listed.output


def test_a_bad_policy_file_stops_remind_with_one_line(cli, env, world):
    from pathlib import Path

    (Path(env["FUNDBOT_INSTANCE_PATH"]) / "reminders.toml").write_text("before_due = 7\n")
    result = cli("remind", "--dry-run")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "before_due" in result.output


def test_utc_is_not_the_office_day(db, line, fake_line, world):
    # 23:30 UTC on the 15th is 06:30 on the 16th in Bangkok: the due day itself.
    result = plan_reminders(db, line, BOOK, now=datetime(2026, 3, 15, 23, 30, tzinfo=UTC)).plan
    assert result.day == DUE and [i.stage for i in result.debtors[0].items] == [0]


def test_a_part_payment_after_planning_is_in_the_merged_text_sent(db, line, fake_line, world):
    with db.session() as session:
        borrower = session.scalar(select(Borrower))
        make_contract(
            session,
            "W-002",
            contract_date=date(2026, 1, 1),
            first_due=date(2026, 3, 9),
            count=6,
            borrower=borrower,
        )
    plan_at(db, line, "2026-03-16 06:00")
    with db.session() as session:
        from models.contract import Contract

        contract = session.get(Contract, world["contract_id"])
        record_payment(
            session, TEST_ACTOR, contract, Decimal("400"), DUE, PaymentChannel.CASH_OFFICER
        )
    report = remind(db, line, BOOK, now=at("2026-03-16 09:00"))
    assert report.sent == 1
    [text] = fake_line.texts_to(USER)
    assert "600.00 บาท" in text and "2,000.00 บาท" in text  # W-001 left, W-002 whole
    assert "1,000.00 บาท" not in text
    assert "W-001" in text and "W-002" in text
    with db.session() as session:
        statuses = session.execute(
            select(OutboxMessage.status, OutboxMessage.last_error).order_by(OutboxMessage.id)
        ).all()
    assert [s for s, _why in statuses] == ["dropped", "sent"]
    assert "planned again" in statuses[0][1]
    # Later the same day nothing more: once a day still holds.
    assert remind(db, line, BOOK, now=at("2026-03-16 15:00")).sent == 0
    assert len(fake_line.texts_to(USER)) == 1


def test_an_item_paid_off_after_planning_leaves_the_merged_text(db, line, fake_line, world):
    with db.session() as session:
        borrower = session.scalar(select(Borrower))
        other = make_contract(
            session,
            "W-002",
            contract_date=date(2026, 1, 1),
            first_due=date(2026, 3, 9),
            count=6,
            borrower=borrower,
        )
        other_id = other.id
    plan_at(db, line, "2026-03-16 06:00")
    with db.session() as session:
        from models.contract import Contract

        record_payment(
            session,
            TEST_ACTOR,
            session.get(Contract, other_id),
            Decimal("2000"),
            date(2026, 3, 16),
            PaymentChannel.CASH_OFFICER,
        )
    remind(db, line, BOOK, now=at("2026-03-16 09:00"))
    [text] = fake_line.texts_to(USER)
    assert "W-001" in text and "W-002" not in text
