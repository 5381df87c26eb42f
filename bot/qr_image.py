"""The payment QR images "pay now" links to: /qr/<contract>/<satang>/<expires>/<sig>.png.

Only a link the bot signed (models/qr_link.py) and that has not expired gets an image;
anything else is 403, so the path cannot be guessed or its amount changed.
"""

from __future__ import annotations

import io
from decimal import Decimal

import segno
from flask import Blueprint, Response, abort, current_app

from models.base import from_satang, utcnow
from models.contract import Contract
from models.payment_target import target_of
from models.qr_link import link_valid

bp = Blueprint("qr", __name__)


def qr_png(payload: str, scale: int = 8) -> bytes:
    """A PNG of `payload` as a QR code (error correction M, the usual for payment QR)."""
    out = io.BytesIO()
    segno.make_qr(payload, error="m", boost_error=False).save(out, kind="png", scale=scale)
    return out.getvalue()


@bp.get("/qr/<int:contract_id>/<int:satang>/<int:expires>/<sig>.png")
def image(contract_id: int, satang: int, expires: int, sig: str):
    runtime = current_app.extensions["fundbot"]
    if not link_valid(runtime.settings.secret_key, contract_id, satang, expires, sig, utcnow()):
        abort(403)
    with runtime.db.session() as session:
        contract = session.get(Contract, contract_id)
        target = target_of(session, contract.fund_id) if contract is not None else None
        if target is None or satang <= 0:
            abort(404)
        payload = target.payload(contract, Decimal(from_satang(satang)))
    response = Response(qr_png(payload), mimetype="image/png")
    # The image names an amount owed: no shared cache may keep it.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
