"""Logging in to the staff dashboard: sessions, CSRF, logout, lockout, and no page without it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from models.audit import AuditEntry
from models.staff_login import LoginThrottle, StaffLogin
from tests.dashboard_data import build_province, csrf_token, log_in
from tests.line_events import make_app

NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)


@pytest.fixture
def app(env):
    app = make_app(env)
    yield app
    app.extensions["fundbot"].db.dispose()


@pytest.fixture
def client(app, session):
    build_province(session)
    return app.test_client()


def _dashboard_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint == "dashboard.login":
            continue
        urls.append(_concrete(rule.rule))
    return urls


def _concrete(rule: str) -> str:
    """The rule with every <int:...> part filled in."""
    return re.sub(r"<int:\w+>", "1", rule)


def test_every_dashboard_route_sends_the_anonymous_to_login(app, client):
    urls = _dashboard_urls(app)
    assert {"/staff/", "/staff/paid", "/staff/paid.xlsx", "/staff/paid.csv"} <= set(urls)
    assert "/staff/debtor/1" in urls and "/staff/logout" in urls
    assert {"/staff/slips", "/staff/slips/1/image", "/staff/slips/1/approve"} <= set(urls)
    assert {"/staff/slips/1/reject", "/staff/officers", "/staff/officers/1"} <= set(urls)
    assert "/staff/reminders" in urls
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff") and rule.endpoint != "dashboard.login":
            url = _concrete(rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                assert response.status_code == 302, (method, url)
                assert response.headers["Location"].startswith("/staff/login?next="), url


def test_login_sets_a_safe_session_cookie_and_logout_ends_it(client):
    response = log_in(client, "somchai")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("fundbot_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/staff/")
    assert page.status_code == 200 and "ออกจากระบบ" in page.text

    assert client.get("/staff/logout").status_code == 405  # a link cannot log you out
    assert client.post("/staff/logout").status_code == 400  # no CSRF token
    response = client.post("/staff/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302


def test_the_cookie_is_secure_over_https(client):
    token = csrf_token(client.get("/staff/login", base_url="https://localhost").text)
    response = client.post(
        "/staff/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/staff/login"},
        data={"csrf_token": token, "username": "somchai", "password": "kaengkhoi-pass-1"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_next_goes_back_to_the_page_asked_for_but_never_off_site(client):
    token = csrf_token(client.get("/staff/login").text)
    data = {"csrf_token": token, "username": "somchai", "password": "kaengkhoi-pass-1"}
    response = client.post("/staff/login?next=/staff/paid", data=data)
    assert response.headers["Location"] == "/staff/paid"
    client.post("/staff/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})
    token = csrf_token(client.get("/staff/login").text)
    response = client.post("/staff/login?next=//evil.example/", data={**data, "csrf_token": token})
    assert response.headers["Location"] == "/staff/"


def test_a_login_form_without_its_csrf_token_is_refused(client):
    client.get("/staff/login")
    response = client.post(
        "/staff/login", data={"username": "somchai", "password": "kaengkhoi-pass-1"}
    )
    assert response.status_code == 400
    assert "แบบฟอร์มหมดอายุ" in response.text
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    wrong = log_in(client, "somchai", "not-the-password")
    unknown = log_in(client, "nobody", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in wrong.text
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in unknown.text


def test_five_failures_in_15_minutes_lock_the_username(client, db):
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            assert log_in(client, "somchai", "wrong-password").status_code == 401
        locked = log_in(client, "somchai")  # the right password, but locked
        assert locked.status_code == 429
        assert "ลองผิดหลายครั้งเกินไป" in locked.text
        assert client.get("/staff/").status_code == 302
        with db.sessions() as s:
            throttle = s.get(LoginThrottle, "somchai")
            assert throttle.failures == 6
    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        assert log_in(client, "somchai").status_code == 429
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        response = log_in(client, "somchai")
        assert response.status_code == 302
        with db.sessions() as s:
            assert s.get(LoginThrottle, "somchai") is None  # success clears the count
            login = s.scalar(select(StaffLogin).where(StaffLogin.username == "somchai"))
            assert login.last_login_at is not None


def test_a_success_clears_earlier_failures(client):
    with time_machine.travel(NOW, tick=False):
        for _ in range(4):
            log_in(client, "somchai", "wrong-password")
        assert log_in(client, "somchai").status_code == 302
        client.post("/staff/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})
        for _ in range(4):
            log_in(client, "somchai", "wrong-password")
        assert log_in(client, "somchai").status_code == 302


def test_usernames_ignore_case_and_spaces(client):
    assert log_in(client, "  SomChai ", "kaengkhoi-pass-1").status_code == 302


def test_a_deactivated_login_is_logged_out(client, db):
    assert log_in(client, "somchai").status_code == 302
    with db.session() as s:
        s.scalar(select(StaffLogin).where(StaffLogin.username == "somchai")).active = False
    assert client.get("/staff/").status_code == 302
    assert log_in(client, "somchai").status_code == 401


def test_creating_logins_is_audited_without_the_hash(client, db):
    with db.sessions() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "staff_login.add")).all()
    assert {e.after["username"] for e in entries} == {"somchai", "admin"}
    assert all("password_hash" not in e.after for e in entries)
    assert all("argon2" not in str(e.after) for e in entries)
