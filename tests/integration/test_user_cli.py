"""`fundbot user add|list`: dashboard logins from the command line."""

from __future__ import annotations

from sqlalchemy import select

from models.staff_login import StaffLogin, attempt_login
from tests.factories import make_village


def test_add_a_user_with_a_new_staff_and_list_it(cli, session, db):
    make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    session.commit()
    result = cli(
        "user", "add", "--username", "Somchai", "--role", "fund_staff", "--area", "แก่งคอย",
        "--password-stdin", input="a-long-password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "somchai" in result.output and "แก่งคอย" in result.output
    listed = cli("user", "list")
    assert "somchai" in listed.output and "พนักงานกองทุน" in listed.output
    with db.session() as s:
        assert attempt_login(s, "somchai", "a-long-password").login is not None
        stored = s.scalar(select(StaffLogin.password_hash))
    assert stored.startswith("$argon2id$") and "a-long-password" not in stored


def test_the_password_is_prompted_twice(cli, session):
    make_village(session)
    session.commit()
    result = cli(
        "user", "add", "--username", "boss", "--role", "admin", "--area", "สระบุรี",
        input="province-pass\nprovince-pass\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_refusals(cli, session):
    make_village(session)
    session.commit()
    short = cli(
        "user", "add", "--username", "a", "--role", "admin", "--area", "สระบุรี",
        "--password-stdin", input="short\n",
    )  # fmt: skip
    assert short.exit_code != 0 and "อย่างน้อย 8" in short.output
    missing = cli("user", "add", "--username", "a", "--password-stdin", input="long-enough\n")
    assert missing.exit_code != 0 and "--role" in missing.output
    nowhere = cli(
        "user", "add", "--username", "a", "--role", "admin", "--area", "ไม่มี",
        "--password-stdin", input="long-enough\n",
    )  # fmt: skip
    assert nowhere.exit_code != 0 and "ไม่มี" in nowhere.output
    args = ("user", "add", "--username", "dup", "--role", "admin", "--area", "สระบุรี")
    assert cli(*args, "--password-stdin", input="long-enough\n").exit_code == 0
    again = cli(*args, "--password-stdin", input="long-enough\n")
    assert again.exit_code != 0 and "dup" in again.output
    assert "Traceback" not in again.output


def test_a_login_for_an_existing_staff(cli, session):
    make_village(session)
    session.commit()
    added = cli("officer", "add", "--name", "สมชาย", "--role", "field_officer", "--area", "แก่งคอย")
    staff_id = added.output.split(":")[0].split()[-1]
    result = cli("user", "add", "--username", "somchai", "--staff-id", staff_id, "--password-stdin",
                 input="long-enough\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "สมชาย" in result.output
