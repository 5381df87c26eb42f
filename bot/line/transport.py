"""Where messages go: LINE itself (bot/line/client.py), or the chat simulator's transcript."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.config import Settings, office_zone
from bot.line.client import DEFAULT_TIMEOUT, LineClient, LineError, QuotaStatus, SendResult
from bot.line.messages import split_for_line
from models.base import Database, utcnow
from models.simulator import SimulatorMessage

log = logging.getLogger(__name__)


class Transport(Protocol):
    """Where messages go: LINE itself, or the chat simulator's transcript."""

    def reply(self, reply_token: str, messages: list[dict]) -> SendResult: ...

    def push(self, to: str, messages: list[dict], retry_key: str) -> SendResult: ...

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> SendResult: ...

    def profile(self, user_id: str) -> dict | None: ...

    def group_member_count(self, group_id: str) -> int | None: ...

    def content(self, message_id: str) -> bytes: ...

    def quota(self) -> QuotaStatus: ...


class LineTransport:
    """The real LINE Messaging API (or the fake one in tests), through bot/line_client.py."""

    def __init__(self, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.client = LineClient.from_settings(settings, timeout)

    def reply(self, reply_token: str, messages: list[dict]) -> SendResult:
        """Answer with a reply token: up to 5 messages, cost 0."""
        batches = split_for_line(messages)
        if len(batches) != 1:
            raise ValueError("a reply takes 1 to 5 messages; Messenger.reply pushes the rest")
        result = self.client.reply_message(reply_token, batches[0])
        log.info("reply: %d message(s), cost 0, %s", len(batches[0]), _outcome(result))
        return result

    def push(self, to: str, messages: list[dict], retry_key: str) -> SendResult:
        """Push to a user, group or room."""
        return self.client.push_message(to, messages, retry_key)

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> SendResult:
        """Send the same messages to many users."""
        return self.client.multicast(to, messages, retry_key)

    def profile(self, user_id: str) -> dict | None:
        """LINE's profile JSON for a user, or None."""
        return self.client.get_profile(user_id)

    def group_member_count(self, group_id: str) -> int | None:
        """Members of a group, or None when LINE won't say."""
        return self.client.get_group_member_count(group_id)

    def content(self, message_id: str) -> bytes:
        """The bytes of an image a user sent; raises LineError."""
        return self.client.get_message_content(message_id)

    def quota(self) -> QuotaStatus:
        """This month's limit and consumption; raises LineError."""
        return self.client.get_message_quota()


class SimulatorTransport:
    """No LINE: every reply and push becomes a row of the simulator's transcript.

    A reply finds its chat through the user's turn stored with the same reply token (the
    simulator page writes it); a token used twice, or unknown, is refused as LINE would, and
    the Messenger then pushes to the chat instead.
    """

    def __init__(self, db: Database, instance_path: Path | str | None = None) -> None:
        self.db = db
        self.instance_path = Path(instance_path or Path.cwd() / "instance")

    def reply(self, reply_token: str, messages: list[dict]) -> SendResult:
        """Store the reply in the chat the token belongs to."""
        batch = split_for_line(messages)[0]
        with self.db.session() as session:
            turns = session.scalars(
                select(SimulatorMessage).where(SimulatorMessage.reply_token == reply_token)
            ).all()
            user_turn = next((t for t in turns if t.direction == "user"), None)
            if user_turn is None or any(t.direction == "bot" for t in turns):
                return SendResult(ok=False, status=400, error_message="Invalid reply token")
            session.add(_bot_turn(user_turn.chat_id, "reply", batch, reply_token))
        return _simulated()

    def push(self, to: str, messages: list[dict], retry_key: str) -> SendResult:
        """Store the push in the chat `to`."""
        with self.db.session() as session:
            session.add(_bot_turn(to, "push", _flat(messages)))
        return _simulated()

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> SendResult:
        """Store the messages in each user's chat."""
        with self.db.session() as session:
            session.add_all(_bot_turn(user, "multicast", _flat(messages)) for user in to)
        return _simulated()

    def profile(self, user_id: str) -> dict | None:
        """Simulated users have no LINE profile."""
        return None

    def group_member_count(self, group_id: str) -> int | None:
        """Simulated groups have no member count."""
        return None

    def content(self, message_id: str) -> bytes:
        """The image the simulator stored for an uploaded message; raises LineError."""
        path = simulator_content_path(self.instance_path, message_id)
        if not path.is_file():
            raise LineError(SendResult(ok=False, status=404, error_message="Not found"))
        return path.read_bytes()

    def quota(self) -> QuotaStatus:
        """No limit; the pushes stored this month count as used."""
        start = _month_start(utcnow(), office_zone())
        with self.db.session() as session:
            used = session.scalar(
                select(func.count(SimulatorMessage.id)).where(
                    SimulatorMessage.direction == "bot",
                    SimulatorMessage.kind != "reply",
                    SimulatorMessage.created_at >= start,
                )
            )
        return QuotaStatus(limit=None, used=used or 0)


def simulator_content_path(instance_path: Path | str, message_id: str) -> Path:
    """Where the simulator keeps the bytes of an uploaded image (instance/simulator/<id>)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", message_id):
        raise ValueError(f"not a message id: {message_id!r}")
    return Path(instance_path) / "simulator" / message_id


def _bot_turn(
    chat_id: str, kind: str, messages: list[dict], reply_token: str | None = None
) -> SimulatorMessage:
    return SimulatorMessage(
        chat_id=chat_id, direction="bot", kind=kind, messages=messages, reply_token=reply_token
    )


def _flat(messages: list[dict]) -> list[dict]:
    # What LINE would show: the same splitting and trimming as a real send.
    return [m for batch in split_for_line(messages) for m in batch]


def _simulated() -> SendResult:
    return SendResult(ok=True, status=200, request_id=f"sim-{uuid.uuid4().hex}")


def _month_start(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _outcome(result: SendResult) -> str:
    if result.ok:
        return f"sent (request {result.request_id})"
    return f"refused: {result.status} {result.error_message}"
