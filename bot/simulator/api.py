"""The simulator's JSON endpoints under /simulator/api: pick, act, read the chat."""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app, jsonify, request, send_file
from werkzeug.exceptions import BadRequest, NotFound

from bot.errors import UserError, explain
from bot.i18n import _
from bot.inbound import ingest, process
from bot.line import events as make
from bot.line.transport import simulator_content_path
from bot.simulator import bp, directory, localized
from bot.simulator.events import BORROWER, STAFF, new_group_id
from bot.simulator.transcript import conversation, record_user_turn
from models.audit import Actor
from models.base import utcnow
from models.borrower import Borrower
from models.errors import DomainError
from models.linking import issue_borrower_code, issue_staff_code
from models.types import Source

ACTOR = Actor("simulator", Source.WEB)
USER_ID = re.compile(r"^U[0-9a-f]{32}$")
CHAT_ID = re.compile(r"^[UCR][0-9a-f]{32}$")
TEXT_LIMIT = 5000
PAGE = 30
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}


@bp.errorhandler(UserError)
def _user_error(exc: UserError):
    return jsonify(error=str(exc)), 400


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    return jsonify(error=explain(exc)), 400


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return jsonify(error=_("That request was not understood.")), 400


@bp.get("/api/people")
@localized
def people():
    """A page of debtors or officers matching ?q=."""
    kind = request.args.get("kind", "debtor")
    query = request.args.get("q", "").strip()[:100]
    offset = max(0, request.args.get("offset", 0, type=int))
    limit = max(1, request.args.get("limit", PAGE, type=int))
    runtime = current_app.extensions["fundbot"]
    finder = directory.officers if kind == "officer" else directory.debtors
    with runtime.db.session() as session:
        found, total = finder(session, [runtime.settings.province], query, offset, limit)
        rows = [p.as_json() for p in found]
    following = offset + len(rows)
    return jsonify(
        items=rows,
        total=total,
        next_offset=following if following < total else None,
        summary=_("%(shown)d of %(total)d", shown=following, total=total),
    )


@bp.get("/api/groups")
@localized
def groups():
    """Registered groups and the groups the simulator has chatted in."""
    runtime = current_app.extensions["fundbot"]
    with runtime.db.session() as session:
        rows = directory.groups(session, request.args.get("q", "").strip()[:100])
    return jsonify(items=rows, total=len(rows), next_offset=None, summary="")


@bp.post("/api/groups")
@localized
def new_group():
    """A fresh group id; it exists once the bot is added to it."""
    return jsonify(directory.group_row(new_group_id(), None))


@bp.post("/api/send")
@localized
def send():
    """Do what a LINE user does (text, postback, follow...) and let the bot answer."""
    body = request.get_json(silent=True) or {}
    action = body.get("action")
    user_id, group_id = _where(body, needs_user=action not in ("join", "leave"))
    if action == "text":
        text = str(body.get("text") or "").strip()
        if not text or len(text) > TEXT_LIMIT:
            raise UserError(_("Type a message of 1 to 5,000 characters."))
        event = make.text_event(user_id, text, group_id)
    elif action == "postback":
        event = make.postback_event(
            user_id,
            str(body.get("data") or ""),
            group_id,
            params=body.get("params") or None,
            display_text=str(body.get("display_text") or "")[:300] or None,
        )
    elif action in ("follow", "unfollow") and group_id is None:
        event = make.follow_event(user_id) if action == "follow" else make.unfollow_event(user_id)
    elif action in ("join", "leave") and group_id is not None:
        event = make.join_event(group_id) if action == "join" else make.leave_event(group_id)
    elif action == "memberJoined" and group_id is not None:
        event = make.member_joined_event(group_id, [user_id])
    else:
        raise UserError(_("The simulator cannot do that here."))
    deliver(event)
    return jsonify(ok=True, webhookEventId=event["webhookEventId"])


