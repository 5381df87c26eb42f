"""Linking LINE users with one-time codes: debtors, officers, guessing, unlinking."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.line.events import text_event
from models.audit import AuditEntry
from models.borrower import Borrower
from models.identity import LinkCode
from models.staff import Staff
from tests.factories import make_contract
from tests.line_events import in_thai, post_events, routed

BANGKOK = ZoneInfo("Asia/Bangkok")
APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=BANGKOK)

# The msgids of the answers to a code; tests compare replies with their Thai.
INVALID = "That code is not valid. Check it and send it again."
LOCKED = (
    "Too many wrong codes. For your safety, codes from this account are refused until %(time)s."
)


@pytest.fixture
def loan(session):
    """Contract W-001: 12,000 baht, 12 monthly installments of 1,000 from 1 Feb 2025."""
    contract = make_contract(session)
    session.commit()
    return contract


def say(client, fake, user_id: str, text: str) -> str:
    """Send `text` 1:1 as `user_id`; the bot's answer texts joined."""
    before = len(fake.texts_to(user_id))
    post_events(client, routed(fake, text_event(user_id, text)))
    return "\n".join(fake.texts_to(user_id)[before:])


def last_line(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def borrower_of(db, contract) -> Borrower:
    with db.session() as session:
        return session.get(Borrower, contract.borrower_id)


def test_link_code_from_the_cli_links_and_balance_answers(db, cli, client, fake_line, loan):
    with time_machine.travel(APRIL_15, tick=True):
        result = cli("link-code", "W-001")
        code = last_line(result)
        assert "สมศรี" in result.output
        assert "2568" in result.output  # the expiry, in the Buddhist Era
        answer = say(client, fake_line, "Udebtor", code)
        assert answer == in_thai(
            "Linked: this LINE account now belongs to %(name)s. Send ยอด to see your balance.",
            name="สมศรี ใจดี",
        )
        balance = say(client, fake_line, "Udebtor", "ยอด")
    assert borrower_of(db, loan).line_user_id == "Udebtor"
    assert "W-001" in balance
    assert "12,000.00 บาท" in balance  # outstanding principal
    assert "3,000.00 บาท" in balance  # Feb, Mar and Apr unpaid on 15 Apr
    assert "1 พ.ค. 2568" in balance  # next due date, BE
    assert "1,000.00 บาท" in balance


def test_the_code_can_follow_the_register_word_in_any_case(db, cli, client, fake_line, loan):
    code = last_line(cli("link-code", "W-001"))
    say(client, fake_line, "Udebtor", f"ลงทะเบียน {code.lower()[:3]}-{code.lower()[3:]}")
    assert borrower_of(db, loan).line_user_id == "Udebtor"


def test_codes_are_stored_only_as_hashes(db, cli, loan):
    code = last_line(cli("link-code", "W-001"))
    with db.session() as session:
        [row] = session.scalars(select(LinkCode)).all()
        assert code not in row.code_hash
        assert len(code) == 6 and not set(code) & set("0O1IL")


def test_a_code_works_once(db, cli, client, fake_line, loan):
    code = last_line(cli("link-code", "W-001"))
    say(client, fake_line, "Udebtor", code)
    answer = say(client, fake_line, "Uother", code)
    assert answer == in_thai("That code has already been used. Ask your officer for a new one.")
    assert borrower_of(db, loan).line_user_id == "Udebtor"


def test_a_new_code_replaces_the_old_one(db, cli, client, fake_line, loan):
    old = last_line(cli("link-code", "W-001"))
    last_line(cli("link-code", "W-001"))
    assert say(client, fake_line, "Udebtor", old) == in_thai(INVALID)
    assert borrower_of(db, loan).line_user_id is None


def test_a_code_expires_after_14_days(db, cli, client, fake_line, loan):
    with time_machine.travel(APRIL_15, tick=True):
        code = last_line(cli("link-code", "W-001"))
    with time_machine.travel(APRIL_15 + timedelta(days=14, minutes=1), tick=True):
        assert say(client, fake_line, "Udebtor", code) == in_thai(
            "That code has expired. Ask your officer for a new one."
        )
    assert borrower_of(db, loan).line_user_id is None


def test_five_wrong_codes_lock_the_user_out_for_an_hour(db, cli, client, fake_line, loan):
    with time_machine.travel(APRIL_15, tick=True):
        code = last_line(cli("link-code", "W-001"))
        wrong = "ABC234" if code != "ABC234" else "ABC235"
        for _ in range(4):
            assert say(client, fake_line, "Uguess", wrong) == in_thai(INVALID)
        locked = in_thai(LOCKED, time="15 เม.ย. 2568 11:00")
        assert say(client, fake_line, "Uguess", wrong) == locked
        assert say(client, fake_line, "Uguess", code) == locked
        assert borrower_of(db, loan).line_user_id is None
        # Another LINE user is not affected.
        assert say(client, fake_line, "Uhonest", "ABC999") == in_thai(INVALID)
    with time_machine.travel(APRIL_15 + timedelta(minutes=59), tick=True):
        assert say(client, fake_line, "Uguess", code) == locked
    with time_machine.travel(APRIL_15 + timedelta(hours=1, minutes=1), tick=True):
        say(client, fake_line, "Uguess", code)
    assert borrower_of(db, loan).line_user_id == "Uguess"


def test_a_line_user_linked_to_another_borrower_is_refused(
    db, session, cli, client, fake_line, loan
):
    second = make_contract(session, contract_no="W-002", borrower=None)
    session.commit()
    first_code = last_line(cli("link-code", "W-001"))
    second_code = last_line(cli("link-code", "W-002"))
    say(client, fake_line, "Udebtor", first_code)
    answer = say(client, fake_line, "Udebtor", second_code)
    assert answer == in_thai(
        "This LINE account is already linked to someone else. Send ยกเลิกการเชื่อมต่อ "
        "first, or ask your officer."
    )
    assert borrower_of(db, second).line_user_id is None


def test_linking_is_audited(db, cli, client, fake_line, loan):
    say(client, fake_line, "Udebtor", last_line(cli("link-code", "W-001")))
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "link"))
    assert entry.actor == "line:Udebtor" and entry.source == "line"
    assert entry.after["line_user_id"] == "Udebtor"


