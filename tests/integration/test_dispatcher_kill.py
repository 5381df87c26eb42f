"""A dispatcher SIGKILLed mid-batch, then restarted: each queued push reaches LINE once, counted
by the fake LINE server (a repeat after the kill carries the same retry key and is answered 409)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.line import messages as lm
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus, enqueue

WORKER = Path(__file__).resolve().parent.parent / "dispatch_worker.py"
N = 120  # more than two claim batches of 50
# Kill when the fake has accepted this many pushes. The fake accepts a push, then waits its
# latency before answering, so at each kill at least one accepted push is still unrecorded.
KILL_AT = (25, 65, 100)


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout.readline().strip() == "ready", log.read_text()
    return process


def delivered(fake_line) -> int:
    return len(fake_line.accepted("/message/push"))


def rows(db) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_dispatcher_killed_mid_batch_delivers_each_message_once(
    db, line_env, fake_line, tmp_path
):
    if db.is_sqlite:
        pytest.skip(
            "kill test runs on PostgreSQL: dispatchers in several processes claiming the same "
            "outbox is the production setting there (SQLite serialises writers)"
        )
    users = [f"U{n:032x}" for n in range(N)]
    with db.session() as session:
        for n, user in enumerate(users):
            enqueue(session, OutboxKind.PUSH, [user], [lm.text(f"งวดที่ {n}")], f"kill:{n}", 5)
    fake_line.latency = 0.03  # LINE slow to answer: each kill lands inside a batch
    log = tmp_path / "workers.log"
    worker = start_worker(line_env, log)
    kills = 0
    try:
        for count in KILL_AT:
            end = time.monotonic() + 30
            while delivered(fake_line) < count and time.monotonic() < end:
                time.sleep(0.002)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
            worker = start_worker(line_env, log)
        # The last dispatcher runs undisturbed: it takes up the rows whose lease ran out.
        end = time.monotonic() + 40
        while time.monotonic() < end and any(r.status != OutboxStatus.SENT for r in rows(db)):
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert kills == len(KILL_AT)
    final = rows(db)
    assert Counter(r.status for r in final) == {OutboxStatus.SENT: N}, log.read_text()[-3000:]
    keys = {r.retry_key for r in final}
    assert len(keys) == N
    pushes = [r for r in fake_line.requests if r.path.endswith("/message/push")]
    accepted = Counter(r.headers["x-line-retry-key"] for r in pushes if r.accepted)
    assert set(accepted) == keys  # none missing, none unknown
    assert [k for k, n in accepted.items() if n > 1] == []  # none delivered twice
    repeats = [r for r in pushes if not r.accepted]
    assert {r.status for r in repeats} == {409}
    assert {r.headers["x-line-retry-key"] for r in repeats} <= keys
    # Each kill left at least the push in flight accepted but unrecorded: it was sent again.
    assert len(repeats) >= kills
    assert all(fake_line.texts_to(user) == [f"งวดที่ {n}"] for n, user in enumerate(users))
