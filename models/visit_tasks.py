"""An officer's visit list: the open visit tasks of their areas, new defaults, done visits.

The tasks live in `visit_task` (models/reminders.py): debtors the bot cannot reach (planned
with the reminders), broken promises (the recording commands write them with their own
reason), and new defaults, added here: contracts that passed 90 days late in the last
RECENT_DEFAULT_DAYS days. A task is done once; marking it is audited, and the audit entry is
the record of the visit until a table of visits says more (`visits_done` counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, joinedload

from models.area import Area, within
from models.arrears import DEFAULTED_AFTER_DAYS, contract_arrears
from models.audit import Actor, AuditEntry, audit
from models.base import utcnow
from models.borrower import Borrower
from models.contract import Contract
from models.errors import DomainError
from models.reminders import VisitTask
from models.staff import Staff

OPEN, DONE = "open", "done"
NOTE_LIMIT = 500
REASON_DEFAULTED = "defaulted"
# "Recently" defaulted: a contract that passed 90 days late within this many days.
RECENT_DEFAULT_DAYS = 30
DONE_ACTION = "visit_task.done"
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class TaskRow:
    """One open task as the officer reads it."""

    task: VisitTask
    borrower: Borrower
    contract_no: str


def add_new_defaults(session: Session, scope: list[str], today: date) -> None:
    """Visit tasks for contracts in `scope` that passed 90 days late recently (once each)."""
    crossed = [
        row
        for row in contract_arrears(session, today, scope=scope)
        if DEFAULTED_AFTER_DAYS < row.days_past_due <= DEFAULTED_AFTER_DAYS + RECENT_DEFAULT_DAYS
    ]
    if not crossed:
        return
    homes = dict(
        session.execute(
            select(Contract.id, Contract.officer_id).where(
                Contract.id.in_([r.contract_id for r in crossed])
            )
        ).all()
    )
    areas = dict(
        session.execute(
            select(Borrower.id, Borrower.area_id).where(
                Borrower.id.in_({r.borrower_id for r in crossed})
            )
        ).all()
    )
    rows = []
    for row in crossed:
        oldest_due = today - timedelta(days=row.days_past_due)
        rows.append(
            {
                "task_key": f"{row.borrower_id}:{REASON_DEFAULTED}:{oldest_due.isoformat()}",
                "borrower_id": row.borrower_id,
                "contract_id": row.contract_id,
                "officer_id": homes.get(row.contract_id),
                "area_id": areas[row.borrower_id],
                "reason": REASON_DEFAULTED,
                "due_date": oldest_due,
                "amount": row.overdue_amount,
                "status": OPEN,
                "planned_on": today,
            }
        )
    insert = _INSERTS[session.get_bind().dialect.name](VisitTask).on_conflict_do_nothing()
    session.execute(insert, rows)


def open_tasks(session: Session, scope: list[str]) -> list[TaskRow]:
    """The open tasks of debtors inside `scope`: oldest debt first, then by village and name."""
    query = (
        select(VisitTask, Borrower, Contract.contract_no)
        .join(Borrower, Borrower.id == VisitTask.borrower_id)
        .join(Contract, Contract.id == VisitTask.contract_id)
        .join(Area, Area.id == VisitTask.area_id)
        .where(VisitTask.status == OPEN, within(Area.path, scope))
        .options(joinedload(Borrower.area))
        .order_by(VisitTask.due_date, Area.path, Borrower.name_key, VisitTask.id)
    )
    return [TaskRow(task, borrower, number) for task, borrower, number in session.execute(query)]


def task_in_scope(
    session: Session, task_id: int, scope: list[str], *, for_update: bool = False
) -> VisitTask | None:
    """The task numbered `task_id` if its debtor lives inside `scope` (locked if asked)."""
    query = (
        select(VisitTask)
        .join(Area, Area.id == VisitTask.area_id)
        .where(VisitTask.id == task_id, within(Area.path, scope))
    )
    if for_update:
        query = query.with_for_update(of=VisitTask)
    return session.scalar(query)


def mark_done(
    session: Session, actor: Actor, task: VisitTask, *, now: datetime, note: str | None = None
) -> bool:
    """Close an open task (audited); False when it was closed already (a second tap)."""
    if task.status != OPEN:
        return False
    task.status = DONE
    session.flush()
    audit(
        session,
        actor,
        DONE_ACTION,
        "visit_task",
        task.id,
        {"status": OPEN},
        {
            "status": DONE,
            "reason": task.reason,
            "borrower_id": task.borrower_id,
            "at": now,
            "note": note,
        },
    )
    return True


@dataclass(frozen=True)
class TaskListing:
    """One visit task as staff read it on the command line."""

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
) -> list[TaskListing]:
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
        TaskListing(
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
    """Mark a visit done from the command line (audited with the note); refuses a closed one."""
    task = session.get(VisitTask, task_id, with_for_update=True)
    if task is None:
        raise DomainError("visit_task_not_found", id=task_id)
    note = " ".join((note or "").split())[:NOTE_LIMIT] or None
    if not mark_done(session, actor, task, now=utcnow(), note=note):
        raise DomainError("visit_task_closed", id=task_id)
    return task


def visits_done(session: Session, scope: list[str], start: datetime, end: datetime) -> int:
    """Visit tasks of `scope` marked done in [start, end).

    The seam for the recording commands' own visit records: when they land, count those.
    """
    query = (
        select(func.count(func.distinct(AuditEntry.entity_id)))
        .select_from(AuditEntry)
        .join(VisitTask, VisitTask.id == AuditEntry.entity_id)
        .join(Area, Area.id == VisitTask.area_id)
        .where(
            AuditEntry.action == DONE_ACTION,
            AuditEntry.entity == "visit_task",
            AuditEntry.at >= start,
            AuditEntry.at < end,
            within(Area.path, scope),
        )
    )
    return session.scalar(query) or 0


def total_amount(rows: list[TaskRow]) -> Decimal:
    """What the open tasks' debtors owe, together."""
    return sum((r.task.amount for r in rows), Decimal(0))
