"""Demo debtors who hear reminders in the chat simulator.

Demo borrowers are not linked to LINE, so planning would turn every one of them into a visit
task. A handful, with an installment in a reminder stage on the demo's day (due within the
next 7 days or overdue by up to 6), are linked to the simulated user id the simulator chats
from, so their reminders arrive in their chats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.simulator.events import BORROWER, fake_user_id
from models.audit import Actor, audit
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.payment import Payment
from models.relief import ReliefMeasure
from models.types import ContractStatus, PaymentState, ReliefKind, Source

ACTOR = Actor("demo", Source.CLI)
PER_KIND = 3  # overdue, and due soon


@dataclass(frozen=True)
class DemoRecipient:
    """A demo debtor linked to the simulator, and the installment that makes them hear."""

    borrower_id: int
    name: str
    contract_no: str
    due_date: date


def link_demo_debtors(session: Session, today: date) -> list[DemoRecipient]:
    """Link a few debtors with a reminder due on `today` to their simulator chats (audited)."""
    inst = Installment.__table__
    pending = exists().where(
        Payment.contract_id == Contract.id, Payment.state == PaymentState.PENDING
    )
    relief = exists().where(
        ReliefMeasure.contract_id == Contract.id,
        ReliefMeasure.kind == ReliefKind.MORATORIUM,
        ReliefMeasure.start_date <= today,
        or_(ReliefMeasure.end_date.is_(None), ReliefMeasure.end_date >= today),
    )
    query = (
        select(Borrower.id, Contract.contract_no, inst.c.due_date)
        .select_from(inst)
        .join(Contract, Contract.id == inst.c.contract_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .where(
            Contract.status == ContractStatus.ACTIVE,
            Borrower.line_user_id.is_(None),
            inst.c.due_date.between(today - timedelta(days=6), today + timedelta(days=7)),
            inst.c.effective_from <= today,
            or_(inst.c.superseded_on.is_(None), inst.c.superseded_on > today),
            inst.c.principal_due + inst.c.interest_due
            > inst.c.principal_paid + inst.c.interest_paid,
            ~pending,
            ~relief,
        )
        .order_by(inst.c.due_date, Borrower.id)
    )
    overdue, soon, seen = [], [], set()
    for borrower_id, contract_no, due in session.execute(query):
        if borrower_id in seen:
            continue
        bucket = overdue if due < today else soon
        if len(bucket) < PER_KIND:
            bucket.append((borrower_id, contract_no, due))
            seen.add(borrower_id)
    chosen = []
    for borrower_id, contract_no, due in overdue + soon:
        borrower = session.get(Borrower, borrower_id)
        user_id = fake_user_id(BORROWER, borrower_id)
        before = {"line_user_id": None, "line_reachable": borrower.line_reachable}
        borrower.line_user_id, borrower.line_reachable = user_id, True
        after = {"line_user_id": user_id, "line_reachable": True}
        audit(session, ACTOR, "link", "borrower", borrower_id, before=before, after=after)
        chosen.append(DemoRecipient(borrower_id, borrower.display_name, contract_no, due))
    return chosen
