"""The `chat` fixture: talk to the bot in-process, through the real pipeline, and see its answers.

`chat.say("Udebtor", "ยอด")` builds the event LINE would send (bot/line/events.py), then does
what the webhook does with it: `bot.inbound.ingest`, `bot.inbound.process`, then
`messenger.flush()`. Only LINE is replaced, by a transport that records every reply and push
(and serves profiles and image content the test put there). What the bot sent for that one
event comes back as a `Sent`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from bot.inbound import ingest, process
from bot.line import events
from bot.line.client import LineError, QuotaStatus, SendResult
from bot.line.messenger import Messenger
from bot.runtime import Runtime
from models.base import utcnow
from tests.flex import flex_texts

REPLY = "reply"
PUSH = "push"
MULTICAST = "multicast"


@dataclass(frozen=True)
class Delivery:
    """One send: a reply, push or multicast, to a chat (user, group or room), its messages."""

    how: str
    to: str
    messages: tuple[dict, ...]


@dataclass
class Sent:
    """What the bot sent while handling something: every reply and push, in order."""

    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def messages(self) -> list[dict]:
        """Every message object sent."""
        return [m for d in self.deliveries for m in d.messages]

    @property
    def texts(self) -> list[str]:
        """The texts of the text messages sent; a Flex card gives the texts on it, a line each."""
        return [
            m["text"] if m.get("type") == "text" else flex_texts(m["contents"])
            for m in self.messages
            if m.get("type") in ("text", "flex")
        ]

    @property
    def cards(self) -> list[dict]:
        """The Flex messages sent."""
        return [m for m in self.messages if m.get("type") == "flex"]

    @property
    def text(self) -> str:
        """The texts joined with line breaks (what a reader sees, bubble after bubble)."""
        return "\n".join(self.texts)

    @property
    def replies(self) -> Sent:
        """Only what went with the reply token."""
        return Sent([d for d in self.deliveries if d.how == REPLY])

    @property
    def pushes(self) -> Sent:
        """Only what was pushed (or multicast)."""
        return Sent([d for d in self.deliveries if d.how != REPLY])

    def to(self, chat_id: str) -> Sent:
        """Only what went to one user, group or room."""
        return Sent([d for d in self.deliveries if d.to == chat_id])

    def quick_replies(self) -> list[str]:
        """The labels of the quick replies on the last message."""
        items = ((self.messages[-1:] or [{}])[0].get("quickReply") or {}).get("items") or []
        return [item["action"]["label"] for item in items]

    def __str__(self) -> str:
        return self.text


class RecordingTransport:
    """A LINE that keeps what it is sent. Reply tokens are single use, as LINE's are."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.profiles: dict[str, dict] = {}
        self.contents: dict[str, bytes] = {}
        self.member_counts: dict[str, int] = {}
        self._tokens: dict[str, str] = {}

    def issue_reply_token(self, chat_id: str) -> str:
        """A token a reply to `chat_id` can use once."""
        token = secrets.token_hex(16)
        self._tokens[token] = chat_id
        return token

    def reply(self, reply_token: str, messages: list[dict]) -> SendResult:
        chat_id = self._tokens.pop(reply_token, None)
        if chat_id is None:
            return SendResult(ok=False, status=400, error_message="Invalid reply token")
        self.deliveries.append(Delivery(REPLY, chat_id, tuple(messages)))
        return _ok()

    def push(self, to: str, messages: list[dict], retry_key: str) -> SendResult:
        self.deliveries.append(Delivery(PUSH, to, tuple(messages)))
        return _ok()

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> SendResult:
        self.deliveries.extend(Delivery(MULTICAST, user, tuple(messages)) for user in to)
        return _ok()

    def profile(self, user_id: str) -> dict | None:
        return self.profiles.get(user_id)

    def group_member_count(self, group_id: str) -> int | None:
        return self.member_counts.get(group_id)

    def content(self, message_id: str) -> bytes:
        if message_id not in self.contents:
            raise LineError(SendResult(ok=False, status=404, error_message="Not found"))
        return self.contents[message_id]

    def quota(self) -> QuotaStatus:
        return QuotaStatus(limit=None, used=0)


