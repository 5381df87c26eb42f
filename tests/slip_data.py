"""Slip photos for tests: a slip-like image with its mini QR, and the dashboard's slips."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import segno
from PIL import Image, ImageDraw
from sqlalchemy import select

from models.contract import Contract
from models.ledger import record_payment
from models.slip import store_slip
from models.slip_reader import read_slip_qr
from models.thai_qr import slip_qr_payload
from models.types import PaymentChannel, PaymentState
from tests.factories import TEST_ACTOR


def slip_image(reference: str, bank: str = "004", caption: str = "slip") -> bytes:
    """A slip-like JPEG: some text and the mini QR in a corner, as banking apps draw them."""
    canvas = Image.new("RGB", (720, 1100), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((40, 40), f"Transfer successful {caption}", fill="black")
    draw.text((40, 80), "1,000.00 THB", fill="black")
    qr = io.BytesIO()
    segno.make_qr(slip_qr_payload(bank, reference), error="m").save(qr, kind="png", scale=5)
    canvas.paste(Image.open(qr), (420, 760))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90)
    return out.getvalue()


def add_slips(session, instance: Path, debtors: dict, now: datetime) -> dict[str, int]:
    """Slips of the dashboard test province (tests/dashboard_data.py), by name: "mine" and
    "far" pending (1,000 baht each, on W-001 of แก่งคอย and W-002 of หนองแค), "again" a
    duplicate of "mine", "unfinished" a slip whose amount was never given. Debtor A is on LINE.
    """
    a, b = debtors["a"], debtors["b"]
    a.line_user_id = "U" + "a" * 32
    ids = {}
    for name, borrower, reference in (
        ("mine", a, "0041111111AAA"),
        ("far", b, "0042222222BBB"),
        ("again", a, "0041111111AAA"),
        ("unfinished", a, None),
    ):
        content = (
            slip_image(reference, caption=name) if reference else slip_image("X", caption=name)[:-2]
        )
        qr = read_slip_qr(content) if reference else None
        slip = store_slip(session, instance, borrower, content, qr, message_id=name, now=now)
        if name in ("mine", "far"):
            contract = session.scalars(
                select(Contract).where(Contract.borrower_id == borrower.id)
            ).first()
            payment = record_payment(
                session,
                TEST_ACTOR,
                contract,
                Decimal("1000"),
                now.date(),
                PaymentChannel.BANK_TRANSFER,
                state=PaymentState.PENDING,
                reference=f"slip-qr:{slip.bank_code}:{slip.bank_reference}",
                slip_path=slip.path,
            )
            slip.payment_id = payment.id
        ids[name] = slip.id
    session.commit()
    return ids
