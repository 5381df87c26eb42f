"""Signed webhook requests for the HTTP tests, and the Thai/English texts replies are compared with.

The events themselves come from bot/line/events.py, which the chat simulator uses too (each
factory gives a fresh webhookEventId and reply token). `post_events` posts a signed body to
the app's test client and closes the response, which runs the processing the webhook
schedules after its answer (Werkzeug calls `call_on_close` callbacks on close).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from bot.line.events import webhook_event_id

TEST_SECRET = "test-channel-secret"
DESTINATION = "U" + "0" * 32
SAMPLES = Path(__file__).parent / "data" / "line-samples" / "webhook-events.json"


def sign(body: bytes, secret: str = TEST_SECRET) -> str:
    """The X-Line-Signature LINE would send for `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def body_of(*events: dict) -> bytes:
    """A webhook request body holding `events`."""
    return json.dumps({"destination": DESTINATION, "events": list(events)}).encode()


def post_body(client, body: bytes, signature: str | None = "sign"):
    """POST raw `body` to /callback (signed unless told otherwise); the closed response."""
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = sign(body)
    if signature is not None:
        headers["X-Line-Signature"] = signature
    response = client.post("/callback", data=body, headers=headers)
    response.close()
    return response


def post_events(client, *events: dict):
    """POST signed `events` to /callback and let the app handle them."""
    return post_body(client, body_of(*events))


def routed(fake, event: dict) -> dict:
    """`event` with a reply token from the fake LINE, so its replies count as sent to the chat."""
    source = event["source"]
    chat = source.get("groupId") or source.get("roomId") or source.get("userId")
    event["replyToken"] = fake.issue_reply_token(chat)
    return event


def sample_events() -> list[dict]:
    """LINE's sample body (one event of every type), each given a fresh webhookEventId."""
    events = json.loads(SAMPLES.read_text())["events"]
    fresh = []
    for event in events:
        event = copy.deepcopy(event)
        event["webhookEventId"] = webhook_event_id()
        if "replyToken" in event:
            event["replyToken"] = secrets.token_hex(16)
        fresh.append(event)
    return fresh


def in_thai(msgid: str, **values: object) -> str:
    """What a Thai reader is sent for `msgid`: the catalog's msgstr, filled in with `values`.

    Fails when the catalog has no Thai for `msgid`, so a test comparing a reply with it cannot
    pass on an English reply.
    """
    from bot.i18n import _, use_locale

    with use_locale("th"):
        text = _(msgid, **values)
    untranslated = msgid % values if values else msgid
    assert text != untranslated, f"no Thai translation for {msgid!r}"
    return text


def in_english(msgid: str, **values: object) -> str:
    """What an English reader is sent for `msgid`."""
    from bot.i18n import _, use_locale

    with use_locale("en"):
        return _(msgid, **values)


def make_app(environ: dict[str, str]):
    """The Flask app for a test environment (its runtime at app.extensions["fundbot"])."""
    from bot.app import create_app
    from bot.config import Settings
    from bot.runtime import Runtime

    return create_app(Runtime(Settings.from_env(environ)))
