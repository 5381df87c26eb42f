"""The one wrapper of line-bot-sdk v3 messaging: every request fundbot makes to LINE passes here.

Calls answer with a SendResult instead of raising, so callers decide between "sent", "try
again later" and "give up" from one value. Pushes and multicasts carry X-Line-Retry-Key: a
request LINE already accepted answers 409 and counts as sent, so a retry never sends twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    RichMenuRequest,
)

from bot.config import LINE_API_DATA_DEFAULT, LINE_API_DEFAULT, Settings
from bot.line.messages import split_for_line

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
# A rich menu picture is up to 1 MB: more than a message's few hundred bytes.
UPLOAD_TIMEOUT = 30.0
MULTICAST_IDS = 500
_NETWORK_ERRORS = (urllib3.exceptions.HTTPError, OSError)


@dataclass(frozen=True)
class SendResult:
    """What LINE answered to one send (or what went wrong on the way)."""

    ok: bool
    status: int | None = None
    request_id: str | None = None
    error_message: str | None = None
    retryable: bool = False
    quota_exhausted: bool = False
    # LINE had accepted this retry key before: sent, by an earlier attempt.
    duplicate: bool = False
    # Seconds LINE asked us to wait before trying again (a Retry-After header).
    retry_after: float | None = None

    @property
    def invalid_reply_token(self) -> bool:
        """LINE refused the reply token: expired (about a minute) or already used."""
        return self.status == 400 and "invalid reply token" in (self.error_message or "").lower()


@dataclass(frozen=True)
class QuotaStatus:
    """This month's message quota: the limit (None when unlimited) and what is used."""

    limit: int | None
    used: int

    @property
    def remaining(self) -> int | None:
        """Messages left this month, or None when there is no limit."""
        return None if self.limit is None else max(self.limit - self.used, 0)


class LineError(Exception):
    """A read from LINE (content, quota) failed; `result` says how."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.error_message or f"LINE answered {result.status}")
        self.result = result


def derived_retry_key(retry_key: str, *part: int) -> str:
    """The retry key of one request of a split send; the first request keeps the row's own."""
    if not any(part):
        return retry_key
    return str(uuid.uuid5(uuid.UUID(retry_key), ":".join(str(p) for p in part)))


