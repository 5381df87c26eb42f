"""`สถานะ`: a Flex bubble of one debtor, checked against LINE's OpenAPI schema."""

from __future__ import annotations

import pytest
import time_machine

from tests.integration.officer_fixtures import NOW, setup_officer
from tests.line_schema import problems


@pytest.fixture
def rows(session):
    return setup_officer(session)


def test_the_status_bubble_is_lines_shape_with_its_facts_and_buttons(db, chat, rows):
    with time_machine.travel(NOW, tick=True):
        chat.say("Uofficer", "รับชำระ สมศรี 700")
        chat.say("Uofficer", "นัดชำระ สมศรี 20/3/69 1,000")
        chat.say("Uofficer", "เยี่ยม สมศรี ไม่อยู่บ้าน")
        answer = chat.say("Uofficer", "สถานะ สมศรี ใจดี")
    [message] = answer.messages
    assert message["type"] == "flex"
    assert problems(message, "FlexMessage") == []
    alt = message["altText"]
    assert "สมศรี ใจดี" in alt and "หมู่ 3" in alt and "W-001" in alt
    assert "700.00 บาท" in alt and "1,000.00 บาท" in alt and "20 มี.ค. 2569" in alt
    buttons = message["contents"]["footer"]["contents"]
    assert [b["action"]["fillInText"] for b in buttons] == [
        "รับชำระ W-001 ",
        "เยี่ยม W-001 ",
        "นัดชำระ W-001 ",
    ]


def test_the_checker_sees_a_wrong_bubble():
    assert problems(
        {
            "type": "flex",
            "altText": "x",
            "contents": {
                "type": "bubble",
                "body": {"type": "box", "layout": "diagonal", "contents": []},
            },
        },
        "FlexMessage",
    )
    assert problems({"type": "flex", "contents": {"type": "bubble"}}, "FlexMessage")
