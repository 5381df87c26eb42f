"""The bot's voice in Thai: one persona, polite and warm, commands in quotes, one name per fund.

Every msgid the chat handlers and the reminder jobs use (handlers/, scheduler/, and the chat's
words kept in the shared adapters) is read from the code, and its Thai msgstr is checked
against the forms debtors must never see again.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CHAT_CODE = ("handlers", "scheduler")
# Words the chat says that live in the shared adapters (the dashboard and CLI use them too).
CHAT_WORDS = ("bot/payment_question.py", "bot/slip_notice_text.py")
COMMANDS = "ยกเลิกการเชื่อมต่อ|ยกเลิก|ยอด|งวดถัดไป|แจ้งโอน|ช่วยเหลือ|ลงทะเบียน|ผูกกลุ่มทีม|ผูกกลุ่ม|ชำระเงิน"
# A command word right after "send"/"type" must be in quotes: ส่ง "ยอด", not ส่ง ยอด.
UNQUOTED_COMMAND = re.compile(rf"(ส่ง|พิมพ์)\s*(คำว่า\s*)?({COMMANDS})(?![ก-๙])")
# A help line starting with the bare command ("ยอด: ...").
BARE_COMMAND_LINE = re.compile(rf"^({COMMANDS})\b\s*[:(]")
BANNED = {
    "ระบบไม่เข้าใจ": "a cold 'the system does not understand'",
    "ครับ": "the bot speaks with ค่ะ",
    "คับ": "the bot speaks with ค่ะ",
    "โครงการ กข.คจ.": "the fund is กองทุน กข.คจ.",
    "กองทุนงานพัฒนาชุมชน": "the funds are named by their names",
    "กองทุนสตรี": "the fund is กองทุนพัฒนาบทบาทสตรี",
    "สกส.": "the fund is กองทุนพัฒนาบทบาทสตรี",
}


@cache
def chat_msgids() -> frozenset[str]:
    found = set()
    for folder in CHAT_CODE:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    for name in CHAT_WORDS:
        for _line, message, _comments, _context in extract_from_file("python", ROOT / name):
            found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


@cache
def thai() -> dict[str, str]:
    with (ROOT / "locales" / "th" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and m.id in chat_msgids()}


def test_the_chat_strings_are_found():
    assert len(thai()) > 100


@pytest.mark.parametrize(("form", "why"), BANNED.items())
def test_banned_forms(form, why):
    offending = [s for s in thai().values() if form in s]
    assert offending == [], why


def test_the_bot_never_calls_itself_the_system():
    offending = [s for s in thai().values() if re.search(r"(?<!ผู้ดูแล)ระบบ", s)]
    assert offending == []


def test_commands_are_quoted():
    offending = [
        s for s in thai().values() if UNQUOTED_COMMAND.search(s) or BARE_COMMAND_LINE.search(s)
    ]
    assert offending == []


def test_the_kkcj_fund_is_named_one_way():
    offending = [s for s in thai().values() if "กข.คจ." in s.replace("กองทุน กข.คจ.", "")]
    assert offending == []


def test_sentences_end_politely():
    """A whole sentence or question (its msgid ends . ? !) is said with ค่ะ or คะ."""
    offending = [
        (msgid, text)
        for msgid, text in thai().items()
        if msgid.rstrip().endswith((".", "?", "!")) and "ค่ะ" not in text and "คะ" not in text
    ]
    assert offending == []


@pytest.mark.parametrize(
    "text",
    [
        "ขออภัย ระบบไม่เข้าใจข้อความ",
        "ส่ง ยอด เพื่อดูยอดหนี้",
        "ยอด: ดูยอดหนี้",
        "ยอดของท่านครับ",
        "โครงการ กข.คจ. หมู่ 3",
    ],
)
def test_the_checks_catch_the_old_forms(text):
    caught = (
        any(form in text for form in BANNED)
        or UNQUOTED_COMMAND.search(text)
        or BARE_COMMAND_LINE.search(text)
    )
    assert caught
