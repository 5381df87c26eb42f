"""Groups: joining, registration by officers, members, and no debtor data ever shown there."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.line.events import (
    join_event,
    leave_event,
    member_joined_event,
    member_left_event,
    text_event,
)
from models.area import Area
from models.audit import AuditEntry
from models.identity import LineGroup, LineGroupMember
from models.staff import Staff
from models.types import FundKind, Role
from tests.factories import make_contract, make_village
from tests.line_events import in_english, in_thai, post_events, routed

GROUP = "Cgroup0001"
APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))


@pytest.fixture
def officer(session):
    """A field officer linked to LINE as Uofficer, for the subdistrict หินซ้อน."""
    village = make_village(session)
    subdistrict = session.get(Area, village.subdistrict_id)
    staff = Staff(
        name="สมชาย", role=Role.FIELD_OFFICER, line_user_id="Uofficer", areas=[subdistrict]
    )
    session.add(staff)
    session.commit()
    return staff


def in_group(client, fake, user_id: str | None, text: str) -> list[str]:
    """Send `text` in the group; the texts the group got in answer."""
    before = len(fake.texts_to(GROUP))
    post_events(client, routed(fake, text_event(user_id, text, group_id=GROUP)))
    return fake.texts_to(GROUP)[before:]


def groups(db) -> list[LineGroup]:
    with db.session() as session:
        return list(session.scalars(select(LineGroup)))


def test_the_bot_introduces_itself_on_join(client, fake_line):
    post_events(client, routed(fake_line, join_event(GROUP)))
    [text] = fake_line.texts_to(GROUP)
    assert text == in_thai(
        "Hello, I am the repayment assistant of the community development funds. I never "
        "show anyone's figures in a group. An officer registers this group by sending "
        "ผูกกลุ่ม AREA %(funds)s for a debtor reminder group, or ผูกกลุ่มทีม AREA "
        "for a working-team group, for example: ผูกกลุ่ม แก่งคอย/หินซ้อน/หมู่ 3 กองทุน กข.คจ.",
        funds="[กองทุนพัฒนาบทบาทสตรี|กองทุน กข.คจ.]",
    )
    assert "kkcj" not in text and "womens_fund" not in text


def test_an_officer_registers_a_reminder_group(db, client, fake_line, officer):
    [answer] = in_group(client, fake_line, "Uofficer", "ผูกกลุ่ม แก่งคอย/หินซ้อน/หมู่ ๓ kkcj")
    assert answer == in_thai(
        "This group is now the debtor reminder group of %(area)s (%(fund)s).",
        area="สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3",
        fund=in_thai("KKCJ fund"),
    )
    [group] = groups(db)
    assert (group.kind, group.fund_kind, group.active) == ("reminder", FundKind.KKCJ, True)
    assert group.registered_by == officer.id
    with db.session() as session:
        assert session.get(Area, group.area_id).path == "สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3"
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "group.register"))
    assert entry.actor == "line:Uofficer"


def test_an_officer_registers_a_working_team_group(db, client, fake_line, officer):
    [answer] = in_group(client, fake_line, "Uofficer", "ผูกกลุ่มทีม แก่งคอย/หินซ้อน")
    assert answer == in_thai(
        "This group is now the working-team group of %(area)s.", area="สระบุรี/แก่งคอย/หินซ้อน"
    )
    [group] = groups(db)
    assert (group.kind, group.fund_kind) == ("team", None)


def test_someone_not_registered_as_staff_cannot_register(db, client, fake_line, officer):
    [answer] = in_group(client, fake_line, "Ustranger", "ผูกกลุ่ม แก่งคอย/หินซ้อน/หมู่ 3")
    assert answer == in_thai(
        "Only a registered officer can register a group. Officers: first send your "
        "registration code to me in a private chat."
    )
    assert groups(db) == []


def test_an_area_outside_the_officers_is_refused(db, session, client, fake_line, officer):
    make_village(session, "หนองแค/คชสิทธิ์/หมู่ 1")
    session.commit()
    [answer] = in_group(client, fake_line, "Uofficer", "ผูกกลุ่ม หนองแค/คชสิทธิ์/หมู่ 1")
    assert answer == in_thai(
        "%(area)s is outside your areas (%(areas)s); you cannot register a group for it.",
        area="สระบุรี/หนองแค/คชสิทธิ์/หมู่ 1",
        areas="สระบุรี/แก่งคอย/หินซ้อน",
    )
    assert groups(db) == []


def test_an_unknown_area_is_named_in_the_answer(db, client, fake_line, officer):
    [answer] = in_group(client, fake_line, "Uofficer", "ผูกกลุ่ม ไม่มี/ตำบลนี้")
    assert answer == in_thai(
        "No area called %(path)s. Write it as district/subdistrict/village.", path="ไม่มี/ตำบลนี้"
    )
    assert groups(db) == []


def test_leaving_deactivates_the_group(db, client, fake_line, officer):
    in_group(client, fake_line, "Uofficer", "ผูกกลุ่ม แก่งคอย/หินซ้อน")
    post_events(client, leave_event(GROUP))
    [group] = groups(db)
    assert group.active is False


def test_members_are_learned_from_messages_and_member_events(db, client, fake_line):
    in_group(client, fake_line, "Ua", "สวัสดีครับ")
    post_events(client, routed(fake_line, member_joined_event(GROUP, ["Ub", "Uc"])))
    post_events(client, member_left_event(GROUP, ["Uc"]))
    with db.session() as session:
        members = {m.user_id: m.left_at for m in session.scalars(select(LineGroupMember))}
    assert set(members) == {"Ua", "Ub", "Uc"}
    assert members["Ua"] is None and members["Ub"] is None and members["Uc"] is not None


def test_chatter_in_a_group_gets_no_answer(client, fake_line):
    assert in_group(client, fake_line, "Ua", "กินข้าวหรือยัง") == []
    assert in_group(client, fake_line, "Ua", "ABC234") == []


def test_balance_asked_in_a_group_is_pushed_privately(db, session, client, fake_line):
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    with time_machine.travel(APRIL_15, tick=True):
        group_texts = in_group(client, fake_line, "Udebtor", "ยอด")
    [private] = fake_line.texts_to("Udebtor")
    assert private.startswith(in_thai("Your balance on %(date)s", date="15 เม.ย. 2568"))
    assert "W-001" in private and "12,000.00 บาท" in private
    [public] = group_texts
    assert public == in_thai("I have sent the answer to you in a private chat.")
    for secret in ("สมศรี", "W-001", "12,000", "1,000", "บาท"):
        assert secret not in public
    assert [p["to"] for p in fake_line.pushes()] == ["Udebtor"]


def test_the_private_answer_is_in_the_debtors_own_language(session, client, fake_line):
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    contract.borrower.locale = "en"
    session.commit()
    with time_machine.travel(APRIL_15, tick=True):
        [public] = in_group(client, fake_line, "Udebtor", "ยอด")
    [private] = fake_line.texts_to("Udebtor")
    assert private.startswith(in_english("Your balance on %(date)s", date="15 Apr 2025"))
    assert "THB 12,000.00" in private and "บาท" not in private
    for secret in ("สมศรี", "W-001", "12,000", "1,000", "THB", "บาท"):
        assert secret not in public


def test_balance_asked_in_a_group_by_someone_unlinked_gets_generic_text(client, fake_line):
    [public] = in_group(client, fake_line, "Unobody", "ยอด")
    assert public == in_thai(
        "To see your own figures, add me as a friend and link your account in a private chat "
        "first. I never show figures in a group."
    )
    assert fake_line.pushes() == []


def test_a_code_sent_in_a_group_is_not_used_and_stops_working(db, session, cli, client, fake_line):
    contract = make_contract(session)
    session.commit()
    code = cli("link-code", "W-001").output.strip().splitlines()[-1]
    [answer] = in_group(client, fake_line, "Udebtor", f"ลงทะเบียน {code}")
    assert answer == in_thai(
        "Please send your code to me in a private chat, never in a group. Others have seen "
        "this one, so it no longer works: ask your officer for a new one."
    )
    assert code not in answer
    post_events(client, routed(fake_line, text_event("Udebtor", code)))
    assert fake_line.texts_to("Udebtor") == [
        in_thai("That code is not valid. Check it and send it again.")
    ]
    with db.session() as s:
        assert s.get(type(contract.borrower), contract.borrower_id).line_user_id is None


def test_register_in_group_chatter_is_ignored(client, fake_line):
    assert in_group(client, fake_line, "Ua", "register for the meeting please") == []
