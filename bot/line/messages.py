"""LINE message objects as plain dicts (the JSON of the Messaging API), kept within LINE's limits.

Plain dicts can be stored in the outbox, rendered by the chat simulator and sent by the SDK
alike. Lengths are counted in UTF-16 code units, the most LINE may count, so an emoji never
pushes a text over a limit.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

MESSAGES_PER_REQUEST = 5
TEXT_LIMIT = 5000
QUICK_REPLY_ITEMS = 13
LABEL_LIMIT = 20
ACTION_TEXT_LIMIT = 300
ALT_TEXT_LIMIT = 400
CAROUSEL_BUBBLES = 12
ELLIPSIS = "…"


def text(body: str, quick_replies: list[tuple[str, str] | dict] | None = None) -> dict:
    """A text message; each quick reply (label, text) sends `text` as the user when tapped.

    A quick reply may also be an action dict (see `postback_action`).
    """
    return with_quick_replies({"type": "text", "text": body}, quick_replies or [])


def postback_action(label: str, data: str, display_text: str | None = None) -> dict:
    """A button that sends `data` back to the bot (a postback event), not a chat message.

    `display_text` is what the chat shows as the user's message when it is tapped.
    """
    action = {"type": "postback", "label": truncate(label, LABEL_LIMIT), "data": data}
    if display_text:
        action["displayText"] = truncate(display_text, ACTION_TEXT_LIMIT)
    return action


def flex(alt_text: str, contents: dict) -> dict:
    """A Flex message: a bubble or carousel, with the plain text LINE shows where it cannot."""
    return {"type": "flex", "altText": truncate(alt_text, ALT_TEXT_LIMIT), "contents": contents}


def carousel(alt_text: str, bubbles: list[dict]) -> dict:
    """A Flex carousel of `bubbles` (LINE takes at most 12)."""
    if not 0 < len(bubbles) <= CAROUSEL_BUBBLES:
        raise ValueError(f"a carousel has 1 to {CAROUSEL_BUBBLES} bubbles, not {len(bubbles)}")
    return flex(alt_text, {"type": "carousel", "contents": bubbles})


def with_quick_replies(message: dict, quick_replies: list[tuple[str, str] | dict]) -> dict:
    """`message` (any type) with quick replies (label, text) or actions (see
    `postback_action`) added; the original is not changed."""
    if not quick_replies:
        return message
    items = [
        {"type": "action", "action": q if isinstance(q, dict) else _message_action(*q)}
        for q in quick_replies
    ]
    return {**message, "quickReply": {"items": items}}


def split_for_line(messages: Iterable[dict]) -> list[list[dict]]:
    """Messages cut to LINE's limits, in batches of at most 5 (one request each)."""
    flat: list[dict] = []
    for message in messages:
        flat.extend(_split_message(copy.deepcopy(message)))
    for message in flat:
        _trim_quick_reply(message)
    size = MESSAGES_PER_REQUEST
    return [flat[start : start + size] for start in range(0, len(flat), size)]


def line_length(value: str) -> int:
    """The length of `value` in UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(value.encode("utf-16-le")) // 2


def truncate(value: str, limit: int) -> str:
    """`value` cut to `limit` units, ending in an ellipsis when something was cut."""
    if line_length(value) <= limit:
        return value
    return _take(value, limit - 1) + ELLIPSIS


def split_text(body: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A long text as chunks of at most `limit` units, cut at line breaks where possible."""
    chunks: list[str] = []
    current = ""
    for line in body.splitlines(keepends=True):
        for piece in _hard_split(line, limit):
            if current and line_length(current) + line_length(piece) > limit:
                chunks.append(current)
                current = ""
            current += piece
    chunks.append(current)
    # A break that ends a chunk is where the message bubbles part: it need not be shown.
    return [chunk.rstrip("\r\n") or chunk for chunk in chunks if chunk]


def _message_action(label: str, message_text: str) -> dict:
    return {
        "type": "message",
        "label": truncate(label, LABEL_LIMIT),
        "text": truncate(message_text, ACTION_TEXT_LIMIT),
    }


def _split_message(message: dict) -> list[dict]:
    if message.get("type") != "text" or line_length(message.get("text", "")) <= TEXT_LIMIT:
        return [message]
    quick_reply = message.pop("quickReply", None)
    parts = [{**message, "text": chunk} for chunk in split_text(message["text"])]
    if quick_reply:
        parts[-1]["quickReply"] = quick_reply
    return parts


def _trim_quick_reply(message: dict) -> None:
    items = (message.get("quickReply") or {}).get("items")
    if items and len(items) > QUICK_REPLY_ITEMS:
        log.warning(
            "quick reply: %d items, LINE takes %d; dropped: %s",
            len(items),
            QUICK_REPLY_ITEMS,
            ", ".join(
                str(item.get("action", {}).get("label")) for item in items[QUICK_REPLY_ITEMS:]
            ),
        )
        message["quickReply"]["items"] = items[:QUICK_REPLY_ITEMS]


def _hard_split(line: str, limit: int) -> list[str]:
    # Only a single line longer than a whole message is cut mid-line.
    pieces = []
    while line_length(line) > limit:
        head = _take(line, limit)
        pieces.append(head)
        line = line[len(head) :]
    return [*pieces, line] if line else pieces


def _take(value: str, units: int) -> str:
    taken = 0
    for index, char in enumerate(value):
        taken += 2 if ord(char) > 0xFFFF else 1
        if taken > units:
            return value[:index]
    return value
