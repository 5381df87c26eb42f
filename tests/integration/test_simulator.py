"""The chat simulator: pick who you are, link, chat, and see the bot's answers; never with LINE."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, text

from bot.cli.serve import ensure_schema, startup_lines
from bot.config import ConfigError, Settings
from bot.errors import UserError
from bot.i18n import _, use_locale
from bot.runtime import Runtime
from bot.simulator.events import BORROWER, STAFF, fake_user_id, parse_fake_user_id
from handlers.debtor_menu import debtor_menu
from models.audit import AuditEntry
from models.borrower import Borrower
from models.inbound import InboundEvent
from models.payment import Payment
from models.staff import Staff
from models.types import PaymentState, Role
from tests.dashboard_data import PASSWORDS, csrf_token, log_in_tester
from tests.factories import make_borrower, make_contract, make_village
from tests.line_events import make_app

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
JPEG = b"\xff\xd8\xff\xe0 a jpeg slip"


@pytest.fixture
def app(env):
    """The app without LINE credentials: the simulator is on (overrides conftest's `app`)."""
    app = make_app(env)
    yield app
    app.extensions["fundbot"].db.dispose()


@pytest.fixture
def client(app, session):
    """A browser on this machine, logged in to the dashboard (the simulator needs it)."""
    client = app.test_client()
    log_in_tester(session, client)
    return client


@pytest.fixture
def debtor(session):
    """สมศรี ใจดี of หมู่ 3 หินซ้อน, contract W-001 (12 x 1,000 baht from Feb 2025), unlinked."""
    contract = make_contract(session)
    session.commit()
    return contract.borrower


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(APRIL_15, tick=True):
        yield


def send(client, user_id: str, text: str, chat_id: str | None = None):
    """Type `text` as `user_id`, 1:1 or in group `chat_id`."""
    body = {"action": "text", "text": text, "user_id": user_id}
    body |= {"chat_type": "group", "chat_id": chat_id} if chat_id else {"chat_type": "user"}
    response = client.post("/simulator/api/send", json=body)
    assert response.status_code == 200, response.get_json()
    return response


def chat(client, chat_id: str) -> list[dict]:
    response = client.get(f"/simulator/api/chats/{chat_id}")
    assert response.status_code == 200
    return response.get_json()["items"]


def bot_texts(items: list[dict]) -> list[str]:
    """The bot's texts; a Flex card gives its altText (the plain text of the card)."""
    return [
        m.get("text") or m["altText"]
        for i in items
        if i["side"] == "bot"
        for m in i["messages"]
        if "text" in m or "altText" in m
    ]


def link(client, debtor) -> str:
    response = client.post("/simulator/api/link", json={"kind": "borrower", "id": debtor.id})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["user_id"]


def test_the_simulator_needs_a_dashboard_login(app, session):
    log_in_tester(session, app.test_client())  # the login exists; this browser has none
    browser = app.test_client()
    page = browser.get("/simulator/")
    assert page.status_code == 302
    assert page.headers["Location"] == "/staff/login?next=/simulator/"
    refused = browser.get("/simulator/api/people")
    assert refused.status_code == 401 and refused.get_json()["error"]
    assert browser.post("/simulator/api/send", json={}).status_code == 401

    token = csrf_token(browser.get(page.headers["Location"]).text)
    logged_in = browser.post(
        page.headers["Location"],
        data={"csrf_token": token, "username": "tester", "password": PASSWORDS["tester"]},
    )
    assert logged_in.headers["Location"] == "/simulator/"
    assert browser.get("/simulator/").status_code == 200
    assert browser.get("/simulator/api/people").status_code == 200


def test_the_page_is_in_thai_by_default_and_switches_to_english(client):
    page = client.get("/simulator/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with use_locale("th"):
        assert _("Chat simulator") in html
    assert '<html lang="th">' in html
    assert "simulator.js" in html and "simulator.css" in html

    english = client.get("/simulator/?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Chat simulator" in english.get_data(as_text=True)
    # The choice is remembered for the page's later requests.
    assert '<html lang="en">' in client.get("/simulator/").get_data(as_text=True)


def test_the_page_carries_the_debtors_rich_menu(client, debtor):
    html = client.get("/simulator/").get_data(as_text=True)
    buttons = re.findall(r'data-text="([^"]+)"[^>]*>\s*<span class="label">([^<]+)</span>', html)
    menu = debtor_menu()
    assert buttons == [(b.text, b.label) for b in menu.buttons]
    # A tap sends that text as the debtor: the same answer as typing it.
    user_id = link(client, debtor)
    send(client, user_id, menu.buttons[0].text)
    assert "W-001" in bot_texts(chat(client, user_id))[-1]


def test_the_static_assets_are_served(client):
    assert b"renderConversation" in client.get("/static/simulator.js").data
    assert b"--line-green" in client.get("/static/simulator.css").data


def test_debtors_are_found_by_name_village_or_contract_and_paged(session, client):
    village = make_village(session, "หนองแค/โคกแย้/หมู่ 5")
    make_contract(session, contract_no="W-777", borrower=make_borrower(session, "นายมานะ ขยัน"))
    for n in range(5):
        make_borrower(session, f"นางทดสอบ คนที่{n}", village=village)
    session.commit()

    by_contract = client.get("/simulator/api/people?kind=debtor&q=W-777").get_json()
    assert [row["name"] for row in by_contract["items"]] == ["นายมานะ ขยัน"]
    assert "W-777" in by_contract["items"][0]["detail"]
    assert client.get("/simulator/api/people?q=มานะ").get_json()["total"] == 1

    first = client.get("/simulator/api/people?q=โคกแย้&limit=3").get_json()
    assert first["total"] == 5 and len(first["items"]) == 3 and first["next_offset"] == 3
    rest = client.get("/simulator/api/people?q=โคกแย้&limit=3&offset=3").get_json()
    assert len(rest["items"]) == 2 and rest["next_offset"] is None
    names = {row["name"] for row in first["items"] + rest["items"]}
    assert len(names) == 5
    assert all(not row["linked"] for row in first["items"])


def test_simulated_user_ids_look_like_line_ids_and_are_stable():
    user_id = fake_user_id(BORROWER, 42)
    assert len(user_id) == 33 and user_id.startswith("U")
    int(user_id[1:], 16)
    assert fake_user_id(BORROWER, 42) == user_id != fake_user_id(STAFF, 42)
    assert parse_fake_user_id(user_id) == (BORROWER, 42)
    assert parse_fake_user_id("U" + "0" * 32) is None


def test_link_by_code_then_balance_shows_buddhist_era_dates(db, client, debtor):
    user_id = link(client, debtor)
    assert user_id == fake_user_id(BORROWER, debtor.id)
    with db.session() as session:
        assert session.get(Borrower, debtor.id).line_user_id == user_id
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "link")) is not None
    # The code went in as the user's own message, through the webhook pipeline.
    items = chat(client, user_id)
    assert items[0]["side"] == "user" and len(items[0]["messages"][0]["text"]) == 6
    assert items[1]["side"] == "bot" and items[1]["delivery"] == "reply"
    assert "ใจดี" in items[1]["messages"][0]["text"]

    send(client, user_id, "ยอด")
    answer = bot_texts(chat(client, user_id))[-1]
    assert "15 เม.ย. 2568" in answer
    assert "12,000.00 บาท" in answer and "3,000.00 บาท" in answer
    with db.session() as session:
        events = session.scalars(select(InboundEvent).order_by(InboundEvent.id)).all()
    assert [e.payload["message"]["text"] for e in events][-1] == "ยอด"
    assert {e.state for e in events} == {"done"}
    assert events[-1].payload["source"] == {"type": "user", "userId": user_id}


def test_a_slip_photo_becomes_a_payment_pending_verification(db, client, debtor):
    user_id = link(client, debtor)
    send(client, user_id, "แจ้งโอน 1000")
    prompt = chat(client, user_id)[-1]
    assert prompt["messages"][0]["quickReply"]["items"]  # the Cancel chip

    upload = client.post(
        "/simulator/api/image",
        data={"user_id": user_id, "chat_type": "user", "image": (io.BytesIO(JPEG), "slip.jpg")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.get_json()
    with db.session() as session:
        payment = session.scalars(select(Payment)).one()
    assert payment.state is PaymentState.PENDING and payment.amount == Decimal("1000.00")
    items = chat(client, user_id)
    photo = items[-2]["messages"][0]
    assert items[-2]["side"] == "user" and photo["type"] == "image"
    assert client.get(photo["originalContentUrl"]).data == JPEG
    assert "1,000.00 บาท" in bot_texts(items)[-1]


def test_a_file_that_is_not_a_photo_is_refused(client, debtor):
    user_id = link(client, debtor)
    upload = client.post(
        "/simulator/api/image",
        data={"user_id": user_id, "chat_type": "user", "image": (io.BytesIO(b"%PDF"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400
    assert upload.get_json()["error"]


def test_follow_and_unfollow_show_as_notes_and_change_reachability(db, client, debtor):
    user_id = link(client, debtor)
    for action in ("unfollow", "follow"):
        body = {"action": action, "user_id": user_id, "chat_type": "user"}
        assert client.post("/simulator/api/send", json=body).status_code == 200
    items = chat(client, user_id)
    notes = [i for i in items if i["side"] == "system"]
    assert len(notes) == 2 and all("ใจดี" in n["text"] for n in notes)
    with db.session() as session:
        assert session.get(Borrower, debtor.id).line_reachable is True
        reachability = session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "line_reachable")
        ).all()
    assert reachability == [{"line_reachable": False}, {"line_reachable": True}]


def test_a_new_group_gets_the_bot_and_a_debtor_asks_there(client, debtor):
    user_id = link(client, debtor)
    group = client.post("/simulator/api/groups").get_json()
    assert group["group_id"].startswith("C") and len(group["group_id"]) == 33
    join = {"action": "join", "chat_type": "group", "chat_id": group["group_id"]}
    assert client.post("/simulator/api/send", json=join).status_code == 200
    assert bot_texts(chat(client, group["group_id"]))  # the bot introduces itself

    send(client, user_id, "ยอด", chat_id=group["group_id"])
    in_group = chat(client, group["group_id"])
    assert in_group[-2]["sender"] == "สมศรี ใจดี"
    # Figures never appear in the group: they are pushed to the debtor 1:1.
    assert "บาท" not in bot_texts(in_group)[-1]
    private = chat(client, user_id)[-1]
    assert private["delivery"] == "push" and "12,000.00 บาท" in private["messages"][0]["altText"]
    listed = client.get("/simulator/api/groups").get_json()["items"]
    assert group["group_id"] in {g["group_id"] for g in listed}


def test_an_officer_registers_with_a_code(db, client, session):
    officer = Staff(name="สมชาย พัฒนากร", role=Role.FIELD_OFFICER)
    session.add(officer)
    session.commit()
    rows = client.get("/simulator/api/people?kind=officer&q=สมชาย").get_json()["items"]
    assert [r["name"] for r in rows] == ["สมชาย พัฒนากร"] and not rows[0]["linked"]
    response = client.post("/simulator/api/link", json={"kind": "staff", "id": officer.id})
    assert response.get_json()["linked"] is True
    with db.session() as s:
        assert s.get(Staff, officer.id).line_user_id == fake_user_id(STAFF, officer.id)


def test_bad_requests_get_a_message_not_a_trace(client):
    bad_user = {"action": "text", "text": "ยอด", "user_id": "not-an-id", "chat_type": "user"}
    response = client.post("/simulator/api/send", json=bad_user)
    assert response.status_code == 400 and response.get_json()["error"]
    unknown = {"action": "dance", "user_id": fake_user_id(BORROWER, 1), "chat_type": "user"}
    assert client.post("/simulator/api/send", json=unknown).status_code == 400
    assert client.get("/simulator/api/chats/nonsense").status_code == 404
    assert client.post("/simulator/api/link", json={"kind": "borrower"}).status_code == 400


def test_the_simulator_does_not_exist_with_line_credentials(line_env):
    app = make_app(line_env)
    try:
        client = app.test_client()
        assert client.get("/simulator/").status_code == 404
        assert client.get("/simulator/api/people").status_code == 404
        assert client.post("/simulator/api/send", json={}).status_code == 404
    finally:
        app.extensions["fundbot"].db.dispose()


def test_startup_lines_say_where_the_simulator_or_the_webhook_is(env, line_env):
    with use_locale("en"):
        simulator = startup_lines(Runtime(Settings.from_env(env)), "127.0.0.1", 5000)
        assert simulator == [
            "No LINE credentials: the chat simulator is at http://127.0.0.1:5000/simulator"
        ]
        webhook = startup_lines(Runtime(Settings.from_env(line_env)), "0.0.0.0", 8000)
        assert "http://127.0.0.1:8000/callback" in webhook[0]


def test_serve_creates_an_empty_database_and_refuses_an_outdated_one(tmp_path):
    fresh = Runtime(
        Settings.from_env(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
                "FUNDBOT_INSTANCE_PATH": str(tmp_path),
                "FUNDBOT_SECRET_KEY": "x",
            }
        )
    )
    ensure_schema(fresh)
    with fresh.db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    with pytest.raises(UserError, match="fundbot db upgrade"):
        ensure_schema(fresh)
    fresh.db.dispose()


def test_fundbot_serve_creates_the_database_and_starts_the_simulator_on_localhost(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "FUNDBOT_INSTANCE_PATH": str(tmp_path / "instance"),
        "FUNDBOT_LOCALE": "en",
        "LINE_CHANNEL_SECRET": "",
        "LINE_CHANNEL_ACCESS_TOKEN": "",
    }
    fundbot = Path(sys.executable).with_name("fundbot")
    process = subprocess.Popen(
        [str(fundbot), "serve", "--port", str(port)],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("The database is empty")
        assert process.stdout.readline() == (
            f"No LINE credentials: the chat simulator is at http://127.0.0.1:{port}/simulator\n"
        )
        # The simulator sends a browser without a session to the dashboard's login.
        login = _get_when_up(f"http://127.0.0.1:{port}/simulator/")
        assert b'name="password"' in login and b"simulator.js" not in login
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        process.wait(timeout=20)


def _get_when_up(url: str) -> bytes:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_production_entry_point_needs_line_credentials(env, line_env, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for key, value in line_env.items():
        monkeypatch.setenv(key, value)
    from bot import wsgi  # builds its app at import, as gunicorn wants

    wsgi.app.extensions["fundbot"].db.dispose()
    app = wsgi.build_app()
    try:
        rules = {rule.rule for rule in app.url_map.iter_rules()}
        assert "/callback" in rules and not any(r.startswith("/simulator") for r in rules)
    finally:
        app.extensions["fundbot"].db.dispose()

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match="fundbot serve"):
        wsgi.build_app()
