"""Is a webhook event LINE's shape (../shared/line-openapi/webhook.yml), and storable as it is?

Each event of a body is checked on its own before it is stored: an event that fails is kept as
`rejected` with the reason (see bot.inbound.ingest) and never blocks the others. The checks
are LINE's envelope and the parts of each event type fundbot reads, plus what no database
takes: NUL characters, lone surrogates, NaN and infinities, integers beyond 64 bits. Event
types we do not know (LINE adds new ones) pass when their envelope is right.
"""

from __future__ import annotations

import math

# LINE's ids and tokens are 33 (ids) or 32 (tokens) characters; columns hold 64.
MAX_ID = 64
MAX_EVENT_ID = 80
# Milliseconds: anything from 1970 to the year 2255 (2**53 keeps it exact in any JSON reader).
MAX_TIMESTAMP = 2**53
MAX_DEPTH = 32
INT64 = 2**63
SOURCE_ID = {"user": "userId", "group": "groupId", "room": "roomId"}
# Events that happen in a chat: without a source nobody can be answered or recorded.
NEEDS_SOURCE = {
    "message", "messageEdited", "follow", "unfollow", "join", "leave", "memberJoined",
    "memberLeft", "postback", "unsend", "videoPlayComplete", "beacon", "accountLink",
}  # fmt: skip
MESSAGE_TYPES_WITH_TEXT = {"text"}


class BadEvent(ValueError):
    """Why an event is refused."""


def check_event(event: object) -> str | None:
    """None when `event` may be stored and handled; otherwise the reason, in English."""
    try:
        _check(event)
    except BadEvent as exc:
        return str(exc)
    return None


def _check(event: object) -> None:
    if not isinstance(event, dict):
        raise BadEvent(f"an event must be an object, not {type(event).__name__}")
    _check_values(event, "event", 0)
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadEvent("type: a non-empty string is required")
    _optional_string(event, "webhookEventId", MAX_EVENT_ID)
    _optional_string(event, "mode", 16)
    _optional_string(event, "replyToken", MAX_ID)
    timestamp = event.get("timestamp")
    if timestamp is not None and (
        not isinstance(timestamp, int)
        or isinstance(timestamp, bool)
        or not 0 <= timestamp < MAX_TIMESTAMP
    ):
        raise BadEvent(f"timestamp: milliseconds since 1970 expected, got {timestamp!r:.40}")
    delivery = event.get("deliveryContext")
    if delivery is not None:
        if not isinstance(delivery, dict):
            raise BadEvent("deliveryContext: an object is required")
        if not isinstance(delivery.get("isRedelivery", False), bool):
            raise BadEvent("deliveryContext.isRedelivery: a boolean is required")
    _check_source(event, kind)
    if kind in ("message", "messageEdited"):
        _check_message(event.get("message"))
    elif kind == "postback":
        postback = event.get("postback")
        if not isinstance(postback, dict) or not isinstance(postback.get("data"), str):
            raise BadEvent("postback.data: a string is required")
    elif kind in ("memberJoined", "memberLeft"):
        _check_members(event, "joined" if kind == "memberJoined" else "left")


def _check_source(event: dict, kind: str) -> None:
    source = event.get("source")
    if source is None:
        if kind in NEEDS_SOURCE:
            raise BadEvent(f"source: required for a {kind} event")
        return
    if not isinstance(source, dict):
        raise BadEvent("source: an object is required")
    source_type = source.get("type")
    if not isinstance(source_type, str) or not source_type:
        raise BadEvent("source.type: a non-empty string is required")
    for key in ("userId", "groupId", "roomId"):
        _optional_string(source, key, MAX_ID, where="source.")
    required = SOURCE_ID.get(source_type)
    if required and required != "userId" and not source.get(required):
        raise BadEvent(f"source.{required}: required for a {source_type} source")


def _check_message(message: object) -> None:
    if not isinstance(message, dict):
        raise BadEvent("message: an object is required")
    if not isinstance(message.get("type"), str) or not message["type"]:
        raise BadEvent("message.type: a non-empty string is required")
    if not isinstance(message.get("id"), str) or not 0 < len(message["id"]) <= MAX_ID:
        raise BadEvent("message.id: a string id is required")
    if message["type"] in MESSAGE_TYPES_WITH_TEXT and not isinstance(message.get("text"), str):
        raise BadEvent(f"message.text: a string is required, not {_type(message.get('text'))}")


def _check_members(event: dict, key: str) -> None:
    detail = event.get(key)
    members = detail.get("members") if isinstance(detail, dict) else None
    if not isinstance(members, list):
        raise BadEvent(f"{key}.members: a list is required")
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("userId"), str):
            raise BadEvent(f"{key}.members: each member needs a userId string")
        if len(member["userId"]) > MAX_ID:
            raise BadEvent(f"{key}.members: a userId is longer than {MAX_ID} characters")


def _optional_string(holder: dict, key: str, length: int, where: str = "") -> None:
    value = holder.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        raise BadEvent(f"{where}{key}: a string is required, not {_type(value)}")
    if not value or len(value) > length:
        raise BadEvent(f"{where}{key}: 1 to {length} characters expected")


def _check_values(value: object, path: str, depth: int) -> None:
    """Every string, number and nesting level in the event is one any database stores."""
    if depth > MAX_DEPTH:
        raise BadEvent(f"{path}: nested more than {MAX_DEPTH} levels")
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise BadEvent(f"{path}: the number {value:.3g} is out of range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadEvent(f"{path}: {value} is not a number JSON allows")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{path} key")
            _check_values(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, f"{path}[{index}]", depth + 1)


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise BadEvent(f"{path}: contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadEvent(f"{path}: contains a lone surrogate (not valid Unicode)") from None


def _type(value: object) -> str:
    names = {dict: "an object", list: "a list", type(None): "null", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)


def storable(value: object, depth: int = 0) -> object:
    """`value` with whatever a database refuses made visible text, to keep a rejected event."""
    if depth > MAX_DEPTH:
        return "(nested too deep)"
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -INT64 <= value < INT64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {_storable_text(str(k)): storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v, depth + 1) for v in value]
    return repr(value)


def _storable_text(text: str) -> str:
    text = text.replace("\x00", "\\u0000")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