class Chat:
    """Users talking to the bot; each call returns what the bot sent for it."""

    def __init__(self, runtime: Runtime, router=None) -> None:
        self.runtime = runtime
        # None: the bot's own router (handlers.router.default_router()).
        self.router = router
        self.line = RecordingTransport()
        self.messenger = Messenger(self.line, runtime.db)

    # ------------------------------------------------------------------ what users do

    def say(self, user_id: str, text: str, group_id: str | None = None) -> Sent:
        """`user_id` types `text`, 1:1 or in `group_id`."""
        return self.send(events.text_event(user_id, text, group_id))

    def send_image(
        self,
        user_id: str,
        content: bytes | None = None,
        *,
        message_id: str | None = None,
        group_id: str | None = None,
    ) -> Sent:
        """`user_id` sends a photo; `content` None: LINE cannot give its bytes."""
        event = events.image_event(user_id, message_id, group_id)
        if content is not None:
            self.line.contents[event["message"]["id"]] = content
        return self.send(event)

    def sticker(self, user_id: str, group_id: str | None = None) -> Sent:
        """`user_id` sends a sticker."""
        return self.send(events.sticker_event(user_id, group_id))

    def tap(self, user_id: str, data: str, group_id: str | None = None, **kw) -> Sent:
        """`user_id` taps a postback button."""
        return self.send(events.postback_event(user_id, data, group_id, **kw))

    def follow(self, user_id: str, *, language: str | None = None, name: str = "") -> Sent:
        """`user_id` adds the bot as a friend; `language` is their LINE app's (in the profile)."""
        profile: dict = {"userId": user_id, "displayName": name or user_id}
        if language:
            profile["language"] = language
        self.line.profiles.setdefault(user_id, profile)
        return self.send(events.follow_event(user_id))

    def unfollow(self, user_id: str) -> Sent:
        """`user_id` blocks the bot."""
        return self.send(events.unfollow_event(user_id))

    def join(self, group_id: str, members: int | None = None) -> Sent:
        """The bot is added to `group_id` (of `members` people, if LINE would say)."""
        if members is not None:
            self.line.member_counts[group_id] = members
        return self.send(events.join_event(group_id))

    def leave(self, group_id: str) -> Sent:
        """The bot is removed from `group_id`."""
        return self.send(events.leave_event(group_id))

    def members_join(self, group_id: str, *user_ids: str) -> Sent:
        """Users join `group_id`."""
        return self.send(events.member_joined_event(group_id, list(user_ids)))

    def members_leave(self, group_id: str, *user_ids: str) -> Sent:
        """Users leave `group_id`."""
        return self.send(events.member_left_event(group_id, list(user_ids)))

    # ------------------------------------------------------------------ the pipeline

    def send(self, *batch: dict) -> Sent:
        """Deliver events as one webhook request would, and return what the bot sent."""
        for event in batch:
            if "replyToken" in event:
                event["replyToken"] = self.line.issue_reply_token(_chat_of(event))
        before = len(self.line.deliveries)
        ids = ingest(self.runtime.db, list(batch), received_at=utcnow())
        if self.router is None:
            process(self.runtime, self.messenger, ids)
        else:
            process(self.runtime, self.messenger, ids, router=self.router)
        self.messenger.flush()
        return Sent(self.line.deliveries[before:])

    @property
    def sent(self) -> Sent:
        """Everything the bot has sent so far."""
        return Sent(list(self.line.deliveries))


def _chat_of(event: dict) -> str:
    where = event.get("source") or {}
    return where.get("groupId") or where.get("roomId") or where.get("userId") or ""


def _ok() -> SendResult:
    return SendResult(ok=True, status=200, request_id=f"rec-{secrets.token_hex(8)}")
