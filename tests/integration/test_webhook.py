"""The webhook: signatures, dedupe, ordering, every event type, failures, health."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.inbound import MAX_ATTEMPTS, ingest, process, process_pending
from bot.line.events import text_event
from handlers.router import Router, When, always
from models.base import utcnow
from models.inbound import DONE, FAILED, IGNORED, InboundEvent
from tests.line_events import (
    body_of,
    in_english,
    in_thai,
    make_app,
    post_body,
    post_events,
    routed,
    sample_events,
    sign,
)


def stored(app) -> list[InboundEvent]:
    with app.extensions["fundbot"].db.session() as session:
        return list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def test_missing_signature_is_refused_and_nothing_stored_or_sent(app, client, fake_line):
    response = post_body(client, body_of(text_event("U1", "help")), signature=None)
    assert response.status_code == 400
    assert stored(app) == []
    assert fake_line.requests == []


def test_bad_signature_is_refused(app, client, fake_line):
    body = body_of(text_event("U1", "help"))
    response = post_body(client, body, signature=sign(body, "another-secret"))
    assert response.status_code == 400
    assert stored(app) == []
    assert fake_line.requests == []


def test_signature_is_checked_on_the_raw_bytes(app, client, fake_line):
    event = text_event("U1", "ช่วยเหลือ")
    compact = json.dumps({"destination": "U" + "0" * 32, "events": [event]}).encode()
    spaced = json.dumps({"destination": "U" + "0" * 32, "events": [event]}, indent=2).encode()
    response = post_body(client, spaced, signature=sign(compact))
    assert response.status_code == 400
    assert stored(app) == []
    assert post_body(client, spaced, signature=sign(spaced)).status_code == 200


def test_valid_event_gets_200_and_a_reply(app, client, fake_line):
    event = routed(fake_line, text_event("U1", "help"))
    response = post_events(client, event)
    assert response.status_code == 200
    assert len(fake_line.replies()) == 1
    [help_text] = fake_line.texts_to("U1")
    assert help_text.startswith(in_thai("What you can send me:"))
    assert "ลงทะเบียน" in help_text
    assert [row.state for row in stored(app)] == [DONE]


def test_console_verify_with_no_events_gets_200(app, client, fake_line):
    assert post_body(client, body_of()).status_code == 200
    assert stored(app) == []
    assert fake_line.requests == []


def test_every_sample_event_is_accepted(app, client, fake_line):
    events = sample_events()
    response = post_events(client, *events)
    assert response.status_code == 200
    rows = stored(app)
    assert len(rows) == len(events)
    assert {row.state for row in rows} <= {DONE, IGNORED}
    by_type = {row.event_type: row.state for row in rows}
    assert by_type["undefined"] == IGNORED
    assert by_type["beacon"] == IGNORED
    assert by_type["follow"] == DONE


def test_the_same_event_twice_in_one_body_is_acted_on_once(app, client, fake_line):
    event = routed(fake_line, text_event("U1", "help"))
    post_events(client, event, event)
    assert len(stored(app)) == 1
    assert len(fake_line.replies()) == 1


def test_a_redelivery_in_a_later_request_is_acted_on_once(app, client, fake_line):
    event = routed(fake_line, text_event("U1", "help"))
    post_events(client, event)
    again = {**event, "deliveryContext": {"isRedelivery": True}}
    assert post_events(client, again).status_code == 200
    assert len(stored(app)) == 1
    assert len(fake_line.replies()) == 1


def test_events_are_handled_in_timestamp_order(app, client, fake_line):
    switch = routed(fake_line, text_event("U1", "language english", timestamp=1_000))
    ask = routed(fake_line, text_event("U1", "ช่วยเหลือ", timestamp=2_000))
    post_events(client, ask, switch)
    texts = fake_line.texts_to("U1")
    assert texts[0] == in_english("From now on I will answer you in English.")
    assert texts[1].startswith(in_english("What you can send me:"))


def test_an_event_without_id_is_deduplicated_by_its_content(app, client, fake_line):
    event = routed(fake_line, text_event("U1", "help"))
    del event["webhookEventId"]
    post_events(client, event)
    post_events(client, event)
    rows = stored(app)
    assert len(rows) == 1
    assert rows[0].webhook_event_id.startswith("sha256:")


def test_an_exception_in_a_handler_gives_a_generic_answer(app, fake_line):
    runtime = app.extensions["fundbot"]
    messenger = app.extensions["fundbot.messenger"]

    def explode(ctx):
        raise RuntimeError("secret internals: table borrower exploded")

    router = Router()
    router.add("message.text", When(always, explode))
    ids = ingest(runtime.db, [routed(fake_line, text_event("U1", "help"))], received_at=utcnow())
    process(runtime, messenger, ids, router=router)
    texts = fake_line.texts_to("U1")
    assert len(texts) == 1
    assert "exploded" not in texts[0] and "Traceback" not in texts[0]
    assert texts[0] == in_thai("Sorry, something went wrong. Please try again later.")
    [row] = stored(app)
    assert row.state == FAILED
    assert "exploded" in row.error


def test_events_left_unprocessed_are_picked_up_later(app, fake_line):
    runtime = app.extensions["fundbot"]
    messenger = app.extensions["fundbot.messenger"]
    event = routed(fake_line, text_event("U1", "help"))
    ingest(runtime.db, [event], received_at=utcnow())
    assert fake_line.replies() == []
    assert process_pending(runtime, messenger, older_than=timedelta(0)) == 1
    assert len(fake_line.replies()) == 1
    assert process_pending(runtime, messenger, older_than=timedelta(0)) == 0


def test_an_event_that_keeps_killing_its_worker_is_given_up(app, fake_line):
    runtime = app.extensions["fundbot"]
    messenger = app.extensions["fundbot.messenger"]
    [event_id] = ingest(
        runtime.db, [routed(fake_line, text_event("U1", "help"))], received_at=utcnow()
    )
    with runtime.db.session() as session:
        # Three earlier workers took it and died without finishing.
        row = session.get(InboundEvent, event_id)
        row.attempts = MAX_ATTEMPTS
    assert process_pending(runtime, messenger, older_than=timedelta(0)) == 0
    # Not handled again, but answered: every event gets an answer, this one an apology.
    assert fake_line.texts_to("U1") == [
        in_thai("Sorry, something went wrong. Please try again later.")
    ]
    [row] = stored(app)
    assert row.state == FAILED
    assert "abandoned" in row.error


def test_unexpected_errors_show_no_trace(app, client):
    def boom():
        raise RuntimeError("internal detail")

    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    assert response.status_code == 500
    assert b"internal detail" not in response.data
    assert b"Traceback" not in response.data


def test_health_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok"}


def test_health_reports_an_unreachable_database(line_env):
    app = make_app({**line_env, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable"}


def test_without_a_channel_secret_the_webhook_says_why(env):
    app = make_app(env)
    body = body_of(text_event("U1", "help"))
    response = post_body(app.test_client(), body)
    assert response.status_code == 503
    assert b"LINE_CHANNEL_SECRET" in response.data
    app.extensions["fundbot"].db.dispose()


def test_a_late_redelivery_out_of_order_is_not_acted_on_again(app, client, fake_line):
    later = routed(fake_line, text_event("U1", "help", timestamp=5_000))
    post_events(client, later)
    earlier = routed(fake_line, text_event("U1", "ช่วยเหลือ", timestamp=1_000))
    redelivered = {**later, "deliveryContext": {"isRedelivery": True}}
    post_events(client, redelivered, earlier)
    assert len(stored(app)) == 2
    assert len(fake_line.replies()) == 2


def test_the_simulator_exists_only_without_line_credentials(app, env):
    assert "simulator" not in app.blueprints
    plain = make_app(env)
    assert "simulator" in plain.blueprints
    plain.extensions["fundbot"].db.dispose()


def test_console_verify_events_with_dummy_reply_tokens_are_not_answered(app, client, fake_line):
    dummies = []
    for token in ("0" * 32, "f" * 32):
        event = text_event("Udeadbeefdeadbeefdeadbeefdeadbeef", "Hello, world")
        event["replyToken"] = token
        dummies.append(event)
    assert post_events(client, *dummies).status_code == 200
    assert [row.state for row in stored(app)] == [IGNORED, IGNORED]
    assert fake_line.requests == []
