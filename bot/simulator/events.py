"""Simulated LINE identities and the webhook events LINE would send for what they do.

The events have the shape of LINE's webhook spec (webhook.yml): type, mode, timestamp,
source, webhookEventId, deliveryContext, replyToken and message, so the simulator drives
the same pipeline as the real webhook.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time

BORROWER = "borrower"
STAFF = "staff"
_KIND_CODES = {BORROWER: "b", STAFF: "e"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Events LINE sends with a reply token (unfollow, leave and memberLeft come without one).
_REPLYABLE = {"message", "follow", "join", "memberJoined", "postback"}


def fake_user_id(kind: str, record_id: int) -> str:
    """A stable LINE-like user id ("U" + 32 hex) for a borrower or a member of staff.

    The last eight digits carry the record, so the simulator can name who spoke.
    """
    digest = hashlib.sha256(f"fundbot-simulator:{kind}:{record_id}".encode()).hexdigest()
    return f"U{digest[:24]}{_KIND_CODES[kind]}{record_id:07x}"


def parse_fake_user_id(user_id: str) -> tuple[str, int] | None:
    """(kind, record id) of a simulated user id; None for any other id."""
    if len(user_id) != 33 or not user_id.startswith("U"):
        return None
    code, digits = user_id[25], user_id[26:]
    kind = next((k for k, c in _KIND_CODES.items() if c == code), None)
    try:
        record_id = int(digits, 16)
    except ValueError:
        return None
    if kind is None or fake_user_id(kind, record_id) != user_id:
        return None
    return kind, record_id


def new_group_id() -> str:
    """A fresh LINE-like group id ("C" + 32 hex)."""
    return "C" + secrets.token_hex(16)


def webhook_event_id() -> str:
    """A ULID, as LINE's webhookEventId is: 48 bits of milliseconds, 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def source(user_id: str | None, group_id: str | None = None) -> dict:
    """LINE's source object: a 1:1 chat with `user_id`, or a group (with its speaker)."""
    if group_id is None:
        return {"type": "user", "userId": user_id}
    found = {"type": "group", "groupId": group_id}
    if user_id:
        found["userId"] = user_id
    return found


def event(kind: str, where: dict, **fields: object) -> dict:
    """A webhook event of `kind` from `where`, with a fresh id, timestamp and reply token."""
    built: dict = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": where,
        "webhookEventId": webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in _REPLYABLE:
        built["replyToken"] = secrets.token_hex(16)
    built.update(fields)
    return built


def text_message(where: dict, text: str) -> dict:
    """The user typed `text`."""
    message = {"id": _message_id(), "type": "text", "text": text, "quoteToken": _quote_token()}
    return event("message", where, message=message)


def image_message(where: dict, message_id: str | None = None) -> dict:
    """The user sent a photo (its content is fetched by message id, as from LINE)."""
    message = {
        "id": message_id or _message_id(),
        "type": "image",
        "contentProvider": {"type": "line"},
        "quoteToken": _quote_token(),
    }
    return event("message", where, message=message)


def postback(where: dict, data: str, params: dict | None = None) -> dict:
    """The user tapped a postback action."""
    body: dict = {"data": data}
    if params:
        body["params"] = params
    return event("postback", where, postback=body)


def follow(user_id: str) -> dict:
    """The user added the bot as a friend (or unblocked it)."""
    return event("follow", source(user_id), follow={"isUnblocked": False})


def unfollow(user_id: str) -> dict:
    """The user blocked the bot."""
    return event("unfollow", source(user_id))


def join(group_id: str) -> dict:
    """The bot was added to a group."""
    return event("join", source(None, group_id))


def leave(group_id: str) -> dict:
    """The bot was removed from a group."""
    return event("leave", source(None, group_id))


def member_joined(group_id: str, user_id: str) -> dict:
    """A user joined a group the bot is in."""
    members = {"members": [{"type": "user", "userId": user_id}]}
    return event("memberJoined", source(None, group_id), joined=members)


def _message_id() -> str:
    # LINE's message ids are decimal strings of about 18 digits.
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def _quote_token() -> str:
    return secrets.token_urlsafe(24)
