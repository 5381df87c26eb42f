"""Webhook events as LINE sends them, signed with the test channel secret.

Each factory gives a fresh webhookEventId and reply token. `post_events` posts a signed body
to the app's test client and closes the response, which runs the processing the webhook
schedules after its answer (Werkzeug calls `call_on_close` callbacks on close).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import time
from pathlib import Path

TEST_SECRET = "test-channel-secret"
DESTINATION = "U" + "0" * 32
SAMPLES = Path(__file__).parent / "data" / "line-samples" / "webhook-events.json"
_ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_clock = itertools.count(int(time.time() * 1000))


def new_event_id() -> str:
    """A fresh id in the shape of LINE's (a 26-character ULID)."""
    return "".join(secrets.choice(_ULID_CHARS) for _ in range(26))


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


def _source(user_id: str | None, group_id: str | None) -> dict:
    if group_id is None:
        return {"type": "user", "userId": user_id}
    kind, key = ("room", "roomId") if group_id.startswith("R") else ("group", "groupId")
    source = {"type": kind, key: group_id}
    if user_id:
        source["userId"] = user_id
    return source


def _event(kind: str, source: dict, *, reply: bool = True, timestamp: int | None = None, **extra):
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp if timestamp is not None else next(_clock),
        "source": source,
        "webhookEventId": new_event_id(),
        "deliveryContext": {"isRedelivery": False},
        **extra,
    }
    if reply:
        event["replyToken"] = secrets.token_hex(16)
    return event


def text_event(user_id: str, text: str, group_id: str | None = None, **kw) -> dict:
    """A text message from `user_id`, 1:1 or in `group_id` (a room when it starts with R)."""
    message = {"id": str(next(_clock)), "type": "text", "text": text, "quoteToken": "q"}
    return _event("message", _source(user_id, group_id), message=message, **kw)


def image_event(user_id: str, message_id: str | None = None, group_id: str | None = None, **kw):
    """An image sent from the LINE app (its bytes are fetched from the content endpoint)."""
    message = {
        "id": message_id or str(next(_clock)),
        "type": "image",
        "contentProvider": {"type": "line"},
        "quoteToken": "q",
    }
    return _event("message", _source(user_id, group_id), message=message, **kw)


def sticker_event(user_id: str, **kw) -> dict:
    """A sticker."""
    message = {"id": str(next(_clock)), "type": "sticker", "packageId": "1", "stickerId": "1"}
    return _event("message", _source(user_id, None), message=message, **kw)


def follow_event(user_id: str, **kw) -> dict:
    """The user added the bot as a friend (or unblocked it)."""
    return _event("follow", _source(user_id, None), follow={"isUnblocked": False}, **kw)


def unfollow_event(user_id: str, **kw) -> dict:
    """The user blocked the bot (no reply token)."""
    return _event("unfollow", _source(user_id, None), reply=False, **kw)


def join_event(group_id: str, **kw) -> dict:
    """The bot was added to a group."""
    return _event("join", _source(None, group_id), **kw)


def leave_event(group_id: str, **kw) -> dict:
    """The bot was removed from a group (no reply token)."""
    return _event("leave", _source(None, group_id), reply=False, **kw)


def member_joined_event(group_id: str, user_ids: list[str], **kw) -> dict:
    """Users joined a group the bot is in."""
    members = [{"type": "user", "userId": u} for u in user_ids]
    return _event("memberJoined", _source(None, group_id), joined={"members": members}, **kw)


def member_left_event(group_id: str, user_ids: list[str], **kw) -> dict:
    """Users left a group the bot is in."""
    members = [{"type": "user", "userId": u} for u in user_ids]
    return _event(
        "memberLeft", _source(None, group_id), reply=False, left={"members": members}, **kw
    )


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
        event["webhookEventId"] = new_event_id()
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
