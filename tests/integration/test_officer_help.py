"""`ช่วยเหลือ` for officers: each command with an example; debtors keep their own help."""

from __future__ import annotations

import pytest

from tests.integration.officer_fixtures import setup_officer


@pytest.fixture
def rows(session):
    return setup_officer(session)


def test_officers_get_every_command_with_an_example(db, chat, rows):
    text = chat.say("Uofficer", "ช่วยเหลือ").text
    for word in ("รับชำระ", "เยี่ยม", "นัดชำระ", "บันทึก", "สถานะ", "ยกเลิก", "ค้างชำระ", "งานวันนี้"):
        assert word in text
    for word in ("สรุป", "รหัส", "ตรวจสลิป", "ขอผ่อนผัน"):
        assert f'"{word}' in text
    assert '"ผ่อนผัน"' in text  # staff decide hardship requests
    one = chat.say("Uofficer", "help รับชำระ").text
    assert "รับชำระ สมศรี ใจดี 1,500" in one and "นัดชำระ" not in one


def test_a_stranger_gets_the_general_help(db, chat, rows):
    assert "รับชำระ" not in chat.say("Ustranger", "ช่วยเหลือ").text
