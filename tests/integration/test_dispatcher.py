"""The outbox dispatcher against the fake LINE server: each queued push arrives exactly once."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.config import Settings
from bot.line import messages as lm
from bot.line.dispatcher import (
    BASE_DELAY,
    LEASE,
    MAX_DELAY,
    RETRY_WINDOW,
    backoff,
    dispatch,
    quota_blocked,
)
from bot.line.messenger import Messenger
from bot.line.transport import LineTransport
from models.outbox import OutboxMessage, QuotaBlock
from tests.fakeline import MONTHLY_LIMIT


@pytest.fixture
def line(line_env):
    transport = LineTransport(Settings.from_env(line_env), timeout=2.0)
    yield transport
    transport.client.close()


def queue(db, transport, to="U1", text="hello", key="k1", priority=5) -> int:
    """Queue one push through the Messenger, committed; returns the row id."""
    with db.session() as session:
        row = Messenger(transport, db).queue_push(
            session, to, [lm.text(text)], dedupe_key=key, priority=priority
        )
        session.flush()
        return row.id


def row_of(db, row_id) -> OutboxMessage:
    with db.session() as session:
        return session.get(OutboxMessage, row_id)


def test_a_push_reaches_line_with_its_retry_key_and_exact_json(db, line, fake_line):
    row_id = queue(db, line, text="ค่างวดเดือนนี้ 1,250.00 บาท")
    report = dispatch(db, line)
    row = row_of(db, row_id)
    [request] = fake_line.requests
    assert request.headers["x-line-retry-key"] == row.retry_key
    assert request.body == {
        "to": "U1",
        "messages": [{"type": "text", "text": "ค่างวดเดือนนี้ 1,250.00 บาท"}],
        "notificationDisabled": False,
    }
    assert (row.status, row.attempts, row.cost) == ("sent", 1, 1)
    assert row.line_request_id == request.request_id and row.sent_at is not None
    assert (report.sent, report.cost) == (1, 1)
    assert dispatch(db, line).sent == 0  # nothing left to send


def test_a_500_is_retried_later_with_the_same_key_and_sent_once(db, line, fake_line):
    row_id = queue(db, line)
    fake_line.fail_next("/push", 500, {"message": "Internal server error"})
    now = datetime.now(UTC)
    first = dispatch(db, line, now=now)
    row = row_of(db, row_id)
    assert (first.sent, first.retrying) == (0, 1)
    assert (row.status, row.attempts) == ("queued", 1)
    assert now <= row.next_attempt_at <= now + BASE_DELAY
    assert row.last_error == "500 Internal server error"
    assert dispatch(db, line, now=now - timedelta(seconds=1)).sent == 0  # not due yet
    assert dispatch(db, line, now=now + BASE_DELAY + timedelta(seconds=1)).sent == 1
    keys = [r.headers["x-line-retry-key"] for r in fake_line.requests]
    assert keys == [row.retry_key, row.retry_key]
    assert fake_line.texts_to("U1") == ["hello"]


@pytest.mark.parametrize("lost", ["500 after delivery", "dropped answer"])
def test_an_answer_lost_after_line_accepted_is_sent_once(db, line, fake_line, lost):
    row_id = queue(db, line)
    if lost == "500 after delivery":
        fake_line.fail_next("/push", 500, after_accept=True)
    else:
        fake_line.drop_next("/push")
    now = datetime.now(UTC)
    assert dispatch(db, line, now=now).retrying == 1
    assert dispatch(db, line, now=now + timedelta(seconds=3)).sent == 1
    row = row_of(db, row_id)
    assert row.status == "sent"
    # LINE's 409 names the request it accepted the first time.
    first, second = fake_line.requests
    assert second.status == 409 and second.body is not None
    assert row.line_request_id == first.request_id
    assert fake_line.texts_to("U1") == ["hello"]


def test_a_client_timeout_after_line_accepted_is_sent_once(db, line_env, fake_line):
    quick = LineTransport(Settings.from_env(line_env), timeout=0.2)
    row_id = queue(db, quick)
    fake_line.delay_next("/push", 0.6)
    now = datetime.now(UTC)
    assert dispatch(db, quick, now=now).retrying == 1
    assert "Timeout" in row_of(db, row_id).last_error
    assert dispatch(db, quick, now=now + timedelta(seconds=3)).sent == 1
    quick.client.close()
    assert fake_line.texts_to("U1") == ["hello"]


def test_a_sender_that_died_after_line_accepted_is_not_repeated(db, line, fake_line):
    row_id = queue(db, line)
    now = datetime.now(UTC)
    with db.session() as session:
        # Claimed by a process that sent the push and died before recording it.
        row = session.get(OutboxMessage, row_id)
        row.status, row.claimed_until = "sending", now + LEASE
        line.push("U1", row.messages, row.retry_key)
    assert dispatch(db, line, now=now).sent == 0  # the lease still holds
    assert dispatch(db, line, now=now + LEASE + timedelta(seconds=1)).sent == 1
    assert row_of(db, row_id).status == "sent"
    assert [r.status for r in fake_line.requests] == [200, 409]
    assert fake_line.texts_to("U1") == ["hello"]


def test_rate_limit_is_retried_with_backoff(db, line, fake_line):
    row_id = queue(db, line)
    fake_line.fail_next("/push", 429, {"message": "Too many requests"}, times=2)
    now = datetime.now(UTC)
    dispatch(db, line, now=now)
    first_wait = row_of(db, row_id).next_attempt_at - now
    later = now + timedelta(seconds=3)
    dispatch(db, line, now=later)
    row = row_of(db, row_id)
    assert (row.status, row.attempts) == ("queued", 2)
    assert timedelta(0) <= first_wait <= BASE_DELAY
    assert timedelta(0) <= row.next_attempt_at - later <= 2 * BASE_DELAY
    assert dispatch(db, line, now=later + timedelta(seconds=5)).sent == 1
    assert not quota_blocked(db)


def test_backoff_is_full_jitter_doubling_to_ten_minutes():
    rng = random.Random(7)
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (9, 512), (10, 600), (30, 600)]:
        waits = [backoff(attempts, rng).total_seconds() for _ in range(200)]
        assert 0 <= min(waits) < ceiling / 4 and ceiling * 3 / 4 < max(waits) <= ceiling
    assert backoff(50) <= MAX_DELAY


@time_machine.travel(datetime(2026, 3, 20, 3, 0, tzinfo=UTC), tick=False)
def test_monthly_limit_stops_pushing_and_keeps_rows_queued(db, line, fake_line):
    for n in range(3):
        queue(db, line, key=f"k{n}", text=f"reminder {n}")
    fake_line.set_quota(100, used=100)
    report = dispatch(db, line)
    assert report.quota_blocked and report.sent == 0
    assert len(fake_line.requests) == 1  # it stopped at the first refusal
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.status, r.attempts) for r in rows} == {("queued", 0)}
        assert [b.message for b in session.scalars(select(QuotaBlock))] == [MONTHLY_LIMIT]
    assert quota_blocked(db)
    # Still blocked a few minutes later: not a single push is tried, nor the quota asked.
    assert dispatch(db, line, now=datetime.now(UTC) + timedelta(minutes=5)).quota_blocked
    assert len(fake_line.requests) == 1


def test_quota_block_clears_when_the_month_turns_in_bangkok(db, line, fake_line):
    fake_line.set_quota(100, used=100)
    # 31 March, 23:00 in Bangkok.
    with time_machine.travel(datetime(2026, 3, 31, 16, 0, tzinfo=UTC), tick=False):
        queue(db, line)
        assert dispatch(db, line).quota_blocked
        assert quota_blocked(db)
    fake_line.set_quota(100, used=0)  # LINE's new month
    # 1 April, 00:30 in Bangkok (still 31 March in UTC).
    with time_machine.travel(datetime(2026, 3, 31, 17, 30, tzinfo=UTC), tick=False):
        assert not quota_blocked(db)
        assert dispatch(db, line).sent == 1
    assert fake_line.texts_to("U1") == ["hello"]


@time_machine.travel(datetime(2026, 3, 10, 3, 0, tzinfo=UTC), tick=False)
def test_more_quota_bought_mid_month_resumes_pushing(db, line, fake_line):
    queue(db, line)
    fake_line.set_quota(100, used=100)
    now = datetime.now(UTC)
    dispatch(db, line, now=now)
    fake_line.set_quota(1000, used=100)
    assert dispatch(db, line, now=now + timedelta(minutes=11)).sent == 1
    assert not quota_blocked(db, now=now + timedelta(minutes=11))


def test_other_4xx_fail_with_lines_message(db, line, fake_line):
    row_id = queue(db, line, to="Ublocked")
    message = "The property, 'to', in the request body is invalid (line: -, column: -)"
    fake_line.fail_next("/push", 400, {"message": message})
    report = dispatch(db, line)
    row = row_of(db, row_id)
    assert (report.failed, row.status) == (1, "failed")
    assert row.last_error == f"400 {message}"
    assert dispatch(db, line, now=datetime.now(UTC) + timedelta(hours=1)).sent == 0


def test_retrying_stops_well_inside_the_retry_key_window(db, line, fake_line):
    row_id = queue(db, line)
    now = datetime.now(UTC)
    with db.session() as session:
        session.get(OutboxMessage, row_id).first_attempt_at = now - RETRY_WINDOW
    fake_line.fail_next("/push", 503, {"message": "Service unavailable"})
    assert dispatch(db, line, now=now).failed == 1
    assert row_of(db, row_id).status == "failed"


def test_urgent_rows_go_first(db, line, fake_line):
    queue(db, line, key="later", text="monthly report", priority=9)
    queue(db, line, key="now", text="your reply", priority=1)
    queue(db, line, key="normal", text="reminder")
    dispatch(db, line)
    assert fake_line.texts_to("U1") == ["your reply", "reminder", "monthly report"]


def test_a_group_push_costs_one_message_per_member(db, line, fake_line, caplog):
    group = "C" + "a" * 32
    fake_line.set_group_members(group, 12)
    row_id = queue(db, line, to=group, text="ประชุมกลุ่มวันเสาร์")
    with caplog.at_level("INFO", logger="bot.line.dispatcher"):
        report = dispatch(db, line)
    assert row_of(db, row_id).cost == 12 and report.cost == 12
    assert "cost 12 message(s)" in caplog.text


def test_a_multicast_row_goes_500_ids_a_request(db, line, fake_line):
    users = [f"U{n:032x}" for n in range(1200)]
    with db.session() as session:
        row = Messenger(line, db).queue_multicast(
            session, users, [lm.text("แจ้งเตือนทุกคน")], dedupe_key="notice:1"
        )
        session.flush()
        row_id = row.id
    assert dispatch(db, line).sent == 1
    assert [len(body["to"]) for body in fake_line.multicasts()] == [500, 500, 200]
    assert row_of(db, row_id).cost == 1200


def test_two_dispatchers_never_send_a_row_twice(db, line_env, fake_line):
    for n in range(40):
        queue(db, None, to=f"U{n}", key=f"k{n}", text=f"message {n}")
    fake_line.latency = 0.003
    reports = []

    def run():
        transport = LineTransport(Settings.from_env(line_env))
        while (report := dispatch(db, transport, limit=5)).sent:
            reports.append(report)
        transport.client.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.sent for r in reports) == 40
    keys = [r.headers["x-line-retry-key"] for r in fake_line.requests]
    assert len(keys) == 40 and len(set(keys)) == 40  # no repeat, not even one answered 409
    assert {r.status for r in fake_line.requests} == {200}
    with db.session() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}
