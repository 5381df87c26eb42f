"""The demo shows reminders: linked demo debtors, "as of" reminders in the simulator, and the
scheduler running beside `fundbot demo` and stopping with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.demo.reminders import link_demo_debtors
from bot.demo.seed import seed_demo
from bot.simulator.events import BORROWER, fake_user_id
from models.audit import AuditEntry
from models.borrower import Borrower
from tests.dashboard_data import log_in_tester
from tests.line_events import make_app

TODAY = date(2026, 3, 16)  # a Monday


@pytest.fixture
def app(env):
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
def demo(db, env):
    settings = Settings.from_env(env)
    with db.session() as session:
        seed_demo(session, settings=settings, borrowers=150, today=TODAY)
    with db.session() as session:
        linked = link_demo_debtors(session, TODAY)
    return linked


def bot_texts(client, chat_id: str) -> list[str]:
    response = client.get(f"/simulator/api/chats/{chat_id}")
    assert response.status_code == 200
    items = response.get_json()["items"]
    return [m["text"] for i in items if i["side"] == "bot" for m in i["messages"] if "text" in m]


def test_the_demo_links_debtors_whose_reminders_then_arrive_in_their_chats(db, demo, client):
    assert 2 <= len(demo) <= 6
    assert any(r.due_date < TODAY for r in demo) and any(r.due_date >= TODAY for r in demo)
    with db.session() as session:
        for recipient in demo:
            borrower = session.get(Borrower, recipient.borrower_id)
            assert borrower.line_user_id == fake_user_id(BORROWER, borrower.id)
        links = session.scalars(select(AuditEntry).where(AuditEntry.actor == "demo")).all()
        assert {e.entity_id for e in links} == {r.borrower_id for r in demo}

    response = client.post("/simulator/api/remind", json={"at": "2026-03-16T09:00"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["sent"] >= len(demo)
    assert "16 มี.ค. 2569" in answer["summary"]
    for recipient in demo:
        texts = bot_texts(client, fake_user_id(BORROWER, recipient.borrower_id))
        assert len(texts) == 1 and "บาท" in texts[0], texts
        assert recipient.contract_no in texts[0]

    # The same moment again sends nothing new: the once-a-day rule and the planner's keys.
    again = client.post("/simulator/api/remind", json={"at": "2026-03-16T10:00"}).get_json()
    assert again["sent"] == 0
    for recipient in demo:
        assert len(bot_texts(client, fake_user_id(BORROWER, recipient.borrower_id))) == 1


def test_reminders_as_of_a_moment_are_refused_off_this_machine_or_without_a_moment(client):
    remote = client.post(
        "/simulator/api/remind",
        json={"at": "2026-03-16T09:00"},
        environ_base={"REMOTE_ADDR": "192.168.1.20"},
    )
    assert remote.status_code == 403
    rebound = client.post(
        "/simulator/api/remind", json={"at": "2026-03-16T09:00"}, headers={"Host": "evil.test"}
    )
    assert rebound.status_code == 403
    bad = client.post("/simulator/api/remind", json={"at": "tomorrow"})
    assert bad.status_code == 400
    assert "Traceback" not in bad.get_data(as_text=True)
    assert bad.get_json()["error"]


def test_reminders_as_of_do_not_exist_with_line_credentials(line_env):
    app = make_app(line_env)
    response = app.test_client().post("/simulator/api/remind", json={"at": "2026-03-16T09:00"})
    assert response.status_code == 404
    app.extensions["fundbot"].db.dispose()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_fundbot_demo_runs_the_scheduler_beside_the_web_app_and_stops_it_with_ctrl_c(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "FUNDBOT_INSTANCE_PATH": str(tmp_path / "instance"),
        "FUNDBOT_LOCALE": "en",
        "LINE_CHANNEL_SECRET": "",
        "LINE_CHANNEL_ACCESS_TOKEN": "",
    }
    fundbot = Path(sys.executable).with_name("fundbot")
    process = subprocess.Popen(
        [str(fundbot), "demo", "--port", str(port), "--borrowers", "40"],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    scheduler = None
    try:
        lines = []
        while not any("chat simulator is at" in line for line in lines):
            line = process.stdout.readline()
            assert line, lines
            lines.append(line)
        assert any("The scheduler runs beside the web app" in line for line in lines)
        assert any("Reminders arrive in the simulator chats" in line for line in lines)
        deadline = time.monotonic() + 20
        while scheduler is None and time.monotonic() < deadline:
            found = [c for c in _children(process.pid) if "scheduler" in _cmdline(c)]
            scheduler = found[0] if found else None
            time.sleep(0.1)
        assert scheduler is not None, "no scheduler process beside the demo"
        # One scheduler only: gunicorn's web workers start none.
        time.sleep(1)
        everyone = _children(process.pid)
        assert sum("scheduler" in _cmdline(c) for c in everyone) == 1
        for worker in everyone:
            if worker != scheduler:
                assert not [c for c in _children(worker) if "scheduler" in _cmdline(c)]
        deadline = time.monotonic() + 20
        lock = tmp_path / "instance" / "scheduler.lock"
        while not (lock.exists() and lock.read_text().strip() == str(scheduler)):
            assert time.monotonic() < deadline, "the scheduler never took the leader lock"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl+C
        assert process.wait(timeout=30) == 0
    assert scheduler is not None
    assert not Path(f"/proc/{scheduler}").exists() or "scheduler" not in _cmdline(scheduler)
