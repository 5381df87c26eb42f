"""The answer to an event is an outbox row written with the event: lost by no crash, sent once."""

from __future__ import annotations

import time
from datetime import timedelta

import time_machine
from sqlalchemy import select

from bot.inbound import Answers, ingest, process
from bot.line.events import text_event
from models.base import utcnow
from models.inbound import DONE, InboundEvent
from models.outbox import OutboxKind, OutboxMessage
from tests.line_events import in_thai, routed

USER = "U" + "a" * 32


def now_ms() -> int:
    """LINE's event time: now (the token's freshness is counted from it)."""
    return int(time.time() * 1000)


def outbox(runtime) -> list[OutboxMessage]:
    with runtime.db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def states(runtime) -> list[str]:
    with runtime.db.session() as session:
        return list(session.scalars(select(InboundEvent.state)))


def parts(app):
    return app.extensions["fundbot"], app.extensions["fundbot.messenger"]


def test_the_answer_is_written_with_the_event_and_sent_by_token(app, fake_line):
    runtime, messenger = parts(app)
    ids = ingest(
        runtime.db,
        [routed(fake_line, text_event(USER, "help", timestamp=now_ms()))],
        received_at=utcnow(),
    )
    process(runtime, messenger, ids)
    [row] = outbox(runtime)
    assert (row.kind, row.status, row.cost) == (OutboxKind.REPLY, "sent", 0)
    assert len(fake_line.replies()) == 1 and fake_line.pushes() == []


def _crash_before_sending(monkeypatch):
    """The process dies right after the handling commit: nothing is sent."""
    monkeypatch.setattr(Answers, "add", lambda self, reply: None)


def _crash_before_recording(monkeypatch):
    """The process dies after LINE took the reply, before recording it."""
    monkeypatch.setattr(Answers, "settle", lambda self: None)


def test_a_crash_before_the_reply_is_sent_loses_nothing(app, fake_line, monkeypatch):
    runtime, messenger = parts(app)
    ids = ingest(
        runtime.db,
        [routed(fake_line, text_event(USER, "help", timestamp=now_ms()))],
        received_at=utcnow(),
    )
    _crash_before_sending(monkeypatch)
    process(runtime, messenger, ids)
    assert states(runtime) == [DONE] and fake_line.requests == []
    monkeypatch.undo()
    with time_machine.travel(utcnow() + timedelta(seconds=20)):
        messenger.flush()
    # The token was still good: the reply went out with it, once.
    assert len(fake_line.replies()) == 1 and fake_line.pushes() == []
    assert [r.status for r in outbox(runtime)] == ["sent"]


def test_a_crash_after_line_took_the_reply_sends_nothing_again(app, fake_line, monkeypatch):
    runtime, messenger = parts(app)
    ids = ingest(
        runtime.db,
        [routed(fake_line, text_event(USER, "help", timestamp=now_ms()))],
        received_at=utcnow(),
    )
    _crash_before_recording(monkeypatch)
    process(runtime, messenger, ids)
    assert len(fake_line.replies()) == 1
    [row] = outbox(runtime)
    assert row.status == "sending"
    monkeypatch.undo()
    with time_machine.travel(utcnow() + timedelta(seconds=20)):
        messenger.flush()
    # LINE refused the young token as used: our request had got through.
    assert len(fake_line.replies()) == 1 and fake_line.pushes() == []
    assert [r.status for r in outbox(runtime)] == ["sent"]


def test_an_answer_left_until_its_token_expired_is_pushed_once(app, fake_line, monkeypatch):
    runtime, messenger = parts(app)
    event = routed(fake_line, text_event(USER, "help", timestamp=now_ms()))
    ids = ingest(runtime.db, [event], received_at=utcnow())
    _crash_before_sending(monkeypatch)
    process(runtime, messenger, ids)
    monkeypatch.undo()
    fake_line.expire_reply_token(event["replyToken"])
    with time_machine.travel(utcnow() + timedelta(minutes=5)):
        messenger.flush()
        messenger.flush()
    assert fake_line.replies() == []
    [push] = fake_line.pushes()
    assert push["to"] == USER
    [row] = outbox(runtime)
    assert row.status == "sent" and row.reply_token is None
    [request] = fake_line.accepted("/push")
    assert request.headers["x-line-retry-key"] == row.retry_key


def test_a_spent_token_falls_back_to_a_push_at_once(app, fake_line):
    runtime, messenger = parts(app)
    event = routed(fake_line, text_event(USER, "help", timestamp=now_ms()))
    fake_line.expire_reply_token(event["replyToken"])
    process(runtime, messenger, ingest(runtime.db, [event], received_at=utcnow()))
    [push] = fake_line.pushes()
    assert push["messages"][0]["text"].startswith(in_thai("What you can send me:"))
    assert [r.status for r in outbox(runtime)] == ["sent"]


def test_line_down_keeps_the_answer_queued_until_it_is_back(app, fake_line):
    runtime, messenger = parts(app)
    event = routed(fake_line, text_event(USER, "help", timestamp=now_ms()))
    fake_line.fail_next("/reply", 503, times=2)
    fake_line.fail_next("/push", 503)
    process(runtime, messenger, ingest(runtime.db, [event], received_at=utcnow()))
    assert fake_line.texts_to(USER) == []
    [row] = outbox(runtime)
    assert row.status == "queued"
    with time_machine.travel(utcnow() + timedelta(minutes=1)):
        messenger.flush()
    assert len(fake_line.texts_to(USER)) == 1
