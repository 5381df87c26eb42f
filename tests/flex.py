"""Reading Flex messages in tests: every text a reader sees, and every action they can tap."""

from __future__ import annotations


def flex_texts(message: dict) -> str:
    """The texts of a Flex message (or bubble, box, ...), one a line, in reading order."""
    return "\n".join(_walk(message, "text"))


def flex_actions(message: dict) -> list[dict]:
    """The actions of its buttons, in order."""
    return list(_walk(message, "action"))


def _walk(node, key: str):
    if isinstance(node, dict):
        if key == "text" and node.get("type") == "text" and isinstance(node.get("text"), str):
            yield node["text"]
        elif key == "action" and node.get("type") == "button":
            yield node["action"]
        for name, value in node.items():
            if name not in ("action", "quickReply", "altText"):
                yield from _walk(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)