class LineClient:
    """Messaging API calls with timeouts; no retries here (the outbox retries with its keys)."""

    def __init__(
        self,
        access_token: str,
        base_url: str = LINE_API_DEFAULT,
        data_url: str = LINE_API_DATA_DEFAULT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.timeout = timeout
        self._base_url = base_url.rstrip("/")
        # A base URL may carry a path (a proxy's prefix): requests go to the pool with it.
        self._api_path = urllib3.util.parse_url(self._base_url).path or ""
        self._pool: urllib3.connectionpool.HTTPConnectionPool | None = None
        self._auth = f"Bearer {access_token}"
        self._api_client = ApiClient(_configuration(base_url, access_token))
        self._data_client = ApiClient(_configuration(data_url, access_token))
        self._api = MessagingApi(self._api_client)
        self._blob = MessagingApiBlob(self._data_client)

    @classmethod
    def from_settings(cls, settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> LineClient:
        """A client for the channel and hosts the settings name."""
        if not settings.line_channel_access_token:
            raise ValueError("LINE_CHANNEL_ACCESS_TOKEN is not set")
        return cls(
            settings.line_channel_access_token,
            settings.line_api_base_url,
            settings.line_api_data_url,
            timeout,
        )

    def reply_message(self, reply_token: str, messages: list[dict]) -> SendResult:
        """Reply with up to 5 messages; free, but the token works once, within about a minute.

        Posted as plain JSON like a push (see `_post`), without a retry key: LINE takes none
        for replies (the token itself is single-use).
        """
        return self._post(
            "/v2/bot/message/reply", {"replyToken": reply_token, "messages": messages}
        )

    def push_message(self, to: str, messages: list[dict], retry_key: str) -> SendResult:
        """Push to one user, group or room; more than 5 messages go as several requests."""
        results = []
        for index, batch in enumerate(split_for_line(messages)):
            key = derived_retry_key(retry_key, index)
            payload = {"to": to, "messages": batch, "notificationDisabled": False}
            result = self._post("/v2/bot/message/push", payload, key)
            if not result.ok:
                return result
            results.append(result)
        return _combined(results)

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> SendResult:
        """Send to many users, 500 ids a request, each request with its own derived retry key."""
        results = []
        for chunk_index, start in enumerate(range(0, len(to), MULTICAST_IDS)):
            chunk = to[start : start + MULTICAST_IDS]
            for batch_index, batch in enumerate(split_for_line(messages)):
                key = derived_retry_key(retry_key, chunk_index, batch_index)
                payload = {"to": chunk, "messages": batch, "notificationDisabled": False}
                result = self._post("/v2/bot/message/multicast", payload, key)
                if not result.ok:
                    return result
                results.append(result)
        return _combined(results)

    def _post(self, path: str, payload: dict, retry_key: str | None = None) -> SendResult:
        """POST a reply, push or multicast as JSON on the SDK's own connection pool.

        The hot path of every answer: line-bot-sdk's request models cost more than the request
        itself (cProfile: pydantic validation and serialisation of a balance card took about
        60% of handling a `ยอด`), so the text and Flex messages fundbot builds itself are
        checked here for their envelope and the rest by the SDK. The inside of fundbot's Flex
        messages is checked against LINE's OpenAPI description by the tests (the fake LINE
        server refuses any message that does not match it).
        """
        invalid = _invalid_messages(payload["messages"])
        if invalid:
            return SendResult(ok=False, error_message=f"invalid message: {invalid}")
        headers = {"Authorization": self._auth, "Content-Type": "application/json"}
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = retry_key
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            response = self._api_pool().urlopen(
                "POST",
                self._api_path + path,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(total=self.timeout),
                retries=False,
                preload_content=True,
            )
        except _NETWORK_ERRORS as exc:
            return _failure(exc)
        if 200 <= response.status < 300:
            return SendResult(
                ok=True,
                status=response.status,
                request_id=response.headers.get("x-line-request-id"),
            )
        refused = ApiException(status=response.status, reason=response.reason)
        refused.body, refused.headers = response.data, response.headers
        return _failure(refused)

    def _api_pool(self) -> urllib3.connectionpool.HTTPConnectionPool:
        """The SDK's connection pool for the API host, asked of its pool manager once.

        Every answer is a POST to the same host: going to the pool itself spares the manager's
        URL parsing and pool lookup on each (a tenth of a reply's cost). The manager hands
        out a fresh pool should it have closed this one.
        """
        pool = self._pool
        if pool is None or pool.pool is None:
            manager = self._api_client.rest_client.pool_manager
            pool = self._pool = manager.connection_from_url(self._base_url)
        return pool

    def get_profile(self, user_id: str) -> dict | None:
        """The user's profile as LINE's JSON (displayName, language...), or None if unknown."""
        try:
            profile = self._api.get_profile(user_id, _request_timeout=self.timeout)
        except (ApiException, *_NETWORK_ERRORS) as exc:
            log.warning("LINE profile of %s: %s", user_id, _failure(exc).error_message)
            return None
        return profile.to_dict()

    def get_group_member_count(self, group_id: str) -> int | None:
        """How many people are in a group (the bot not counted), or None if LINE won't say."""
        try:
            answer = self._api.get_group_member_count(group_id, _request_timeout=self.timeout)
        except (ApiException, *_NETWORK_ERRORS) as exc:
            log.warning("LINE member count of %s: %s", group_id, _failure(exc).error_message)
            return None
        return answer.count

    def get_message_content(self, message_id: str) -> bytes:
        """The bytes of an image (or other file) a user sent; raises LineError."""
        try:
            return bytes(self._blob.get_message_content(message_id, _request_timeout=self.timeout))
        except (ApiException, *_NETWORK_ERRORS) as exc:
            raise LineError(_failure(exc)) from exc

    def get_message_quota(self) -> QuotaStatus:
        """This month's limit and consumption; raises LineError."""
        try:
            quota = self._api.get_message_quota(_request_timeout=self.timeout)
            usage = self._api.get_message_quota_consumption(_request_timeout=self.timeout)
        except (ApiException, *_NETWORK_ERRORS) as exc:
            raise LineError(_failure(exc)) from exc
        limited = str(getattr(quota.type, "value", quota.type)) == "limited"
        return QuotaStatus(limit=quota.value if limited else None, used=usage.total_usage)

    # -- rich menus (bot/line/rich_menu.py); each raises LineError -------------------------

    def create_rich_menu(self, body: dict) -> str:
        """Create a rich menu from LINE's RichMenuRequest JSON; its id."""
        request = RichMenuRequest.from_dict(body)
        answer = self._read(lambda t: self._api.create_rich_menu(request, _request_timeout=t))
        return answer.rich_menu_id

    def set_rich_menu_image(self, rich_menu_id: str, png: bytes) -> None:
        """Upload the menu's picture, on the data host (api-data.line.me), as raw PNG bytes."""
        self._read(
            lambda t: self._blob.set_rich_menu_image(
                rich_menu_id, png, _headers={"Content-Type": "image/png"}, _request_timeout=t
            ),
            timeout=max(self.timeout, UPLOAD_TIMEOUT),
        )

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        """Show this menu to every user who has no menu of their own."""
        self._read(lambda t: self._api.set_default_rich_menu(rich_menu_id, _request_timeout=t))

    def get_default_rich_menu_id(self) -> str | None:
        """The default menu's id, or None when there is none (LINE answers 404)."""
        try:
            return self._read(
                lambda t: self._api.get_default_rich_menu_id(_request_timeout=t)
            ).rich_menu_id
        except LineError as exc:
            if exc.result.status == 404:
                return None
            raise

    def rich_menus(self) -> list[dict]:
        """Every rich menu of the channel, as LINE's JSON (richMenuId, name, size, areas...)."""
        answer = self._read(lambda t: self._api.get_rich_menu_list(_request_timeout=t))
        return [menu.to_dict() for menu in answer.richmenus]

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        """Delete a rich menu (LINE forgets it as the default too)."""
        self._read(lambda t: self._api.delete_rich_menu(rich_menu_id, _request_timeout=t))

    def _read(self, call: Callable[[float], Any], timeout: float | None = None) -> Any:
        try:
            return call(timeout or self.timeout)
        except (ApiException, *_NETWORK_ERRORS) as exc:
            raise LineError(_failure(exc)) from exc

    def close(self) -> None:
        """Close pooled connections."""
        for client in (self._api_client, self._data_client):
            client.rest_client.pool_manager.clear()
            client.close()


def _invalid_messages(messages: list[dict]) -> str | None:
    """Why LINE would refuse these messages, or None; fundbot's own kinds cheaply, others by
    the SDK."""
    for message in messages:
        if _plainly_valid(message):
            continue
        try:
            PushMessageRequest.from_dict({"to": "U", "messages": [message]})
        except ValueError as exc:
            return str(exc)
    return None


# The envelopes of the messages fundbot builds (bot/line/messages.py): what each may hold.
_TEXT_KEYS = frozenset({"type", "text", "quickReply"})
_FLEX_KEYS = frozenset({"type", "altText", "contents", "quickReply"})
_FLEX_CONTAINERS = ("bubble", "carousel")
_ACTION_TYPES = ("message", "postback", "uri")


def _plainly_valid(message: object) -> bool:
    """A text or Flex message in the shape fundbot builds, within LINE's limits."""
    if not isinstance(message, dict):
        return False
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        envelope = message.keys() <= _TEXT_KEYS and isinstance(text, str) and 0 < len(text) <= 5000
    elif kind == "flex":
        alt, contents = message.get("altText"), message.get("contents")
        envelope = (
            message.keys() <= _FLEX_KEYS
            and isinstance(alt, str)
            and 0 < len(alt) <= 1500
            and isinstance(contents, dict)
            and contents.get("type") in _FLEX_CONTAINERS
        )
    else:
        return False
    return envelope and _plain_quick_reply(message.get("quickReply"))


def _plain_quick_reply(quick_reply: object) -> bool:
    if quick_reply is None:
        return True
    if not isinstance(quick_reply, dict) or quick_reply.keys() != {"items"}:
        return False
    items = quick_reply["items"]
    return (
        isinstance(items, list)
        and 0 < len(items) <= 13
        and all(
            isinstance(item, dict)
            and item.get("type") == "action"
            and isinstance(item.get("action"), dict)
            and item["action"].get("type") in _ACTION_TYPES
            for item in items
        )
    )


def _configuration(host: str, access_token: str) -> Configuration:
    configuration = Configuration(host=host, access_token=access_token)
    # urllib3 would quietly retry a refused connection; the outbox decides about retries.
    configuration.retries = 0
    return configuration


def _failure(exc: BaseException) -> SendResult:
    """Sort a failed call into sent-before, retry later, monthly quota or give up."""
    if not isinstance(exc, ApiException) or not exc.status:
        return SendResult(ok=False, error_message=_describe(exc), retryable=True)
    status = exc.status
    headers = exc.headers or {}
    message = _error_message(exc.body) or exc.reason or f"HTTP {status}"
    if status == 409 and "retry key is already accepted" in message.lower():
        return SendResult(
            ok=True,
            status=status,
            request_id=headers.get("x-line-accepted-request-id"),
            duplicate=True,
        )
    quota = status == 429 and "monthly limit" in message.lower()
    return SendResult(
        ok=False,
        status=status,
        request_id=headers.get("x-line-request-id"),
        error_message=message,
        retryable=(status == 429 and not quota) or status >= 500,
        quota_exhausted=quota,
        retry_after=_retry_after(headers),
    )


def _retry_after(headers) -> float | None:
    """Retry-After in seconds (LINE sends whole seconds), or None."""
    value = str(headers.get("retry-after") or headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def _error_message(body: Any) -> str | None:
    """LINE's error JSON as one line: the message, then each detail."""
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return str(body)[:500]
    if not isinstance(data, dict) or not data.get("message"):
        return None
    details = [
        f"{d.get('property')}: {d.get('message')}" if d.get("property") else str(d.get("message"))
        for d in data.get("details") or []
        if isinstance(d, dict)
    ]
    return data["message"] + (f" ({'; '.join(details)})" if details else "")


def _describe(exc: BaseException) -> str:
    # urllib3 wraps the cause (a timeout, a refused connection) in MaxRetryError.
    cause = getattr(exc, "reason", None)
    if not isinstance(cause, BaseException):
        cause = exc
    return " ".join(f"{type(cause).__name__}: {cause}".split())[:500]


def _combined(results: list[SendResult]) -> SendResult:
    """Several accepted requests as one result (the first request id names them)."""
    if not results:
        return SendResult(ok=False, error_message="nothing to send")
    return SendResult(
        ok=True,
        status=results[0].status,
        request_id=results[0].request_id,
        duplicate=all(r.duplicate for r in results),
    )
