"""`ค้างชำระ`: debtors of my areas in arrears, worst first, 10 at a time."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from bot.i18n import format_money
from tests.factories import make_borrower, make_contract
from tests.line_events import in_thai
from tests.line_schema import problems
from tests.officers import (
    APRIL_15,
    DEBTOR,
    GROUP_REMINDER,
    GROUP_TEAM,
    OFFICER,
    REMINDERS,
    STRANGER,
    TEAM,
    alt_lines,
    build_world,
    data_of,
    register_group,
)


@pytest.fixture
def world(session):
    return build_world(session)


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


def test_worst_first_and_only_my_areas(chat, world):
    sent = chat.say(OFFICER, "ค้างชำระ")
    answer = sent.text
    assert problems(sent.cards[0], "FlexMessage") == []
    lines = alt_lines(sent)
    assert lines[0] == in_thai(
        "In arrears today, worst first (%(first)d-%(last)d of %(count)d):", first=1, last=2, count=2
    )
    # มานี is 5 installments behind (since 1 Dec 2024), สมศรี 3 (since 1 Feb): มานี first.
    assert "W-002" in lines[1] and format_money(5000) in lines[1] and "135" in lines[1]
    assert "W-001" in lines[2] and format_money(3000) in lines[2] and "73" in lines[2]
    assert "W-009" not in answer and "สมปอง" not in answer
    assert "กองทุนพัฒนาบทบาทสตรี" in lines[1]


def test_an_area_outside_mine_is_refused(chat, world):
    answer = chat.say(OFFICER, "ค้างชำระ เมืองสระบุรี").text
    assert "W-009" not in answer
    assert answer.startswith("สระบุรี/เมืองสระบุรี")


def test_an_unknown_area_gets_the_usage(chat, world):
    answer = chat.say(OFFICER, "ค้างชำระ ไม่มีที่นี่").text
    assert (
        in_thai(
            "Send ค้างชำระ, or ค้างชำระ followed by one of your areas, for example: "
            "ค้างชำระ แก่งคอย/หินซ้อน"
        )
        in answer
    )


def test_ten_at_a_time_with_a_more_button(chat, session, world):
    from models.area import Area
    from models.borrower import Borrower

    village = session.get(Area, session.get(Borrower, world.mine[0]).area_id)
    for n in range(10):
        borrower = make_borrower(session, f"นายลูกหนี้ ที่{n:02d}", village)
        make_contract(session, f"X-{n:02d}", borrower=borrower, first_due=date(2025, 3, 1))
    session.commit()
    first = chat.say(OFFICER, "overdue")
    [carousel] = first.cards
    assert len(carousel["contents"]["contents"]) == 10
    assert len(carousel["altText"]) <= 400 and problems(carousel, "FlexMessage") == []
    assert first.quick_replies() == [in_thai("More")]
    second = chat.tap(OFFICER, data_of(first, in_thai("More")))
    assert len(second.cards[0]["contents"]["contents"]) == 2
    assert second.quick_replies() == []
    assert alt_lines(second)[0] == in_thai(
        "In arrears today, worst first (%(first)d-%(last)d of %(count)d):",
        first=11,
        last=12,
        count=12,
    )
    assert "X-" in second.text  # the one-installment debtors come last


def test_not_for_debtors_nor_strangers(chat, world):
    assert chat.say(DEBTOR, "ค้างชำระ").text == in_thai(
        "Sorry, this command is for officers of the funds only"
    )
    assert in_thai("Sorry, this command is for officers of the funds only") in (
        chat.say(STRANGER, "ค้างชำระ").text
    )


def test_groups(chat, session, world):
    register_group(session, TEAM, GROUP_TEAM, world.officer_id)
    register_group(session, REMINDERS, GROUP_REMINDER, world.officer_id)
    in_team = chat.say(OFFICER, "ค้างชำระ", group_id=TEAM)
    assert "W-002" in in_team.to(TEAM).text
    in_reminders = chat.say(OFFICER, "ค้างชำระ", group_id=REMINDERS)
    assert "W-00" not in in_reminders.text
    assert in_reminders.text == in_thai(
        "Officer commands work in a private chat with me or in a working-team group; "
        "nothing about debtors is shown in this group."
    )
