"""Webhook events in the shape LINE sends them (its webhook.yml), as plain dicts.

The chat simulator and the tests build their events here, so both drive the pipeline with
what LINE would really send: type, mode, timestamp, source, webhookEventId,
deliveryContext, a reply token on the events LINE gives one, and the message or postback.
"""

from __future__ import annotations

import os
import secrets
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Events LINE sends with a reply token (unfollow, leave and memberLeft come without one).
_REPLYABLE = {"message", "follow", "join", "memberJoined", "postback"}

_last_timestamp = 0
_clock_lock = threading.Lock()


def webhook_event_id() -> str:
    """A ULID, as LINE's webhookEventId is: 48 bits of milliseconds, 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def next_timestamp() -> int:
    """Milliseconds now, always later than the last event's, so events keep the order made.

    The pipeline handles a batch in timestamp order; two events built in the same
    millisecond must not swap.
    """
    global _last_timestamp
    with _clock_lock:
        _last_timestamp = max(int(time.time() * 1000), _last_timestamp + 1)
        return _last_timestamp


def source(user_id: str | None, group_id: str | None = None) -> dict:
    """LINE's source object: a 1:1 chat with `user_id`, or a group ("C...") or room ("R...")."""
    if group_id is None:
        return {"type": "user", "userId": user_id}
    kind, key = ("room", "roomId") if group_id.startswith("R") else ("group", "groupId")
    found = {"type": kind, key: group_id}
    if user_id:
        found["userId"] = user_id
    return found


def event(
    kind: str,
    where: dict,
    *,
    reply: bool | None = None,
    timestamp: int | None = None,
    **fields: object,
) -> dict:
    """A webhook event of `kind` from `where`, with a fresh id, timestamp and reply token.

    `reply` overrides whether it carries a reply token (default: as LINE does for `kind`).
    """
    built: dict = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp if timestamp is not None else next_timestamp(),
        "source": where,
        "webhookEventId": webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in _REPLYABLE if reply is None else reply:
        built["replyToken"] = secrets.token_hex(16)
    built.update(fields)
    return built


def text_event(user_id: str, text: str, group_id: str | None = None, **kw) -> dict:
    """The user typed `text`, 1:1 or in `group_id`."""
    message = {"id": new_message_id(), "type": "text", "text": text, "quoteToken": _quote_token()}
    return event("message", source(user_id, group_id), message=message, **kw)


def image_event(
    user_id: str, message_id: str | None = None, group_id: str | None = None, **kw
) -> dict:
    """The user sent a photo (its bytes are fetched by message id, from LINE's content API)."""
    message = {
        "id": message_id or new_message_id(),
        "type": "image",
        "contentProvider": {"type": "line"},
        "quoteToken": _quote_token(),
    }
    return event("message", source(user_id, group_id), message=message, **kw)


def sticker_event(user_id: str, group_id: str | None = None, **kw) -> dict:
    """The user sent a sticker."""
    message = {"id": new_message_id(), "type": "sticker", "packageId": "1", "stickerId": "1"}
    return event("message", source(user_id, group_id), message=message, **kw)


def postback_event(
    user_id: str,
    data: str,
    group_id: str | None = None,
    *,
    params: dict | None = None,
    display_text: str | None = None,
    **kw,
) -> dict:
    """The user tapped a postback action (a button, a quick reply, a date picker)."""
    body: dict = {"data": data}
    if params:
        body["params"] = params
    if display_text:
        body["displayText"] = display_text
    return event("postback", source(user_id, group_id), postback=body, **kw)


def follow_event(user_id: str, **kw) -> dict:
    """The user added the bot as a friend (or unblocked it)."""
    return event("follow", source(user_id), follow={"isUnblocked": False}, **kw)


def unfollow_event(user_id: str, **kw) -> dict:
    """The user blocked the bot (no reply token)."""
    return event("unfollow", source(user_id), **kw)


def join_event(group_id: str, **kw) -> dict:
    """The bot was added to a group."""
    return event("join", source(None, group_id), **kw)


def leave_event(group_id: str, **kw) -> dict:
    """The bot was removed from a group (no reply token)."""
    return event("leave", source(None, group_id), **kw)


def member_joined_event(group_id: str, user_ids: list[str], **kw) -> dict:
    """Users joined a group the bot is in."""
    members = {"members": [{"type": "user", "userId": u} for u in user_ids]}
    return event("memberJoined", source(None, group_id), joined=members, **kw)


def member_left_event(group_id: str, user_ids: list[str], **kw) -> dict:
    """Users left a group the bot is in (no reply token)."""
    members = {"members": [{"type": "user", "userId": u} for u in user_ids]}
    return event("memberLeft", source(None, group_id), left=members, **kw)


def new_message_id() -> str:
    """A fresh message id: LINE's are decimal strings of about 18 digits."""
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def _quote_token() -> str:
    return secrets.token_urlsafe(24)
