"""The Messenger: replies with fallbacks to pushes, the outbox's idempotent queueing, and the
two transports (the fake LINE server, and the chat simulator's transcript)."""

import threading

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.line import messages as lm
from bot.line.client import LineError
from bot.line.messenger import Messenger, build_messenger
from bot.line.transport import LineTransport, SimulatorTransport, simulator_content_path
from bot.runtime import Runtime
from models.outbox import OutboxMessage
from models.simulator import SimulatorMessage


@pytest.fixture
def messenger(db, line_env):
    transport = LineTransport(Settings.from_env(line_env), timeout=2.0)
    yield Messenger(transport, db)
    transport.client.close()


def texts(count, prefix="ข้อความ"):
    return [lm.text(f"{prefix} {n}") for n in range(1, count + 1)]


def outbox(db) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_reply_goes_with_the_token_and_costs_nothing(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    messenger.reply(token, [lm.text("ยอดคงเหลือ 5,000.00 บาท")], fallback_to="U1", dedupe_key="k")
    [reply] = fake_line.replies()
    assert reply["replyToken"] == token
    assert fake_line.texts_to("U1") == ["ยอดคงเหลือ 5,000.00 บาท"]
    assert fake_line.pushes() == [] and outbox(db) == []


def test_more_than_five_messages_follow_as_a_push(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    messenger.reply(token, texts(7), fallback_to="U1", dedupe_key="reply:e1")
    [reply] = fake_line.replies()
    [push] = fake_line.pushes()
    assert len(reply["messages"]) == 5 and len(push["messages"]) == 2
    assert fake_line.texts_to("U1") == [f"ข้อความ {n}" for n in range(1, 8)]
    [row] = outbox(db)
    assert (row.dedupe_key, row.status) == ("reply:e1", "sent")


def test_a_long_text_reply_is_split_into_bubbles(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    body = "\n".join(["บรรทัด " + "ก" * 93] * 60)  # 5,999 characters
    messenger.reply(token, [lm.text(body)], fallback_to="U1", dedupe_key="k")
    [reply] = fake_line.replies()
    assert len(reply["messages"]) == 2
    assert "\n".join(fake_line.texts_to("U1")) == body


def test_an_expired_token_falls_back_to_a_queued_push(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    fake_line.expire_reply_token(token)
    messenger.reply(token, texts(2), fallback_to="U1", dedupe_key="reply:e2")
    assert fake_line.replies() == []
    [push] = fake_line.pushes()
    assert push["to"] == "U1" and [m["text"] for m in push["messages"]] == ["ข้อความ 1", "ข้อความ 2"]
    [row] = outbox(db)
    assert (row.dedupe_key, row.status, row.priority) == ("reply:e2", "sent", 2)


def test_a_reply_failing_twice_becomes_a_push(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    fake_line.fail_next("/reply", 500, times=2)
    messenger.reply(token, texts(1), fallback_to="U1", dedupe_key="k")
    assert fake_line.replies() == []
    assert fake_line.texts_to("U1") == ["ข้อความ 1"]


def test_a_reply_delivered_but_unanswered_is_not_sent_again(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    fake_line.fail_next("/reply", 500, after_accept=True)
    messenger.reply(token, texts(1), fallback_to="U1", dedupe_key="k")
    # The second try finds the token used: the first one got through.
    assert [r.status for r in fake_line.requests] == [500, 400]
    assert fake_line.texts_to("U1") == ["ข้อความ 1"]
    assert outbox(db) == []


def test_when_line_is_down_the_reply_waits_in_the_outbox(db, messenger, fake_line):
    token = fake_line.issue_reply_token("U1")
    fake_line.fail_next("/reply", 503, times=2)
    fake_line.fail_next("/push", 503)
    messenger.reply(token, texts(1), fallback_to="U1", dedupe_key="k")  # does not raise
    [row] = outbox(db)
    assert (row.status, row.attempts) == ("queued", 1)
    assert fake_line.texts_to("U1") == []


def test_without_a_fallback_chat_a_refused_reply_is_logged(db, messenger, fake_line, caplog):
    token = fake_line.issue_reply_token("U1")
    fake_line.expire_reply_token(token)
    messenger.reply(token, texts(1), fallback_to=None, dedupe_key="k")
    assert outbox(db) == [] and "lost" in caplog.text


def test_queue_push_is_idempotent_per_dedupe_key(db, messenger):
    with db.session() as session:
        first = messenger.queue_push(session, "U1", texts(1), dedupe_key="balance:e1")
        session.flush()
        first_id, retry_key = first.id, first.retry_key
    with db.session() as session:
        again = messenger.queue_push(session, "U1", texts(2, "อื่น"), dedupe_key="balance:e1")
        assert again.id == first_id and again.retry_key == retry_key
        assert again.messages == texts(1)  # left as it was
    [row] = outbox(db)
    assert (row.status, row.kind, row.recipients, row.priority) == ("queued", "push", ["U1"], 5)


def test_queue_push_commits_with_the_callers_change(db, messenger):
    with pytest.raises(RuntimeError), db.session() as session:
        messenger.queue_push(session, "U1", texts(1), dedupe_key="k1")
        raise RuntimeError("the caller's change failed")
    assert outbox(db) == []
    with db.session() as session:
        assert messenger.queue_push(session, "U1", [], dedupe_key="k2") is None


def test_a_key_queued_by_a_concurrent_transaction_is_no_error(db, messenger):
    if db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: no concurrent insert to race")
    inserted = threading.Event()
    with db.session() as other:
        messenger.queue_push(other, "U1", texts(1), dedupe_key="race")
        other.flush()
        result = {}

        def racer():
            with db.session() as session:
                messenger.queue_push(session, "U2", texts(1), dedupe_key="own")
                inserted.set()
                # Blocks until `other` commits, then finds its row instead of failing.
                result["row"] = messenger.queue_push(session, "U1", texts(2), dedupe_key="race")

        thread = threading.Thread(target=racer)
        thread.start()
        inserted.wait(5)
    thread.join(10)
    assert result["row"].recipients == ["U1"] and len(result["row"].messages) == 1
    assert sorted(r.dedupe_key for r in outbox(db)) == ["own", "race"]


def test_build_messenger_picks_line_when_credentials_are_set(db, line_env, env):
    line_runtime = Runtime(Settings.from_env(line_env))
    messenger = build_messenger(line_runtime)
    assert isinstance(messenger.transport, LineTransport) and not messenger.simulated
    assert build_messenger(line_runtime) is messenger  # one per runtime: one connection pool
    assert build_messenger(Runtime(Settings.from_env(env))).simulated


def test_passthroughs_reach_line(db, messenger, fake_line):
    fake_line.add_profile("U1", "สมชาย", language="th")
    fake_line.add_content("m1", b"slip-bytes")
    fake_line.set_quota(1000, used=3)
    assert messenger.profile("U1")["displayName"] == "สมชาย"
    assert messenger.content("m1") == b"slip-bytes"
    assert messenger.quota().remaining == 997


@pytest.fixture
def simulator(db, runtime):
    messenger = build_messenger(runtime)
    assert isinstance(messenger.transport, SimulatorTransport)
    return messenger


def test_the_simulator_stores_replies_in_the_chat_of_the_token(db, simulator):
    with db.session() as session:
        session.add(
            SimulatorMessage(
                chat_id="U1",
                direction="user",
                kind="message",
                reply_token="t1",
                messages=[lm.text("ยอด")],
            )
        )
    simulator.reply("t1", texts(7), fallback_to="U1", dedupe_key="reply:s1")
    # The token once more (a second reply): refused as LINE would, so it goes as a push.
    simulator.reply("t1", [lm.text("again")], fallback_to="U1", dedupe_key="reply:s2")
    with db.session() as session:
        turns = session.scalars(
            select(SimulatorMessage).where(SimulatorMessage.direction == "bot")
        ).all()
        assert [(t.chat_id, t.kind, len(t.messages)) for t in turns] == [
            ("U1", "reply", 5),
            ("U1", "push", 2),
            ("U1", "push", 1),
        ]
    assert {r.status for r in outbox(db)} == {"sent"}


def test_the_simulator_stores_pushes_and_multicasts(db, simulator):
    group = "C" + "b" * 32
    with db.session() as session:
        simulator.queue_push(session, group, [lm.text("แจ้งกลุ่ม")], dedupe_key="g")
        simulator.queue_multicast(session, ["U1", "U2"], [lm.text("ทุกคน")], dedupe_key="m")
    assert simulator.flush() == 2
    with db.session() as session:
        chats = session.execute(
            select(SimulatorMessage.chat_id, SimulatorMessage.kind).order_by(SimulatorMessage.id)
        ).all()
    assert [tuple(c) for c in chats] == [(group, "push"), ("U1", "multicast"), ("U2", "multicast")]
    assert simulator.quota().limit is None and simulator.quota().used == 3
    assert simulator.profile("U1") is None


def test_the_simulator_serves_uploaded_images(db, simulator, runtime):
    path = simulator_content_path(runtime.settings.instance_path, "900001")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG slip")
    assert simulator.content("900001") == b"\x89PNG slip"
    with pytest.raises(LineError):
        simulator.content("900002")
    with pytest.raises(ValueError):
        simulator_content_path(runtime.settings.instance_path, "../secret_key")