def test_debtor_unlinks_in_chat(db, cli, client, fake_line, loan):
    say(client, fake_line, "Udebtor", last_line(cli("link-code", "W-001")))
    question = say(client, fake_line, "Udebtor", "ยกเลิกการเชื่อมต่อ")
    assert question == in_thai(
        "Do you really want to unlink this LINE account from %(name)s? You will no longer get "
        "reminders or see your balance here.",
        name="สมศรี ใจดี",
    )
    assert borrower_of(db, loan).line_user_id == "Udebtor"  # nothing before the yes
    answer = say(client, fake_line, "Udebtor", "ใช่ค่ะ")
    assert answer == in_thai(
        "Your LINE account is no longer linked to %(name)s. To link again, ask your "
        "officer for a new code.",
        name="สมศรี ใจดี",
    )
    assert borrower_of(db, loan).line_user_id is None
    assert say(client, fake_line, "Udebtor", "ยอด") == in_thai(
        "Your LINE account is not linked to a loan yet. Ask your community development "
        "officer for a 6-character code, then send it here, for example: ลงทะเบียน ABC234"
    )


def test_staff_unlink_from_the_cli(db, cli, client, fake_line, loan):
    say(client, fake_line, "Udebtor", last_line(cli("link-code", "W-001")))
    result = cli("unlink", "W-001")
    assert result.exit_code == 0, result.output
    assert borrower_of(db, loan).line_user_id is None
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "unlink"))
    assert entry.source == "cli"


def test_officer_registers_with_the_code_from_officer_add(db, cli, client, fake_line, loan):
    result = cli(
        "officer",
        "add",
        "--name",
        "สมชาย พัฒนากร",
        "--role",
        "field_officer",
        "--area",
        "แก่งคอย/หินซ้อน",
    )
    code = last_line(result)
    answer = say(client, fake_line, "Uofficer", f"ลงทะเบียน {code}")
    assert answer == in_thai(
        "Registered: %(name)s, %(role)s for %(areas)s.",
        name="สมชาย พัฒนากร",
        role=in_thai("field officer"),
        areas="สระบุรี/แก่งคอย/หินซ้อน",
    )
    with db.session() as session:
        staff = session.scalar(select(Staff))
        assert staff.line_user_id == "Uofficer"
        assert staff.area_paths == ["สระบุรี/แก่งคอย/หินซ้อน"]
    listing = cli("officer", "list").output
    assert "สมชาย พัฒนากร" in listing and "สระบุรี/แก่งคอย/หินซ้อน" in listing


def test_officer_add_refuses_an_unknown_area(db, cli, loan):
    result = cli("officer", "add", "--name", "X", "--role", "admin", "--area", "ไม่มี/ที่นี่")
    assert result.exit_code != 0
    assert "ไม่มี/ที่นี่" in result.output
    with db.session() as session:
        assert session.scalar(select(Staff)) is None


def test_link_code_for_an_unknown_contract_says_so(cli, loan):
    result = cli("link-code", "NOPE-1")
    assert result.exit_code != 0
    assert "NOPE-1" in result.output


