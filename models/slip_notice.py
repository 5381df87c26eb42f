"""Telling a debtor that staff approved or rejected their slip: a push through the outbox.

Queued in the same transaction as the decision (models/ledger.py), whoever made it (the
command line, the dashboard), and planned inside the legal contact hours
(models/contact_rules.py): a decision taken at night reaches the debtor the next morning.

The words are the application's (the domain has no translations): it registers how to word
a notice and the offices' time zone with `configure`; until it has, nothing is queued.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.base import utcnow
from models.contact_rules import next_contact_time
from models.outbox import OutboxKind, enqueue
from models.payment import Payment
from models.types import PaymentChannel

APPROVED = "approved"
REJECTED = "rejected"

# (payment, decision, reason) -> LINE messages, in the borrower's language.
Render = Callable[[Payment, str, str | None], list[dict]]

_setup: dict[str, object] = {}


def configure(render: Render, zone: Callable[[], ZoneInfo]) -> None:
    """How to word the notices, and where the contact hours are counted."""
    _setup["render"], _setup["zone"] = render, zone


def notify_decision(
    session: Session, payment: Payment, decision: str, reason: str | None = None
) -> None:
    """Queue the notice for a slip payment's borrower, if they can be reached on LINE."""
    render = _setup.get("render")
    if render is None or payment.channel is not PaymentChannel.BANK_TRANSFER:
        return
    borrower = payment.contract.borrower
    if not borrower.line_user_id or not borrower.line_reachable:
        return
    row = enqueue(
        session,
        OutboxKind.PUSH,
        [borrower.line_user_id],
        render(payment, decision, reason),
        dedupe_key=f"slip-{decision}:{payment.id}",
    )
    if row is not None:
        row.next_attempt_at = next_contact_time(utcnow(), _setup["zone"]())
        row.contact_key = f"borrower:{borrower.id}"
        session.flush()
