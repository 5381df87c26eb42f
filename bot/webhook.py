"""`POST /callback`: verify LINE's signature, store the events, answer 200; handle them later.

Only the signature check and one short insert happen before the answer. Handling (database
work, replies, profile calls, image downloads) runs on the handler pool (bot/handler_pool.py),
fed from the stored events, so the answer never waits behind it: LINE counts an answer slower
than 2 seconds as a failure. An app without a pool (tests, one-off tools) handles the events
itself after the response is sent (`call_on_close`).

Any correctly signed body that is JSON gets 200, whatever its events hold: each event is
checked on its own and a bad one is stored as rejected (LINE would otherwise resend the body
forever). A body that is not JSON, or is badly signed, gets 400.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, request
from linebot.v3.webhook import SignatureValidator

from bot.inbound import ingest, process, reject_body
from bot.runtime import Runtime
from models.base import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)

POOL = "fundbot.handlers"


@bp.post("/callback")
def callback() -> Response:
    """LINE's webhook."""
    runtime: Runtime = current_app.extensions["fundbot"]
    secret = runtime.settings.line_channel_secret
    if not secret:
        return _plain(
            "LINE_CHANNEL_SECRET is not set: this server runs the chat simulator and "
            "cannot check LINE's signatures.",
            503,
        )
    body = request.get_data(cache=False)
    if not _signature_ok(secret, body, request.headers.get("X-Line-Signature")):
        log.warning("webhook request with a bad or missing signature refused")
        return _plain("Bad signature", 400)
    try:
        payload = json.loads(body)
    except RecursionError:
        # JSON, but nested deeper than any reader here goes: not LINE's; keep it and say OK.
        reject_body(runtime.db, body, "nested too deeply to read", received_at=utcnow())
        return _plain("OK", 200)
    except ValueError:
        return _plain("Bad request body", 400)
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        reject_body(runtime.db, body, "not a body with a list of events", received_at=utcnow())
        return _plain("OK", 200)
    ids = ingest(runtime.db, events, received_at=utcnow())
    response = _plain("OK", 200)
    if ids:
        pool = current_app.extensions.get(POOL)
        if pool is not None:
            pool.wake()
        else:
            messenger = current_app.extensions["fundbot.messenger"]
            response.call_on_close(lambda: _after_response(runtime, messenger, ids))
    return response


def _signature_ok(secret: str, body: bytes, signature: str | None) -> bool:
    """The SDK's check over the exact bytes received (UTF-8 decoding is lossless here)."""
    if not signature:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return SignatureValidator(secret).validate(text, signature)


def _after_response(runtime: Runtime, messenger, ids: list[int]) -> None:
    """Without a pool: handle the new events and send what they queued; never raises."""
    try:
        if process(runtime, messenger, ids):
            messenger.flush(runtime.db)
    except Exception:  # noqa: BLE001 - the answer is sent; the events stay pending
        log.exception("processing webhook events %s failed", ids)


def _plain(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain")
