"""The officers' Flex cards: a bubble per debtor, task, slip or request, in carousels.

A list answers with one carousel of at most LINE's 12 bubbles, its plain-text lines as the
altText (what notifications and old clients show), and a "More" quick reply when the list
goes on. Each bubble has the key figures as label/value rows and the buttons for what comes
next (postbacks, or a command filled into the keyboard).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.i18n import _
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.officer_access import button, postback_data

Row = TypeVar("Row")
MUTED = "#888888"


def pair(label: str, value: str) -> dict:
    """One row of a card: a grey label and its value."""
    return {
        "type": "box",
        "layout": "baseline",
        "spacing": "sm",
        "contents": [
            {"type": "text", "text": label, "size": "sm", "color": MUTED, "flex": 2, "wrap": True},
            {"type": "text", "text": value or "-", "size": "sm", "flex": 5, "wrap": True},
        ],
    }


def card(
    title: str, rows: Sequence[tuple[str, str]], buttons: Sequence[dict], *, note: str = ""
) -> dict:
    """A bubble: the title, label/value rows, an optional small note, buttons at the foot."""
    body: list[dict] = [
        {"type": "text", "text": title, "weight": "bold", "size": "md", "wrap": True},
        *(pair(label, value) for label, value in rows),
    ]
    if note:
        body.append({"type": "text", "text": note, "size": "xs", "color": MUTED, "wrap": True})
    bubble: dict = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": list(buttons),
        }
    return bubble


def action_button(action: dict, *, primary: bool = False) -> dict:
    """A footer button for `action` (a postback, message or URI action)."""
    return {
        "type": "button",
        "style": "primary" if primary else "secondary",
        "height": "sm",
        "action": action,
    }


def fill_button(label: str, fill: str) -> dict:
    """A button that opens the keyboard with `fill` typed in: the officer adds the amount or
    the words and sends; the postback itself needs no answer."""
    return action_button(
        {
            "type": "postback",
            "label": line_messages.truncate(label, line_messages.LABEL_LIMIT),
            "data": "officer:fill",
            "inputOption": "openKeyboard",
            "fillInText": fill,
        }
    )


def command_button(label: str, command: str) -> dict:
    """A button that sends `command` as the officer's message."""
    return action_button({"type": "message", "label": label, "text": command})


def page(
    ctx: ChatContext,
    rows: Sequence[Row],
    offset: int,
    size: int,
    *,
    title: str,
    line: Callable[[int, Row], str],
    bubble: Callable[[int, Row], dict],
    more: str,
    more_said: str,
    more_values: dict | None = None,
) -> None:
    """Reply with rows[offset:offset+size] as a carousel (numbered from offset+1), `title`
    and the rows' text lines as its altText, and a "More" button (a postback of the command
    `more`, shown as the officer's `more_said`) when rows remain."""
    shown = rows[offset : offset + size][: line_messages.CAROUSEL_BUBBLES]
    numbered = list(enumerate(shown, start=offset + 1))
    alt = "\n".join([title, *(line(n, row) for n, row in numbered)])
    message = line_messages.carousel(alt, [bubble(n, row) for n, row in numbered])
    following = offset + len(shown)
    if following < len(rows):
        data = postback_data(more, offset=following, **(more_values or {}))
        message = line_messages.with_quick_replies(
            message,
            [button(_("More"), data, more_said)],
        )
    ctx.reply(message)
