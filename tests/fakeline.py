"""A fake LINE Messaging API on loopback: answers the endpoints fundbot uses and records them.

It checks requests the way LINE does where it matters to us (the bearer token, 1 to 5 messages,
5,000 characters a text, 13 quick replies, 500 multicast ids, single-use reply tokens, retry
keys answered 409 when repeated, the monthly quota) and can be told to fail, drop or delay.
Rich menus too: created (the body checked against LINE's OpenAPI schema and its prose
limits), their picture uploaded on the data host, set as the default, listed, deleted.

    with FakeLine() as fake:
        settings = Settings.from_env({..., "LINE_API_BASE_URL": fake.url})
        ...
        assert fake.texts_to("U1") == ["..."]
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
MONTHLY_LIMIT = "You have reached your monthly limit."
INVALID_REPLY_TOKEN = "Invalid reply token"
SEND_PATHS = ("/v2/bot/message/reply", "/v2/bot/message/push", "/v2/bot/message/multicast")
MESSAGE_TYPES = {
    "text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template",
    "flex", "coupon",
}  # fmt: skip
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


@dataclass
class Recorded:
    """One request as the fake saw it, and how it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0  # 0: the connection was dropped without an answer
    accepted: bool = False  # LINE would have delivered it
    request_id: str = ""
    host: str = "both"  # which of LINE's hosts answered: "api", "data" or "both"


@dataclass
class _Script:
    path_suffix: str
    times: int
    status: int | None = None  # None: drop the connection
    body: Any = None
    after_accept: bool = False
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _State:
    retry_keys: dict[str, str] = field(default_factory=dict)  # key -> accepted request id
    used_tokens: set[str] = field(default_factory=set)
    token_chats: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict] = field(default_factory=dict)
    group_members: dict[str, int] = field(default_factory=dict)
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    quota_limit: int | None = None
    quota_used: int = 0
    scripts: list[_Script] = field(default_factory=list)
    rich_menus: dict[str, dict] = field(default_factory=dict)  # id -> the created body
    rich_menu_images: dict[str, bytes] = field(default_factory=dict)
    default_rich_menu: str | None = None


