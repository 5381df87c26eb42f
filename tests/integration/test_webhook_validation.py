"""Each event of a body is checked on its own: a bad one is kept as rejected, never a 500."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.line.events import text_event
from models.inbound import DONE, REJECTED, InboundEvent
from tests.line_events import body_of, post_body, routed


def rows(app) -> list[InboundEvent]:
    with app.extensions["fundbot"].db.session() as session:
        return list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def five_good(fake_line) -> list[dict]:
    return [routed(fake_line, text_event(f"U{n:032x}", "help")) for n in range(1, 6)]


def assert_good_ones_answered(app, fake_line, bad_reason: str) -> None:
    stored = rows(app)
    done = [r for r in stored if r.state == DONE]
    [rejected] = [r for r in stored if r.state == REJECTED]
    assert len(done) == 5
    assert bad_reason in rejected.error
    assert len(fake_line.replies()) == 5
    assert all(fake_line.texts_to(f"U{n:032x}") for n in range(1, 6))


def test_a_nul_in_a_user_id_rejects_that_event_only(app, client, fake_line):
    bad = text_event("U\x00bad", "help")
    events = five_good(fake_line)
    response = post_body(client, body_of(*events[:3], bad, *events[3:]))
    assert response.status_code == 200
    assert_good_ones_answered(app, fake_line, "NUL")


def test_a_lone_surrogate_rejects_that_event_only(app, client, fake_line):
    bad = text_event("U" + "b" * 32, "\ud800 help")
    response = post_body(client, body_of(*five_good(fake_line), bad))
    assert response.status_code == 200
    assert_good_ones_answered(app, fake_line, "surrogate")


def test_a_timestamp_of_ten_to_the_twentieth_rejects_that_event_only(app, client, fake_line):
    bad = text_event("U" + "b" * 32, "help", timestamp=10**20)
    response = post_body(client, body_of(bad, *five_good(fake_line)))
    assert response.status_code == 200
    assert_good_ones_answered(app, fake_line, "timestamp")


def test_nan_rejects_that_event_only(app, client, fake_line):
    bad = text_event("U" + "b" * 32, "help")
    bad["message"]["weight"] = float("nan")
    body = body_of(bad, *five_good(fake_line))
    assert b"NaN" in body
    assert post_body(client, body).status_code == 200
    assert_good_ones_answered(app, fake_line, "not a number")


def test_an_event_without_a_source_is_rejected(app, client, fake_line):
    bad = text_event("U" + "b" * 32, "help")
    del bad["source"]
    assert post_body(client, body_of(*five_good(fake_line), bad)).status_code == 200
    assert_good_ones_answered(app, fake_line, "source")


def test_a_text_that_is_an_object_is_rejected(app, client, fake_line):
    bad = text_event("U" + "b" * 32, "help")
    bad["message"]["text"] = {"evil": True}
    assert post_body(client, body_of(*five_good(fake_line), bad)).status_code == 200
    assert_good_ones_answered(app, fake_line, "message.text")


def test_an_event_that_is_not_an_object_is_rejected(app, client, fake_line):
    assert post_body(client, body_of(*five_good(fake_line), "hello")).status_code == 200
    assert_good_ones_answered(app, fake_line, "object")


def test_a_rejected_event_sent_again_is_kept_once(app, client, fake_line):
    bad = text_event("U\x00bad", "help")
    post_body(client, body_of(bad))
    post_body(client, body_of(bad))
    [row] = rows(app)
    assert row.state == REJECTED
    assert "\\u0000" in row.payload["source"]["userId"]


def test_deep_nesting_gets_200_and_is_kept_as_rejected(app, client, fake_line):
    body = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = post_body(client, body)
    assert response.status_code == 200
    [row] = rows(app)
    assert row.state == REJECTED and "nested" in row.error
    assert fake_line.requests == []


def test_json_that_is_not_a_webhook_body_gets_200(app, client, fake_line):
    for body in (b"[]", b'"text"', b'{"events": 5}'):
        assert post_body(client, body).status_code == 200
    assert {r.state for r in rows(app)} == {REJECTED}
    assert fake_line.requests == []


def test_a_body_that_is_not_json_gets_400(app, client, fake_line):
    for body in (b"{not json", b"", b"\xff\xfe"):
        assert post_body(client, body).status_code == 400
    assert rows(app) == []


def test_every_sample_event_passes_the_checks():
    from bot.line.webhook_shape import check_event
    from tests.line_events import SAMPLES

    for event in json.loads(SAMPLES.read_text())["events"]:
        assert check_event(event) is None, event["type"]
