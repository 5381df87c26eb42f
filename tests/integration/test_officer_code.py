"""`รหัส <ผู้กู้>`: a link code for a debtor of my areas, 1:1 only."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from models.identity import LinkCode
from models.linking import looks_like_code
from tests.line_events import in_thai
from tests.officers import APRIL_15, GROUP_TEAM, OFFICER, TEAM, build_world, register_group


@pytest.fixture
def world(session):
    return build_world(session)


@pytest.fixture(autouse=True)
def _april_15():
    with time_machine.travel(APRIL_15, tick=False):
        yield


def test_a_code_for_my_debtor_links_them(chat, db, world):
    sent = chat.say(OFFICER, "รหัส W-002")
    code = sent.texts[-1]
    assert looks_like_code(code) and "มานี" in sent.texts[0] and "29 เม.ย. 2568" in sent.texts[0]
    assert chat.say("Unew", code).text  # the debtor sends it
    with db.session() as s:
        from models.borrower import Borrower

        assert s.get(Borrower, world.mine[1]).line_user_id == "Unew"


def test_not_for_debtors_outside_my_areas(chat, db, world):
    answer = chat.say(OFFICER, "รหัส W-009").text
    assert answer.startswith(in_thai("No debtor in your areas matches %(text)s", text="W-009"))
    with db.session() as s:
        assert s.scalars(select(LinkCode)).all() == []


def test_several_matches_are_offered(chat, world):
    sent = chat.say(OFFICER, "รหัส สม")  # สมศรี; สมปอง is not mine
    assert "สมปอง" not in sent.text
    assert sent.texts[-1] and looks_like_code(sent.texts[-1])


def test_refused_in_groups_and_mistyped(chat, db, session, world):
    register_group(session, TEAM, GROUP_TEAM, world.officer_id)
    sent = chat.say(OFFICER, "รหัส W-002", group_id=TEAM)
    assert not any(looks_like_code(t) for t in sent.texts)
    with db.session() as s:
        assert s.scalars(select(LinkCode)).all() == []
    assert chat.say(OFFICER, "รหัส").text == in_thai(
        "Send รหัส followed by the debtor's name or contract number, for example: รหัส W-001"
    )