class FakeLine:
    """The fake server: start it (or use it as a context manager) and point the client at .url."""

    def __init__(self, access_token: str = "test-token", *, host: str = "both") -> None:
        self.access_token = access_token
        self.host = host
        self.requests: list[Recorded] = []
        self.latency = 0.0  # seconds every send waits before answering (for concurrency tests)
        self._state = _State()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeLine:
        """Listen on a free loopback port in a background thread."""
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def data_host(self) -> FakeLine:
        """A second server, started, playing api-data.line.me beside this one (api.line.me).

        They share one LINE: what is created on one is seen on the other, and both record into
        `requests`. LINE serves picture uploads only on the data host and the rest only on the
        API host, so a client that mixes up its hosts is answered 404 here too.
        """
        data = FakeLine(self.access_token, host="data")
        data.requests, data._state, data._lock = self.requests, self._state, self._lock
        self.host = "api"
        return data.start()

    def __enter__(self) -> FakeLine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, for LINE_API_BASE_URL and LINE_API_DATA_URL."""
        assert self._server, "FakeLine is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting -------------------------------------------------------------------------

    def fail_next(
        self,
        path_suffix: str,
        status: int,
        body: Any = None,
        times: int = 1,
        *,
        after_accept: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests whose path ends so with `status` and `body`.

        With after_accept the request is delivered (and its retry key remembered) first, as when
        LINE accepted a message but the answer was lost in a 5xx.
        """
        body = {"message": f"fake failure {status}"} if body is None else body
        self._script(_Script(path_suffix, times, status, body, after_accept, headers=headers or {}))

    def drop_next(self, path_suffix: str, times: int = 1, *, after_accept: bool = True) -> None:
        """Close the connection without an answer (by default after delivering the message)."""
        self._script(_Script(path_suffix, times, None, None, after_accept))

    def delay_next(self, path_suffix: str, seconds: float, times: int = 1) -> None:
        """Deliver, then answer only after `seconds` (longer than the client's timeout)."""
        self._script(_Script(path_suffix, times, 200, None, True, seconds))

    def set_quota(self, limit: int | None, used: int = 0) -> None:
        """This month's limit (None: unlimited) and consumption; sends over it answer 429."""
        with self._lock:
            self._state.quota_limit = limit
            self._state.quota_used = used

    def set_group_members(self, group_id: str, count: int) -> None:
        """How many members LINE reports for a group (pushes to it cost that many)."""
        with self._lock:
            self._state.group_members[group_id] = count

    def add_profile(self, user_id: str, display_name: str, language: str | None = None) -> None:
        """A user whose profile LINE knows."""
        profile = {"userId": user_id, "displayName": display_name}
        if language:
            profile["language"] = language
        with self._lock:
            self._state.profiles[user_id] = profile

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """The bytes LINE serves for a message a user sent (an image)."""
        with self._lock:
            self._state.contents[message_id] = (data, content_type)

    def issue_reply_token(self, chat_id: str) -> str:
        """A fresh reply token; replies made with it count as sent to `chat_id`."""
        token = uuid.uuid4().hex
        with self._lock:
            self._state.token_chats[token] = chat_id
        return token

    def expire_reply_token(self, token: str) -> None:
        """Make a token invalid, as LINE does about a minute after the event."""
        with self._lock:
            self._state.used_tokens.add(token)

    # -- reading what happened -------------------------------------------------------------

    def accepted(self, path_suffix: str) -> list[Recorded]:
        """Delivered requests whose path ends with `path_suffix`, in order."""
        with self._lock:
            return [r for r in self.requests if r.accepted and r.path.endswith(path_suffix)]

    def pushes(self) -> list[dict]:
        """Bodies of the pushes LINE would have delivered."""
        return [r.body for r in self.accepted("/message/push")]

    def multicasts(self) -> list[dict]:
        """Bodies of the delivered multicasts."""
        return [r.body for r in self.accepted("/message/multicast")]

    def replies(self) -> list[dict]:
        """Bodies of the delivered replies."""
        return [r.body for r in self.accepted("/message/reply")]

    def messages_to(self, chat_id: str) -> list[dict]:
        """Every message delivered to a user or group: replies (by issued token), pushes and
        multicasts, in the order the fake accepted them."""
        with self._lock:
            delivered = [r for r in self.requests if r.accepted and r.path in SEND_PATHS]
        found = []
        for request in delivered:
            body = request.body or {}
            if request.path.endswith("/reply"):
                hit = self._state.token_chats.get(body.get("replyToken")) == chat_id
            elif request.path.endswith("/multicast"):
                hit = chat_id in body.get("to", [])
            else:
                hit = body.get("to") == chat_id
            if hit:
                found.extend(body.get("messages", []))
        return found

    @property
    def rich_menus(self) -> dict[str, dict]:
        """The rich menus LINE holds now, by id (the bodies they were created with)."""
        with self._lock:
            return dict(self._state.rich_menus)

    @property
    def rich_menu_images(self) -> dict[str, bytes]:
        """The uploaded pictures, by rich menu id."""
        with self._lock:
            return dict(self._state.rich_menu_images)

    @property
    def default_rich_menu(self) -> str | None:
        """The id of the default rich menu, or None."""
        with self._lock:
            return self._state.default_rich_menu

    def texts_to(self, chat_id: str) -> list[str]:
        """The texts delivered to a user or group (template messages give their altText)."""
        return [m.get("text") or m.get("altText", "") for m in self.messages_to(chat_id)]

    # -- answering -------------------------------------------------------------------------

    def _script(self, script: _Script) -> None:
        with self._lock:
            self._state.scripts.append(script)

    def _take_script(self, path: str, after_accept: bool) -> _Script | None:
        with self._lock:
            for script in self._state.scripts:
                if path.endswith(script.path_suffix) and script.after_accept == after_accept:
                    script.times -= 1
                    if script.times <= 0:
                        self._state.scripts.remove(script)
                    return script
        return None

    def _answer(self, recorded: Recorded) -> tuple[int | None, Any, dict[str, str], float]:
        """Status (None: drop), JSON or bytes body, extra headers and a delay for a request."""
        if recorded.headers.get("authorization") != f"Bearer {self.access_token}":
            return 401, {"message": AUTH_FAILED}, {}, 0.0
        script = self._take_script(recorded.path, after_accept=False)
        if script:
            return script.status, script.body, script.headers, 0.0
        if "/richmenu" in recorded.path:
            return (*self._rich_menu(recorded), {}, 0.0)
        if recorded.method == "GET":
            return (*self._get(recorded.path), {}, 0.0)
        if recorded.path not in SEND_PATHS:
            return 404, {"message": "Not found"}, {}, 0.0
        refusal = self._refusal(recorded)
        if refusal:
            return refusal
        self._accept(recorded)
        script = self._take_script(recorded.path, after_accept=True)
        if script and script.delay:
            return 200, _sent(recorded.body), {}, script.delay
        if script:
            return script.status, script.body, {}, 0.0
        return 200, _sent(recorded.body), {}, self.latency

    def _refusal(self, recorded: Recorded) -> tuple[int, Any, dict[str, str], float] | None:
        body = recorded.body
        problem = _invalid(recorded.path, body)
        key = recorded.headers.get("x-line-retry-key")
        is_reply = recorded.path.endswith("/reply")
        if key is not None and (is_reply or not UUID_RE.match(key)):
            problem = "The value for the 'X-Line-Retry-Key' header is invalid"
        if problem:
            return 400, {"message": problem}, {}, 0.0
        with self._lock:
            if key in self._state.retry_keys:
                accepted_id = self._state.retry_keys[key]
                headers = {"x-line-accepted-request-id": accepted_id}
                return 409, {"message": RETRY_KEY_ACCEPTED}, headers, 0.0
            if is_reply and body["replyToken"] in self._state.used_tokens:
                return 400, {"message": INVALID_REPLY_TOKEN}, {}, 0.0
            limit = self._state.quota_limit
            if not is_reply and limit is not None:
                if self._state.quota_used + self._cost(recorded) > limit:
                    return 429, {"message": MONTHLY_LIMIT}, {}, 0.0
        return None

    def _accept(self, recorded: Recorded) -> None:
        with self._lock:
            recorded.accepted = True
            key = recorded.headers.get("x-line-retry-key")
            if key:
                self._state.retry_keys[key] = recorded.request_id
            if recorded.path.endswith("/reply"):
                self._state.used_tokens.add(recorded.body["replyToken"])
            else:
                self._state.quota_used += self._cost(recorded)

    def _cost(self, recorded: Recorded) -> int:
        to = recorded.body["to"]
        if isinstance(to, list):
            return len(to)
        return self._state.group_members.get(to, 1)

    def _get(self, path: str) -> tuple[int, Any]:
        with self._lock:
            state = self._state
            if path == "/v2/bot/message/quota":
                if state.quota_limit is None:
                    return 200, {"type": "none"}
                return 200, {"type": "limited", "value": state.quota_limit}
            if path == "/v2/bot/message/quota/consumption":
                return 200, {"totalUsage": state.quota_used}
            if match := re.fullmatch(r"/v2/bot/profile/([^/]+)", path):
                profile = state.profiles.get(match[1])
                return (200, profile) if profile else (404, {"message": "Not found"})
            if match := re.fullmatch(r"/v2/bot/group/([^/]+)/members/count", path):
                count = state.group_members.get(match[1])
                return (
                    (200, {"count": count})
                    if count is not None
                    else (404, {"message": "Not found"})
                )
            if match := re.fullmatch(r"/v2/bot/message/([^/]+)/content", path):
                content = state.contents.get(match[1])
                return (200, content) if content else (404, {"message": "Not found"})
        return 404, {"message": "Not found"}

    def _rich_menu(self, recorded: Recorded) -> tuple[int, Any]:
        """The rich menu endpoints, as LINE answers them."""
        method, path, body = recorded.method, recorded.path, recorded.body
        content = re.fullmatch(r"/v2/bot/richmenu/([^/]+)/content", path)
        if (self.host == "api" and content) or (self.host == "data" and not content):
            return 404, {"message": "Not found"}
        with self._lock:
            state = self._state
            if content and method == "POST":
                return _upload_rich_menu_image(state, content[1], recorded)
            if content and method == "GET":
                image = state.rich_menu_images.get(content[1])
                return (200, (image, "image/png")) if image else (404, {"message": "Not found"})
            if path == "/v2/bot/richmenu" and method == "POST":
                problem = _invalid_rich_menu(body)
                if problem:
                    details = [{"message": problem, "property": "richmenu"}]
                    return 400, {"message": "The request body has 1 error(s)", "details": details}
                rich_menu_id = f"richmenu-{uuid.uuid4().hex}"
                state.rich_menus[rich_menu_id] = body
                recorded.accepted = True
                return 200, {"richMenuId": rich_menu_id}
            if path == "/v2/bot/richmenu/list" and method == "GET":
                menus = [{"richMenuId": k, **v} for k, v in state.rich_menus.items()]
                return 200, {"richmenus": menus}
            if path == "/v2/bot/user/all/richmenu" and method == "GET":
                if state.default_rich_menu is None:
                    return 404, {"message": "no default richmenu"}
                return 200, {"richMenuId": state.default_rich_menu}
            if path == "/v2/bot/user/all/richmenu" and method == "DELETE":
                state.default_rich_menu = None
                return 200, {}
            if match := re.fullmatch(r"/v2/bot/user/all/richmenu/([^/]+)", path):
                if match[1] not in state.rich_menus:
                    return 404, {"message": "richmenu not found"}
                if match[1] not in state.rich_menu_images:
                    return 400, {"message": "must upload richmenu image before applying it to user"}
                state.default_rich_menu = match[1]
                recorded.accepted = True
                return 200, {}
            if (match := re.fullmatch(r"/v2/bot/richmenu/([^/]+)", path)) and method == "DELETE":
                if state.rich_menus.pop(match[1], None) is None:
                    return 404, {"message": "richmenu not found"}
                state.rich_menu_images.pop(match[1], None)
                if state.default_rich_menu == match[1]:
                    state.default_rich_menu = None
                recorded.accepted = True
                return 200, {}
        return 404, {"message": "Not found"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is part of the tests, not an error.
        pass


def _handler_for(fake: FakeLine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Buffered, so headers and body leave in one packet (no delayed-ACK stalls).
        wbufsize = 64 * 1024

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self._serve()

        def do_POST(self) -> None:  # noqa: N802
            self._serve()

        def do_DELETE(self) -> None:  # noqa: N802
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            recorded = Recorded(
                method=self.command,
                path=self.path.split("?")[0],
                headers={k.lower(): v for k, v in self.headers.items()},
                body=None,
                request_id=uuid.uuid4().hex,
                host=fake.host,
            )
            with fake._lock:
                fake.requests.append(recorded)
            try:
                binary = recorded.headers.get("content-type", "").startswith("image/")
                recorded.body = raw if binary else json.loads(raw) if raw else None
            except ValueError:
                self._write(recorded, 400, {"message": "The request body has 1 error(s)"}, {})
                return
            status, body, headers, delay = fake._answer(recorded)
            if delay:
                time.sleep(delay)
            if status is None:
                self.close_connection = True
                return
            self._write(recorded, status, body, headers)

        def _write(self, recorded: Recorded, status: int, body: Any, headers: dict) -> None:
            recorded.status = status
            if isinstance(body, tuple):
                data, content_type = body
            else:
                data, content_type = json.dumps(body).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-line-request-id", recorded.request_id)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _sent(body: dict) -> dict:
    if "to" in body and isinstance(body["to"], list):
        return {}
    return {"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in body["messages"]]}


def _invalid(path: str, body: Any) -> str | None:
    """What LINE would refuse in a send request, or None."""
    if not isinstance(body, dict):
        return "The request body has 1 error(s)"
    if path.endswith("/reply") and not body.get("replyToken"):
        return "Must be specified: replyToken"
    if path.endswith("/push") and not (isinstance(body.get("to"), str) and body["to"]):
        return "Must be specified: to"
    if path.endswith("/multicast"):
        to = body.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= 500:
            return "Size must be between 1 and 500: to"
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "Size must be between 1 and 5: messages"
    for index, message in enumerate(messages):
        problem = _invalid_message(message)
        if problem:
            return f"{problem}: messages[{index}]"
    return None


def _invalid_message(message: Any) -> str | None:
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        return "Invalid message type"
    if message["type"] == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text:
            return "Must be specified: text"
        if _units(text) > 5000:
            return "Length must be between 0 and 5000: text"
    items = (message.get("quickReply") or {}).get("items", [])
    if len(items) > 13:
        return "Size must be between 0 and 13: quickReply.items"
    for item in items:
        if _invalid_action(item.get("action")):
            return _invalid_action(item.get("action"))
    if message["type"] == "template":
        return _invalid_template(message)
    return None


def _invalid_template(message: dict) -> str | None:
    if not message.get("altText") or _units(message["altText"]) > 1500:
        return "Length must be between 1 and 1500: altText"
    template = message.get("template") or {}
    if template.get("type") != "buttons":
        return None
    actions = template.get("actions") or []
    if not 1 <= len(actions) <= 4:
        return "Size must be between 1 and 4: template.actions"
    limit = 60 if template.get("title") else 160
    if not template.get("text") or _units(template["text"]) > limit:
        return f"Length must be between 1 and {limit}: template.text"
    if template.get("title") and _units(template["title"]) > 40:
        return "Length must be between 0 and 40: template.title"
    for action in actions:
        if _invalid_action(action):
            return _invalid_action(action)
    return None


def _invalid_action(action: Any) -> str | None:
    if not isinstance(action, dict) or not action.get("type"):
        return "Must be specified: action.type"
    if action["type"] == "message":
        if not action.get("label") or _units(action["label"]) > 20:
            return "Length must be between 1 and 20: action.label"
        if not action.get("text") or _units(action["text"]) > 300:
            return "Length must be between 1 and 300: action.text"
    return None


def _units(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


# LINE's rules for a rich menu that its OpenAPI file states only in prose.
RICH_MENU_FIELDS = ("size", "selected", "name", "chatBarText", "areas")
RICH_MENU_IMAGE_BYTES = 1024 * 1024


def _invalid_rich_menu(body: Any) -> str | None:
    from tests.line_schema import problems

    if not isinstance(body, dict):
        return "must be an object"
    found = problems(body, "RichMenuRequest")
    if found:
        return found[0]
    missing = [name for name in RICH_MENU_FIELDS if name not in body]
    if missing:
        return f"must be specified: {missing[0]}"
    width, height = body["size"].get("width", 0), body["size"].get("height", 0)
    if not (800 <= width <= 2500 and height >= 250 and width / height >= 1.45):
        return "size: 800 to 2500 wide, at least 250 high, width/height at least 1.45"
    if not 1 <= len(body["areas"]) <= 20:
        return "areas: between 1 and 20"
    for index, area in enumerate(body["areas"]):
        bounds = area.get("bounds") or {}
        x, y = bounds.get("x", -1), bounds.get("y", -1)
        if x < 0 or y < 0 or x + bounds.get("width", 0) > width:
            return f"areas[{index}].bounds: outside the menu"
        if y + bounds.get("height", 0) > height:
            return f"areas[{index}].bounds: outside the menu"
        problem = _invalid_action(area.get("action"))
        if problem:
            return f"areas[{index}]: {problem}"
    return None


def _upload_rich_menu_image(state: _State, rich_menu_id: str, recorded: Recorded) -> tuple:
    menu = state.rich_menus.get(rich_menu_id)
    if menu is None:
        return 404, {"message": "Not found"}
    if rich_menu_id in state.rich_menu_images:
        return 400, {"message": "An image has already been uploaded to the richmenu"}
    data, kind = recorded.body, recorded.headers.get("content-type", "")
    if not isinstance(data, bytes) or kind not in ("image/png", "image/jpeg"):
        return 415, {"message": "Unsupported Media Type"}
    if len(data) > RICH_MENU_IMAGE_BYTES:
        return 413, {"message": "Request Entity Too Large"}
    if kind == "image/png" and data[:8] == b"\x89PNG\r\n\x1a\n":
        size = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if size != (menu["size"]["width"], menu["size"]["height"]):
            return 400, {"message": "Image size is not matched with the richmenu size"}
    elif not data.startswith(b"\xff\xd8\xff") or kind != "image/jpeg":
        return 400, {"message": "The image is not a PNG or JPEG"}
    state.rich_menu_images[rich_menu_id] = data
    recorded.accepted = True
    return 200, {}