@bp.post("/api/image")
@localized
def image():
    """The user sends a photo (a transfer slip): stored where the bot fetches content from."""
    user_id, group_id = _where(request.form, needs_user=True)
    upload = request.files.get("image")
    data = upload.read() if upload else b""
    content_type = next((t for magic, t in IMAGE_TYPES.items() if data.startswith(magic)), None)
    if content_type is None:
        raise UserError(_("Choose a photo (JPEG, PNG or GIF)."))
    event = make.image_event(user_id, group_id=group_id)
    message_id = event["message"]["id"]
    path = simulator_content_path(_instance_path(), message_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    deliver(event, content_url=f"{bp.url_prefix}/api/content/{message_id}")
    return jsonify(ok=True, webhookEventId=event["webhookEventId"])


@bp.get("/api/content/<message_id>")
def content(message_id: str):
    """An image a simulated user sent."""
    try:
        path = simulator_content_path(_instance_path(), message_id)
    except ValueError:
        raise NotFound() from None
    if not path.is_file():
        raise NotFound()
    head = path.read_bytes()[:4]
    mimetype = next((t for magic, t in IMAGE_TYPES.items() if head.startswith(magic)), None)
    return send_file(path, mimetype=mimetype or "application/octet-stream", max_age=3600)


@bp.post("/api/link")
@localized
def link():
    """Issue a one-time code for a debtor or officer and send it as that user's message."""
    body = request.get_json(silent=True) or {}
    kind = body.get("kind")
    record_id = body.get("id")
    if kind not in (BORROWER, STAFF) or not isinstance(record_id, int):
        raise UserError(_("Pick a debtor or an officer first."))
    runtime = current_app.extensions["fundbot"]
    with runtime.db.session() as session:
        found = directory.person(session, kind, record_id)
        if found is None:
            raise UserError(_("That person is not in the database any more."))
        _row, record = found
        issue = issue_borrower_code if isinstance(record, Borrower) else issue_staff_code
        code = issue(session, ACTOR, record, now=utcnow(), secret_key=runtime.settings.secret_key)
        user_id = directory.user_id_of(record)
    deliver(make.text_event(user_id, code))
    with runtime.db.session() as session:
        row, _record = directory.person(session, kind, record_id)
    return jsonify(row.as_json())


@bp.get("/api/chats/<chat_id>")
@localized
def chat(chat_id: str):
    """The conversation of one chat, for the page to poll."""
    if not CHAT_ID.match(chat_id):
        raise NotFound()
    runtime = current_app.extensions["fundbot"]
    with runtime.db.session() as session:
        return jsonify(conversation(session, chat_id, runtime.settings.timezone))


def deliver(event: dict, content_url: str | None = None) -> None:
    """Hand an event to the webhook pipeline (minus the signature) and send what it queues."""
    runtime = current_app.extensions["fundbot"]
    messenger = current_app.extensions["fundbot.messenger"]
    with runtime.db.session() as session:
        record_user_turn(session, event, content_url)
    # Unlike /callback nobody waits on a 2-second deadline: handle it before answering, so
    # the page shows the bot's answer at once.
    process(runtime, messenger, ingest(runtime.db, [event], received_at=utcnow()))
    messenger.flush(runtime.db)


def _where(values, *, needs_user: bool) -> tuple[str | None, str | None]:
    """(user id, group id) of a request; group id None for a 1:1 chat."""
    user_id = values.get("user_id") or None
    chat_type = values.get("chat_type")
    chat_id = values.get("chat_id") or ""
    if user_id is not None and not USER_ID.match(str(user_id)):
        raise UserError(_("That is not a LINE user id."))
    if needs_user and user_id is None:
        raise UserError(_("Pick a debtor or an officer to speak as first."))
    if chat_type == "group":
        if not CHAT_ID.match(chat_id) or chat_id[0] not in "CR":
            raise UserError(_("That is not a LINE group id."))
        return user_id, chat_id
    if user_id is None:
        raise UserError(_("Pick a debtor or an officer to speak as first."))
    return user_id, None


def _instance_path():
    return current_app.extensions["fundbot"].settings.instance_path


@bp.post("/api/remind")
@localized
def remind_as_of():
    """Plan and send the reminders as if it were `at` (what `fundbot remind --at` does)."""
    from models.reminder_policy import load_policy
    from scheduler.reminder_texts import run_summary
    from scheduler.reminders import remind

    runtime = current_app.extensions["fundbot"]
    messenger = current_app.extensions["fundbot.messenger"]
    if not messenger.simulated:
        raise NotFound()
    body = request.get_json(silent=True) or {}
    moment = _moment(str(body.get("at") or ""), runtime.settings.timezone)
    book = load_policy(runtime.settings.instance_path)
    report = remind(runtime.db, messenger.transport, book, now=moment)
    plan = report.plan
    summary = run_summary(report)
    return jsonify(ok=True, sent=report.sent, debtors=len(plan.debtors), summary=summary)


def _moment(value: str, zone) -> datetime:
    """A local moment like 2026-03-16T09:00 (the page's date-time field) in the offices' zone."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(_("Choose a date and a time.")) from None
    if moment.tzinfo is not None:
        raise UserError(_("Choose a date and a time."))
    return moment.replace(tzinfo=zone)
