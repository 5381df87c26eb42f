"""The handler pool: the webhook only stores and answers; the pool's threads handle, in order."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from bot.handler_pool import start_pool
from bot.line.events import text_event
from models.inbound import DONE, PENDING, InboundEvent
from tests.line_events import in_english, post_events, routed


@pytest.fixture
def pool(app):
    pool = start_pool(app, threads=3)
    yield pool
    pool.stop()


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def count(app, state):
    with app.extensions["fundbot"].db.session() as session:
        return session.scalar(select(func.count()).where(InboundEvent.state == state))


def test_the_webhook_answers_before_handling_and_the_pool_handles(app, client, fake_line, pool):
    fake_line.latency = 0.5  # LINE slow to take replies: handling is slow
    events = [routed(fake_line, text_event(f"U{n:032x}", "help")) for n in range(6)]
    started = time.perf_counter()
    assert post_events(client, *events).status_code == 200
    assert time.perf_counter() - started < 0.4
    assert count(app, DONE) < 6
    wait_until(lambda: len(fake_line.replies()) == 6)
    wait_until(lambda: count(app, DONE) == 6)
    assert count(app, PENDING) == 0


def test_events_stored_while_no_pool_ran_are_handled_when_one_starts(app, fake_line):
    from bot.inbound import ingest
    from models.base import utcnow

    runtime = app.extensions["fundbot"]
    events = [routed(fake_line, text_event(f"U{n:032x}", "help")) for n in range(4)]
    ingest(runtime.db, events, received_at=utcnow())
    pool = start_pool(app, threads=2)
    try:
        wait_until(lambda: len(fake_line.replies()) == 4)
    finally:
        pool.stop()


def test_a_users_events_are_handled_in_order_by_many_threads(app, client, fake_line, pool):
    users = [f"U{n:032x}" for n in range(8)]
    for user in users:
        post_events(client, routed(fake_line, text_event(user, "language english", timestamp=1)))
        post_events(client, routed(fake_line, text_event(user, "help", timestamp=2)))
    wait_until(lambda: len(fake_line.replies()) == 16)
    for user in users:
        # Handled in order: the help that came second is in English. (The two replies may
        # reach LINE either way round: each goes out as soon as its own event commits.)
        texts = sorted(fake_line.texts_to(user))
        assert texts[0] == in_english("From now on I will answer you in English.")
        assert texts[1].startswith(in_english("What you can send me:"))


def test_a_batch_claims_at_most_its_size_oldest_first(app):
    from bot.inbound import _claim_batch, ingest
    from models.base import utcnow

    runtime = app.extensions["fundbot"]
    events = [text_event(f"U{n:032x}", "help", timestamp=1_000 + n) for n in range(10)]
    ids = ingest(runtime.db, events[::-1], received_at=utcnow())
    with runtime.db.write_session() as session:
        claimed = [event_id for event_id, _payload in _claim_batch(session, 3)]
    assert claimed == ids[:3]
    # A claim writes nothing: ended without handling, its events are still pending.
    assert count(app, PENDING) == 10


def _two_handlers_at_once(db, first_batch: int, second_batch: int):
    """What two handlers claim in overlapping transactions: (first's ids, second's ids)."""
    from bot.inbound import _claim_batch

    with db.write_session() as first, db.write_session() as second:
        # The plan PostgreSQL picks once its statistics say few events are pending (it then
        # reads them all and sorts): a claim must hold no more users under any plan.
        first.execute(text("SET LOCAL enable_indexscan = off"))
        claimed_first = [event_id for event_id, _ in _claim_batch(first, first_batch)]
        claimed_second = [event_id for event_id, _ in _claim_batch(second, second_batch)]
    return claimed_first, claimed_second


def test_on_postgresql_handlers_at_once_take_different_users_events(db):
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: its handlers claim one after another")
    from bot.inbound import ingest
    from models.base import utcnow

    events = [text_event(f"U{n:032x}", "help", timestamp=1_000 + n) for n in range(10)]
    ids = ingest(db, events, received_at=utcnow())
    first, second = _two_handlers_at_once(db, 3, 3)
    # The first handler holds only its own users: the second goes on with the next ones.
    assert first == ids[:3]
    assert second == ids[3:6]


def test_on_postgresql_a_users_later_event_waits_for_the_earlier_one(db):
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: its handlers claim one after another")
    from bot.inbound import ingest
    from models.base import utcnow

    somchai, somsri = f"U{1:032x}", f"U{2:032x}"
    events = [
        text_event(somchai, "help", timestamp=1_000),
        text_event(somchai, "ยอด", timestamp=1_001),
        text_event(somsri, "help", timestamp=1_002),
    ]
    first_of_somchai, second_of_somchai, somsris = ingest(db, events, received_at=utcnow())
    first, second = _two_handlers_at_once(db, 1, 3)
    assert first == [first_of_somchai]
    # Somchai's second message waits while his first is being handled; Somsri's does not.
    assert second == [somsris]
    assert second_of_somchai not in first + second


class Boom:
    """A handler that fails on "boom" (and answers "ok" to anything else)."""

    def matches(self, ctx):
        return True

    def handle(self, ctx):
        if ctx.text == "boom":
            raise RuntimeError("boom")
        ctx.reply("ok")


def test_one_failing_event_of_a_batch_costs_the_others_nothing(app, fake_line):
    from bot.inbound import Answers, handle_next, ingest
    from bot.line.messenger import build_messenger
    from handlers.router import Router
    from models.base import utcnow
    from models.inbound import FAILED

    runtime = app.extensions["fundbot"]
    router = Router()
    router.add("message.text", Boom())
    users = [f"U{n:032x}" for n in range(5)]
    texts = ["one", "two", "boom", "four", "five"]
    events = [
        routed(fake_line, text_event(user, text, timestamp=now_ms() + n))
        for n, (user, text) in enumerate(zip(users, texts, strict=True))
    ]
    ingest(runtime.db, events, received_at=utcnow())
    answers = Answers(build_messenger(runtime))
    answers.reply_seconds = 0.001  # LINE is quick: a whole batch at once
    assert answers.batch_size() >= 5
    handle_next(runtime, answers.messenger, answers, router=router)
    answers.settle()
    assert count(app, DONE) == 4
    assert count(app, FAILED) == 1
    assert [len(fake_line.texts_to(user)) for user in users] == [1, 1, 1, 1, 1]
    assert fake_line.texts_to(users[0]) == ["ok"]
    assert fake_line.texts_to(users[2]) != ["ok"]  # the apology


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_batch_writes_its_answers_in_one_statement_and_sends_each(app, fake_line):
    from sqlalchemy import event

    from bot.inbound import Answers, handle_next, ingest
    from bot.line.messenger import build_messenger
    from handlers.router import Router
    from models.base import utcnow

    runtime = app.extensions["fundbot"]
    router = Router()
    router.add("message.text", Boom())
    users = [f"U{n:032x}" for n in range(4)]
    events = [
        routed(fake_line, text_event(user, "hi", timestamp=now_ms() + n))
        for n, user in enumerate(users)
    ]
    ingest(runtime.db, events, received_at=utcnow())
    inserts = []

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGE"):
            inserts.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", note)
    answers = Answers(build_messenger(runtime))
    answers.reply_seconds = 0.001  # LINE is quick: a whole batch at once
    handle_next(runtime, answers.messenger, answers, router=router)
    answers.settle()
    event.remove(runtime.db.engine, "before_cursor_execute", note)
    assert len(inserts) == 1
    assert count(app, DONE) == 4
    assert [fake_line.texts_to(user) for user in users] == [["ok"]] * 4
