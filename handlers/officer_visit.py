"""`เยี่ยม <ผู้กู้> <บันทึก>` / `visit`: a visit report; the location and photos the officer
sends within the next 10 minutes attach to it.

Photos are kept in the instance folder, `field_photos/<yyyy>/<mm>/<message id>.jpg`, with
their SHA-256 recorded on the report (so a copy can be checked against it).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from sqlalchemy import select

from bot.i18n import _
from handlers.context import ChatContext
from handlers.officer_access import OfficerCommand
from handlers.officer_debtor import (
    COMPLETERS,
    start_with_text,
    store_report_once,
    usage,
)
from handlers.router import When
from models.borrower import Borrower
from models.contract import Contract
from models.field_reports import (
    ATTACH_WINDOW,
    VISIT,
    FieldReport,
    attach_to_visit,
)

log = logging.getLogger(__name__)
NAME = "visit"
WORDS = ("เยี่ยม", "visit")


def register(router) -> None:
    """Add เยี่ยม, and the photos and location that follow it."""
    router.add("message.text", OfficerCommand(WORDS, start))
    router.add("message.image", When(_after_a_visit, attach_photo))
    router.add("message.location", When(_after_a_visit, attach_location))


def visit_usage() -> str:
    return usage(_("เยี่ยม <debtor> <what happened>"), "เยี่ยม สมศรี ใจดี ไม่อยู่บ้าน ฝากไว้กับลูก")


def start(ctx: ChatContext) -> None:
    start_with_text(ctx, NAME, visit_usage)


def complete(
    ctx: ChatContext,
    borrower: Borrower,
    contract: Contract | None,
    payload: dict,
    origin: str,
    _confirmed: bool,
) -> None:
    """Store the visit."""
    store_report_once(ctx, borrower, contract, VISIT, payload["text"], origin)
    ctx.reply(
        _(
            "Visit to %(name)s recorded. You may send the location and photos within "
            "%(minutes)d minutes.",
            name=borrower.display_name,
            minutes=int(ATTACH_WINDOW.total_seconds() // 60),
        )
    )


def _after_a_visit(ctx: ChatContext) -> bool:
    if ctx.staff is None:
        return False
    recent = ctx.session.scalar(
        select(FieldReport.id)
        .where(
            FieldReport.officer_id == ctx.staff.id,
            FieldReport.kind == VISIT,
            FieldReport.reversed_at.is_(None),
            FieldReport.created_at >= ctx.now - ATTACH_WINDOW,
        )
        .limit(1)
    )
    return recent is not None


def attach_photo(ctx: ChatContext) -> None:
    message_id = str(ctx.message.get("id") or "")
    try:
        content = ctx.messenger.content(message_id)
    except Exception:  # noqa: BLE001 - LINE down or the content expired: ask again
        log.warning("could not download the content of message %s", message_id, exc_info=True)
        content = None
    if not content:
        ctx.reply(_("I could not receive the photo. Please send it again"))
        return
    safe_id = re.sub(r"[^0-9A-Za-z_-]", "", message_id) or "photo"
    relative = Path("field_photos") / f"{ctx.today:%Y}" / f"{ctx.today:%m}" / f"{safe_id}.jpg"
    target = Path(ctx.runtime.settings.instance_path) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    photo = {"path": relative.as_posix(), "sha256": hashlib.sha256(content).hexdigest()}
    attach_to_visit(ctx.session, ctx.actor, ctx.staff, ctx.now, photo=photo)
    ctx.reply(_("Photo added to the visit"))


def attach_location(ctx: ChatContext) -> None:
    message = ctx.message
    location = {
        "latitude": message.get("latitude"),
        "longitude": message.get("longitude"),
        "address": message.get("address"),
    }
    attach_to_visit(ctx.session, ctx.actor, ctx.staff, ctx.now, location=location)
    ctx.reply(_("Location added to the visit"))


COMPLETERS[NAME] = complete
