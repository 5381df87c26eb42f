"""`ผ่อนผัน`: fund staff and district heads decide hardship requests on LINE, within their
areas, audited, the requester told; field officers may not decide."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from models.area import Area
from models.audit import AuditEntry
from models.hardship import HardshipRequest
from models.staff import Staff
from models.types import Role, Source
from tests.line_events import in_thai
from tests.line_schema import problems
from tests.officers import (
    APRIL_15,
    BANGKOK,
    DEBTOR,
    GROUP_TEAM,
    OFFICER,
    TEAM,
    alt_lines,
    build_world,
    card_data_of,
    card_postbacks,
    register_group,
)

HEAD = "Uhead"
FAR_STAFF = "Ufarstaff"


@pytest.fixture
def world(session):
    world = build_world(session)
    district = session.scalar(select(Area).where(Area.path == "สระบุรี/แก่งคอย"))
    far = session.scalar(select(Area).where(Area.path == "สระบุรี/เมืองสระบุรี"))
    session.add_all(
        [
            Staff(name="หัวหน้า", role=Role.DISTRICT_HEAD, line_user_id=HEAD, areas=[district]),
            Staff(name="ไกล", role=Role.FUND_STAFF, line_user_id=FAR_STAFF, areas=[far]),
        ]
    )
    session.commit()
    return world


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


@pytest.fixture
def filed(chat, world):
    chat.say(OFFICER, "ขอผ่อนผัน มานี มีนา น้ำท่วมนา ขอพักชำระ 3 เดือน")
    chat.say(DEBTOR, "ขอผ่อนผัน ตกงาน ขอปรับโครงสร้างหนี้")
    return world


def status_of(db, borrower_id):
    with db.session() as s:
        return s.scalar(
            select(HardshipRequest.status).where(HardshipRequest.borrower_id == borrower_id)
        )


def test_the_head_lists_and_approves_the_officer_is_told(chat, db, filed):
    listing = chat.say(HEAD, "ผ่อนผัน")
    [carousel] = listing.cards
    assert problems(carousel, "FlexMessage") == []
    assert alt_lines(listing)[0] == in_thai("Hardship requests to decide (%(count)d):", count=2)
    assert "มานี" in listing.text and "น้ำท่วมนา" in listing.text
    assert [label for label, _data in card_postbacks(listing)] == [
        in_thai("Approve"),
        in_thai("Reject"),
    ] * 2
    approved = chat.tap(HEAD, card_data_of(listing, in_thai("Approve"), 0))
    assert approved.replies.text.startswith(
        in_thai(
            "Approved: the request of %(name)s (%(measure)s). Set the relief's dates or "
            "terms with fundbot relief.",
            name="นางสาวมานี มีนา",
            measure=in_thai("moratorium"),
        )
    )
    assert approved.pushes.to(OFFICER).text == in_thai(
        "The hardship request you filed for %(name)s is approved; the fund staff will set "
        "the relief up.",
        name="นางสาวมานี มีนา",
    )
    assert status_of(db, filed.mine[1]) == "approved"
    with db.session() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "hardship.approve"))
    assert (entry.actor, entry.source) == (f"line:{HEAD}", Source.LINE)
    assert entry.before == {"status": "open"} and entry.after["status"] == "approved"
    # The same button again: the first decision stands.
    again = chat.tap(HEAD, card_data_of(listing, in_thai("Reject"), 0))
    assert again.text.startswith(in_thai("Hardship request %(id)s has already been decided", id=1))
    assert status_of(db, filed.mine[1]) == "approved"


def test_a_rejection_reaches_the_debtor_within_the_contact_hours(chat, db, filed):
    listing = chat.say(HEAD, "relief")
    late = datetime(2025, 4, 15, 21, 30, tzinfo=BANGKOK)
    with time_machine.travel(late, tick=False):
        asked = chat.tap(HEAD, card_data_of(listing, in_thai("Reject"), 1))
        assert "นางสมศรี ใจดี" in asked.text and asked.quick_replies() == [
            in_thai("Skip the reason"),
            in_thai("Cancel"),
        ]
        assert status_of(db, filed.mine[0]) == "open"
        rejected = chat.say(HEAD, "ข้าม")
    assert rejected.replies.text.startswith(
        in_thai("Rejected: the request of %(name)s.", name="นางสมศรี ใจดี")
    )
    assert rejected.pushes.to(DEBTOR).deliveries == []  # at night: tomorrow morning
    assert status_of(db, filed.mine[0]) == "rejected"
    with time_machine.travel(datetime(2025, 4, 16, 9, 0, tzinfo=BANGKOK), tick=False):
        chat.messenger.flush()
    assert chat.line.deliveries[-1].to == DEBTOR


def test_field_officers_may_not_decide(chat, db, filed):
    refusal = in_thai(
        "Only fund staff and district heads decide hardship requests. To file "
        "one, send ขอผ่อนผัน, the debtor and the reason."
    )
    assert chat.say(OFFICER, "ผ่อนผัน").text == refusal
    assert chat.tap(OFFICER, "officer=hardship&act=approved&id=1").text == refusal
    assert status_of(db, filed.mine[1]) == "open"
    # A debtor's "ผ่อนผัน" is not a staff command for them (they file with ขอผ่อนผัน).
    assert in_thai("Sorry, this command is for officers of the funds only") in (
        chat.tap(DEBTOR, "officer=hardship&act=approved&id=1").text
    )
    assert refusal not in chat.say(DEBTOR, "ผ่อนผัน").text
    assert status_of(db, filed.mine[1]) == "open"


def test_only_within_my_areas(chat, db, filed):
    assert chat.say(FAR_STAFF, "ผ่อนผัน").text == in_thai(
        "No hardship requests are waiting in your areas"
    )
    answer = chat.tap(FAR_STAFF, "officer=hardship&act=approved&id=1")
    assert answer.text == in_thai("No open hardship request %(id)s in your areas", id=1)
    assert status_of(db, filed.mine[1]) == "open"


def test_the_cli_decides_with_the_same_operation(cli, db, filed):
    result = cli("hardship", "reject", "1", "--note", "ยังชำระไหว")
    assert result.exit_code == 0, result.output
    assert status_of(db, filed.mine[1]) == "rejected"
    with db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "hardship.reject"))
    assert entry.source is Source.CLI and entry.after["note"] == "ยังชำระไหว"
    again = cli("hardship", "approve", "1")
    assert again.exit_code != 0 and "1" in again.output


def test_a_rejection_asks_why_and_the_officer_reads_the_reason(chat, db, filed):
    listing = chat.say(HEAD, "ผ่อนผัน")
    asked = chat.tap(HEAD, card_data_of(listing, in_thai("Reject"), 0))
    assert asked.text == in_thai(
        "Why is the request of %(name)s not approved? Send the reason in one message "
        "(the officer who filed it will read it), ข้าม to reject without one, or "
        "ยกเลิก to decide nothing.",
        name="นางสาวมานี มีนา",
    )
    assert asked.quick_replies() == [in_thai("Skip the reason"), in_thai("Cancel")]
    # The command word is the list again, not a reason.
    assert "มานี" in chat.say(HEAD, "ผ่อนผัน").text
    assert status_of(db, filed.mine[1]) == "open"
    rejected = chat.say(HEAD, "ยังมีรายได้จากร้านค้า  ผ่อนได้")
    assert rejected.replies.text.startswith(
        in_thai("Rejected: the request of %(name)s.", name="นางสาวมานี มีนา")
    )
    assert rejected.pushes.to(OFFICER).text == in_thai(
        "The hardship request you filed for %(name)s is not approved. The reason: "
        "%(reason)s. Please talk it over with the debtor.",
        name="นางสาวมานี มีนา",
        reason="ยังมีรายได้จากร้านค้า ผ่อนได้",
    )
    assert status_of(db, filed.mine[1]) == "rejected"
    with db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "hardship.reject"))
    assert entry.source is Source.LINE and entry.after["note"] == "ยังมีรายได้จากร้านค้า ผ่อนได้"


def test_cancel_instead_of_a_reason_decides_nothing(chat, db, filed):
    listing = chat.say(HEAD, "ผ่อนผัน")
    chat.tap(HEAD, card_data_of(listing, in_thai("Reject"), 0))
    assert chat.say(HEAD, "ยกเลิก").text == in_thai("Cancelled.")
    assert status_of(db, filed.mine[1]) == "open"
    # A reason too long for the record is asked again, nothing decided.
    chat.tap(HEAD, card_data_of(listing, in_thai("Reject"), 0))
    too_long = chat.say(HEAD, "ก" * 301)
    assert "300" in too_long.text
    assert status_of(db, filed.mine[1]) == "open"


def test_in_a_team_group_a_rejection_is_decided_at_once(chat, db, session, filed):
    register_group(session, TEAM, GROUP_TEAM, filed.officer_id)
    # A reason typed in the group would be read by everyone in it: none is asked there.
    listing = chat.say(HEAD, "ผ่อนผัน", group_id=TEAM)
    rejected = chat.tap(HEAD, card_data_of(listing, in_thai("Reject"), 0), group_id=TEAM)
    assert rejected.replies.text.startswith(
        in_thai("Rejected: the request of %(name)s.", name="นางสาวมานี มีนา")
    )
    assert status_of(db, filed.mine[1]) == "rejected"
