"""Chaos: a handler process SIGKILLed at random moments while events flow; every event is
answered exactly once (counted by the fake LINE server)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.inbound import ingest
from bot.line.events import text_event
from models.base import utcnow
from models.inbound import DONE, InboundEvent
from models.outbox import OutboxMessage, OutboxStatus
from tests.line_events import routed

WORKER = Path(__file__).resolve().parent.parent / "chaos_worker.py"
BODIES, PER_BODY = 4, 8
KILLS = 6


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, str(WORKER)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def settled(db) -> bool:
    with db.session() as session:
        open_events = session.scalar(select(func.count()).where(InboundEvent.state != DONE))
        open_rows = session.scalar(
            select(func.count()).where(
                OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING))
            )
        )
    return open_events == 0 and open_rows == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_handlers_lose_no_answer_and_send_none_twice(db, line_env, fake_line, seed):
    if db.is_sqlite:
        pytest.skip(
            "chaos test runs on PostgreSQL: several processes handling at once is the "
            "production setting there (SQLite serialises writers)"
        )
    rng = random.Random(seed)
    fake_line.latency = 0.3  # LINE slow to answer: kills land while requests are in flight
    users = [f"U{seed:02x}{n:030x}" for n in range(BODIES * PER_BODY)]
    senders = [users[i : i + PER_BODY] for i in range(0, len(users), PER_BODY)]
    worker = start_worker(line_env)
    kills = 0
    try:
        for round_ in range(KILLS):
            if round_ < len(senders):
                ingest(db, _body(fake_line, senders[round_]), received_at=utcnow())
            time.sleep(rng.uniform(0.1, 1.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
            worker = start_worker(line_env)
        # The last worker runs undisturbed: it takes up whatever the killed ones left.
        end = time.monotonic() + 40
        while not settled(db) and time.monotonic() < end:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert kills == KILLS
    assert settled(db)
    answers = {user: len(fake_line.texts_to(user)) for user in users}
    unanswered = [u for u, n in answers.items() if n == 0]
    twice = [u for u, n in answers.items() if n > 1]
    assert (unanswered, twice) == ([], [])


def _body(fake_line, users: list[str]) -> list[dict]:
    """One webhook body of "help" from each user, stamped now as LINE stamps what it delivers:
    a reply token's freshness is counted from the event's time (machine load between bodies
    must not age the later ones)."""
    now_ms = int(time.time() * 1000)
    return [
        routed(fake_line, text_event(user, "help", timestamp=now_ms + n))
        for n, user in enumerate(users)
    ]
