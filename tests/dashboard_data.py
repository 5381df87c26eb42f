"""A small province for the dashboard tests: one debtor in แก่งคอย who paid, one in หนองแค
who did not, and logins for a fund staff of แก่งคอย and an admin.

Dates: installments of 1,000 baht fall due on the 15th from June 2025 to May 2026. On 15
March 2026 the baseline (1 October 2025) holds 4,000 baht overdue per debtor.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from models.area import ensure_province
from models.ledger import record_payment
from models.staff_login import add_staff_with_login
from models.types import PaymentChannel
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_village

TODAY = date(2026, 3, 15)
PASSWORDS = {
    "somchai": "kaengkhoi-pass-1",
    "admin": "province-pass-1",
    "tester": "simulator-pass-1",
}


def build_province(session, *, first_due: date = date(2025, 6, 15), paid_on: date = TODAY):
    """The two debtors and two logins; returns {"a": borrower A, "b": borrower B}."""
    village_a = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    village_b = make_village(session, "หนองแค/ห้วยขมิ้น/หมู่ 1")
    a = make_borrower(session, "นางสมศรี ใจดี", village_a, phone="0812345678")
    b = make_borrower(session, "นายบุญมี ศรีสุข", village_b, phone="0898765432")
    contract_kw = {"contract_date": first_due.replace(day=1), "first_due": first_due}
    contract_a = make_contract(session, "W-001", borrower=a, **contract_kw)
    make_contract(session, "W-002", borrower=b, **contract_kw)
    # Everything overdue plus half of March's installment.
    due_before = sum(1 for i in contract_a.installments if i.due_date < paid_on)
    record_payment(
        session,
        TEST_ACTOR,
        contract_a,
        Decimal(1000 * due_before + 500),
        paid_on.replace(day=min(paid_on.day, 10)),
        PaymentChannel.CASH_OFFICER,
    )
    for username, role, areas in (
        ("somchai", "fund_staff", ["แก่งคอย"]),
        ("admin", "admin", ["สระบุรี"]),
    ):
        add_staff_with_login(
            session,
            TEST_ACTOR,
            username=username,
            password=PASSWORDS[username],
            role=role,
            area_paths=areas,
            province="สระบุรี",
        )
    session.commit()
    return {"a": a, "b": b}


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, username: str, password: str | None = None):
    """Log in through the form, as a browser would; the response to the POST."""
    token = csrf_token(client.get("/staff/login").text)
    return client.post(
        "/staff/login",
        data={
            "csrf_token": token,
            "username": username,
            "password": password or PASSWORDS[username],
        },
    )


def log_in_tester(session, client) -> None:
    """A province admin "ผู้ทดสอบ" (username tester), logged in on `client`: the simulator,
    like the dashboard, needs a staff login."""
    add_tester(session)
    assert log_in(client, "tester").status_code == 302


def add_tester(session) -> None:
    """The login "tester": a province admin named ผู้ทดสอบ."""
    ensure_province(session, "สระบุรี")
    add_staff_with_login(
        session,
        TEST_ACTOR,
        username="tester",
        password=PASSWORDS["tester"],
        role="admin",
        area_paths=["สระบุรี"],
        province="สระบุรี",
        name="ผู้ทดสอบ",
    )
    session.commit()


NOON_15_MARCH_2026 = datetime(2026, 3, 15, 5, 0, tzinfo=UTC)  # 12:00 in Bangkok


# The dashboard's test modules import these two fixtures by name, and pytest applies them
# there: the clock at noon on 15 March 2026, and the app as `app`.
@pytest.fixture(name="_today", autouse=True)
def at_noon_15_march():
    """The dashboard tests' today: 15 March 2026 at noon in Bangkok, the clock stopped."""
    with time_machine.travel(NOON_15_MARCH_2026, tick=False):
        yield


@pytest.fixture(name="app")
def dashboard_app(env):
    """The app without LINE credentials, for the staff dashboard."""
    from tests.line_events import make_app

    app = make_app(env)
    yield app
    app.extensions["fundbot"].db.dispose()
