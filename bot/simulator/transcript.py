"""The simulated chats: what users did (recorded here) and what the bot sent (by the transport)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import _, format_date
from bot.simulator.directory import speaker_name
from models.simulator import SimulatorMessage

USER = "user"
BOT = "bot"
SHOWN = 200


def chat_of(event: dict) -> str:
    """The chat an event appears in: its group or room, else the user's 1:1 chat."""
    where = event.get("source") or {}
    return where.get("groupId") or where.get("roomId") or where.get("userId") or ""


def record_user_turn(session: Session, event: dict, content_url: str | None = None) -> None:
    """Keep what the user did, to show it in the conversation beside the bot's answers."""
    where = event.get("source") or {}
    kind = event["type"]
    messages: list[dict] = []
    if kind == "message":
        message = event["message"]
        if message["type"] == "text":
            messages = [{"type": "text", "text": message["text"]}]
        elif message["type"] == "image":
            messages = [{"type": "image", "originalContentUrl": content_url or ""}]
    elif kind == "postback":
        shown = event["postback"].get("displayText")
        messages = [{"type": "text", "text": shown}] if shown else []
    elif kind == "memberJoined":
        where = {**where, "userId": event["joined"]["members"][0]["userId"]}
    session.add(
        SimulatorMessage(
            chat_id=chat_of(event),
            direction=USER,
            kind="message" if kind == "message" else kind[:16],
            user_id=where.get("userId"),
            # The transport finds the chat a reply belongs to by this token.
            reply_token=event.get("replyToken"),
            messages=messages,
        )
    )


def conversation(session: Session, chat_id: str, zone: ZoneInfo) -> dict:
    """The last turns of a chat, oldest first, ready for the page, and a version to poll on."""
    rows = session.scalars(
        select(SimulatorMessage)
        .where(SimulatorMessage.chat_id == chat_id)
        .order_by(SimulatorMessage.id.desc())
        .limit(SHOWN)
    ).all()
    rows.reverse()
    in_group = chat_id.startswith(("C", "R"))
    names: dict[str, str] = {}
    items = [_item(session, row, zone, in_group, names) for row in rows]
    version = f"{len(rows)}:{rows[-1].id if rows else 0}"
    return {"version": version, "items": items}


def _item(
    session: Session, row: SimulatorMessage, zone: ZoneInfo, in_group: bool, names: dict
) -> dict:
    local = row.created_at.astimezone(zone)
    item = {"id": row.id, "day": format_date(local.date()), "time": local.strftime("%H:%M")}
    if row.direction == BOT:
        return {**item, "side": BOT, "delivery": row.kind, "messages": row.messages}
    who = ""
    if row.user_id and (in_group or row.kind != "message"):
        if row.user_id not in names:
            names[row.user_id] = speaker_name(session, row.user_id)
        who = names[row.user_id]
    if row.kind == "message" or (row.kind == "postback" and row.messages):
        return {**item, "side": USER, "sender": who if in_group else "", "messages": row.messages}
    return {**item, "side": "system", "text": _system_note(row.kind, who)}


def _system_note(kind: str, who: str) -> str:
    """What the page says for an event that is not a message."""
    if kind == "follow":
        return _("%(name)s added the bot as a friend", name=who)
    if kind == "unfollow":
        return _("%(name)s blocked the bot", name=who)
    if kind == "join":
        return _("The bot was added to the group")
    if kind == "leave":
        return _("The bot was removed from the group")
    if kind == "memberJoined":
        return _("%(name)s joined the group", name=who)
    if kind == "postback":
        return _("%(name)s tapped a button", name=who)
    return _("%(name)s: %(event)s event", name=who, event=kind)