def test_only_text_shaped_like_a_code_is_taken_for_one():
    from models.linking import looks_like_code, new_code

    assert looks_like_code("abc-234") and looks_like_code("ABC ๒๓๔")
    assert not looks_like_code("THANKS")  # a word: codes always carry a digit
    assert not looks_like_code("150000")  # 0 and 1 are never in a code
    assert all(looks_like_code(new_code()) for _ in range(200))


def test_a_new_registration_code_replaces_the_old_one(db, cli, client, fake_line, loan):
    old = last_line(cli("officer", "add", "--name", "นภา", "--role", "admin", "--area", "แก่งคอย"))
    with db.session() as session:
        staff_id = session.scalar(select(Staff.id))
    new = last_line(cli("officer", "code", str(staff_id)))
    assert say(client, fake_line, "Uadmin", old) == in_thai(INVALID)
    assert say(client, fake_line, "Uadmin", new) == in_thai(
        "Registered: %(name)s, %(role)s for %(areas)s.",
        name="นภา",
        role=in_thai("administrator"),
        areas="สระบุรี/แก่งคอย",
    )


def test_the_account_linked_before_is_told_when_another_takes_over(
    db, cli, client, fake_line, loan
):
    with time_machine.travel(APRIL_15, tick=False):
        say(client, fake_line, "Uold", last_line(cli("link-code", "W-001")))
        say(client, fake_line, "Unew", last_line(cli("link-code", "W-001")))
    assert borrower_of(db, loan).line_user_id == "Unew"
    assert fake_line.texts_to("Uold")[-1] == in_thai(
        "This LINE account is no longer linked to your loan: another LINE account was "
        "linked with a new code on %(time)s. If that was not you, call your community "
        "development officer at once.",
        time="15 เม.ย. 2568 10:00",
    )
    # Nothing about the loan goes to the account that lost it.
    assert "สมศรี" not in fake_line.texts_to("Uold")[-1]


def test_guessing_from_many_accounts_slows_codes_and_tells_the_admins_once_an_hour(
    db, session, cli, client, fake_line, loan, monkeypatch, caplog
):
    import models.linking

    monkeypatch.setattr(models.linking, "GLOBAL_MAX_FAILURES", 3)
    admin_code = last_line(
        cli("officer", "add", "--name", "นภา", "--role", "admin", "--area", "แก่งคอย")
    )
    with time_machine.travel(APRIL_15, tick=False):
        say(client, fake_line, "Uadmin", admin_code)
        code = last_line(cli("link-code", "W-001"))
        wrong = "ABC234" if code != "ABC234" else "ABC235"
        for user in ("Ubot1", "Ubot2"):
            assert say(client, fake_line, user, wrong) == in_thai(INVALID)
        with caplog.at_level("WARNING", logger="models.linking"):
            say(client, fake_line, "Ubot3", wrong)
        assert "3 wrong codes" in caplog.text
        slow = in_thai(
            "Many wrong codes have been sent to me in the last hour, so I check codes slowly "
            "for now. Please send your code again after %(time)s.",
            time="15 เม.ย. 2568 10:02",
        )
        assert say(client, fake_line, "Udebtor", code) == slow
    alert = in_thai(
        "Someone may be guessing LINE link codes: %(count)d wrong codes from LINE users since "
        "%(since)s. Until %(until)s the bot checks at most one code every %(minutes)d "
        "minutes, for everyone, so people linking now may be asked to try again later.",
        count=3,
        since="15 เม.ย. 2568 10:00",
        until="15 เม.ย. 2568 11:00",
        minutes=2,
    )
    assert fake_line.texts_to("Uadmin")[1:] == [alert]
    # Still guessing half an hour later: no second push within the hour.
    with time_machine.travel(APRIL_15 + timedelta(minutes=30), tick=False):
        say(client, fake_line, "Ubot4", wrong)
    assert len(fake_line.texts_to("Uadmin")) == 2
    # An hour after the first: told again, because it still lasts.
    with time_machine.travel(APRIL_15 + timedelta(minutes=61), tick=False):
        say(client, fake_line, "Ubot5", wrong)
        assert len(fake_line.texts_to("Uadmin")) == 3
        assert f"{5} " in fake_line.texts_to("Uadmin")[-1]  # wrong codes since 10:00
        # The right code waits its turn, then links.
        assert say(client, fake_line, "Udebtor", code) == in_thai(
            "Many wrong codes have been sent to me in the last hour, so I check codes slowly "
            "for now. Please send your code again after %(time)s.",
            time="15 เม.ย. 2568 11:03",
        )
    with time_machine.travel(APRIL_15 + timedelta(minutes=64), tick=False):
        say(client, fake_line, "Udebtor", code)
    assert borrower_of(db, loan).line_user_id == "Udebtor"
