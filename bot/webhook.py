"""`POST /callback`: verify LINE's signature, store the events, answer 200, then handle them.

Only the signature check and one short insert happen before the answer; handling (database
work, replies, profile calls, image downloads) runs after the response is sent
(`call_on_close`), because LINE counts an answer slower than 2 seconds as a failure.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from flask import Blueprint, Response, current_app, request
from linebot.v3.webhook import SignatureValidator

from bot.inbound import ingest, process, process_pending
from bot.runtime import Runtime
from models.base import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)

# Each worker looks for events a crashed worker left behind at most this often (seconds).
PENDING_SWEEP_INTERVAL = 60.0
_sweep = {"last": time.monotonic()}
_sweep_lock = threading.Lock()


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
    events = _events(body)
    if events is None:
        return _plain("Bad request body", 400)
    ids = ingest(runtime.db, events, received_at=utcnow())
    response = _plain("OK", 200)
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


def _events(body: bytes) -> list | None:
    """The events of a webhook body; None when it is not LINE's shape."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    events = payload.get("events", [])
    return events if isinstance(events, list) else None


def _after_response(runtime: Runtime, messenger, ids: list[int]) -> None:
    """Handle the new events and send what they queued; never raises into the server."""
    try:
        queued = process(runtime, messenger, ids) if ids else 0
        if queued:
            messenger.flush(runtime.db)
        if _sweep_due():
            process_pending(runtime, messenger)
    except Exception:  # noqa: BLE001 - the answer is sent; log and carry on
        log.exception("processing webhook events %s failed", ids)


def _sweep_due() -> bool:
    with _sweep_lock:
        now = time.monotonic()
        if now - _sweep["last"] < PENDING_SWEEP_INTERVAL:
            return False
        _sweep["last"] = now
        return True


def _plain(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain")
