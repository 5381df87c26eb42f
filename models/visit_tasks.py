"""Visit tasks after planning: listing them for staff, and closing one when the visit is done.

Planning (models/reminders.py) opens a task for a debtor the bot cannot reach; the officer
visits or calls, then closes it. Closing is audited with the officer's note; a closed task
leaves the morning digest (which lists open tasks only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models.area import Area, within
from models.audit import Actor, audit
from models.borrower import Borrower
from models.contract import Contract
from models.errors import DomainError
from models.reminders import VisitTask
from models.staff import Staff

OPEN = "open"
DONE = "done"
NOTE_LIMIT = 500


@dataclass(frozen=True)
class TaskRow:
    """One visit task as staff read it."""

    id: int
    status: str
    debtor: str
    phone: str | None
    area: str
    contract_no: str
    reason: str
    due_date: date
    amount: Decimal
    officer: str | None
    planned_on: date


def list_tasks(
    session: Session, scope: list[str] | None = None, *, only_open: bool = False
) -> list[TaskRow]:
    """Visit tasks in the areas `scope` (all when None), open first, by area and due date."""
    home = aliased(Area)
    officer = aliased(Staff)
    query = (
        select(VisitTask, Borrower, home.path, Contract.contract_no, officer.name)
        .join(Borrower, Borrower.id == VisitTask.borrower_id)
        .join(Contract, Contract.id == VisitTask.contract_id)
        .join(home, home.id == VisitTask.area_id)
        .outerjoin(officer, officer.id == VisitTask.officer_id)
        .order_by(VisitTask.status != OPEN, home.path, VisitTask.due_date, VisitTask.id)
    )
    if scope is not None:
        query = query.where(within(home.path, scope))
    if only_open:
        query = query.where(VisitTask.status == OPEN)
    return [
        TaskRow(
            id=task.id,
            status=task.status,
            debtor=borrower.display_name,
            phone=borrower.phone,
            area=path,
            contract_no=contract_no,
            reason=task.reason,
            due_date=task.due_date,
            amount=task.amount,
            officer=officer_name,
            planned_on=task.planned_on,
        )
        for task, borrower, path, contract_no, officer_name in session.execute(query)
    ]


def close_task(session: Session, actor: Actor, task_id: int, note: str | None = None) -> VisitTask:
    """Mark a visit done (audited with the note); a task closed already is refused."""
    task = session.get(VisitTask, task_id, with_for_update=True)
    if task is None:
        raise DomainError("visit_task_not_found", id=task_id)
    if task.status != OPEN:
        raise DomainError("visit_task_closed", id=task_id)
    note = " ".join((note or "").split())[:NOTE_LIMIT] or None
    task.status = DONE
    audit(
        session,
        actor,
        "visit_task.done",
        "visit_task",
        task.id,
        before={"status": OPEN},
        after={"status": DONE, "note": note},
    )
    return task
