"""Reminder planning: which debtor, group and officer hears about which installment, once.

Planning for a contact day D (the day of the next contact window) is set-based:

1. One SQL statement per fund kind finds every installment in force, unpaid, with no slip
   pending on its contract, whose due date puts it in a stage of the policy today (7 and 3
   days before, the day, 1, 7, 15 and 30 days after), and which has no reminder item yet for
   that stage. A stage is current from its day until the next stage's day, or for
   catch_up_days, whichever is shorter: after downtime the current stage goes out once, an
   overtaken one never. One more statement does the same for moratoriums ending.
2. The candidates become reminder_item rows (unique per installment or moratorium and
   stage, so planning twice plans nothing new), grouped per debtor into ONE outbox row for
   the day (dedupe key reminder:<borrower>:<day>): the law allows one contact a day.
3. Debtors the bot cannot reach (never linked, or blocked the bot) get visit tasks for their
   officer instead (overdue installments and ending moratoriums).
4. Registered reminder groups get one generic notice per due date.

The words are not chosen here: the caller passes a renderer (scheduler/reminder_texts.py).
At send time the dispatcher asks `send_check` whether a row still applies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from models.area import Area
from models.audit import Actor
from models.base import Base, Money, UTCDateTime, from_satang, utcnow
from models.borrower import Borrower
from models.contact_rules import in_window, next_contact_time, window_of
from models.contract import Contract, Installment
from models.field_reports import OPEN as PROMISE_OPEN
from models.field_reports import PROMISE, FieldReport, settle_promises
from models.fund import Fund
from models.identity import GROUP_REMINDER, GROUP_TEAM, LineGroup
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus, new_retry_key
from models.payment import Payment
from models.relief import ReliefMeasure
from models.reminder_policy import Policy, PolicyBook
from models.staff import Staff
from models.types import ContractStatus, FundKind, PaymentState, ReliefKind, Source

ITEM_INSTALLMENT = "installment"
ITEM_MORATORIUM = "moratorium_end"
ITEM_GROUP = "group_notice"
ITEM_PROMISE = "promise"
# A promise to pay is reminded the day before its date.
PROMISE_STAGE = -1
CHANNEL_LINE = "line"
CHANNEL_VISIT = "visit"
CHANNEL_GROUP = "group"

PURPOSE_REMINDER = "reminder"
PURPOSE_GROUP = "group_notice"
PURPOSE_STAFF = "staff"
# A debtor told of something they did (a slip confirmed or rejected): the contact hours
# apply, but it is no reminder, so it neither counts against nor waits for the day's one.
PURPOSE_NOTICE = "notice"

# Lower goes first (the dispatcher's order; what the monthly quota keeps).
PRIORITY_OVERDUE = 3
PRIORITY_DUE_TODAY = 4
PRIORITY_STAFF = 5
PRIORITY_UPCOMING = 6
PRIORITY_GROUP = 7

_EPOCH = date(1970, 1, 1)
# Advisory-lock key of "reminder planning" (PostgreSQL), so two planners never interleave.
PLAN_LOCK_KEY = 0x72656D696E64


class ReminderItem(Base):
    """One stage of one installment, moratorium or group due date, planned once."""

    __tablename__ = "reminder_item"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "stage"),
        Index("ix_reminder_item_borrower_day", "borrower_id", "contact_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # installment.id, relief_measure.id or line_group.id, by kind.
    ref_id: Mapped[int] = mapped_column(Integer)
    # Days from the due date (-7, 0, 30...); for a group notice, the due date's day number.
    stage: Mapped[int] = mapped_column(Integer)
    borrower_id: Mapped[int | None] = mapped_column(ForeignKey("borrower.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    due_date: Mapped[date] = mapped_column(Date)
    contact_day: Mapped[date] = mapped_column(Date)
    # The last day this stage is current; after it a later stage (or nothing) takes over.
    expires_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(12))
    outbox_key: Mapped[str | None] = mapped_column(String(200))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitTask(Base):
    """A debtor the bot cannot reach: the officer visits (or calls) instead."""

    __tablename__ = "visit_task"
    __table_args__ = (UniqueConstraint("task_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # borrower:reason:due date, so later stages of the same debt add no second visit.
    task_key: Mapped[str] = mapped_column(String(80))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrower.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    status: Mapped[str] = mapped_column(String(12), default="open")
    planned_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- what is planned


@dataclass(frozen=True)
class Item:
    """One thing to tell a debtor: an installment at a stage, or a moratorium ending."""

    kind: str
    ref_id: int
    stage: int
    contract_id: int
    contract_no: str
    fund: str
    due_date: date
    amount: Decimal
    expires_on: date
    officer_name: str | None
    officer_phone: str | None

    @property
    def overdue(self) -> bool:
        return self.kind == ITEM_INSTALLMENT and self.stage > 0


@dataclass
class DebtorReminder:
    """Everything one debtor hears on one day, as one message."""

    borrower_id: int
    name: str
    locale: str
    line_user_id: str | None
    items: list[Item] = field(default_factory=list)

    @property
    def priority(self) -> int:
        if any(i.overdue for i in self.items):
            return PRIORITY_OVERDUE
        if any(i.kind == ITEM_INSTALLMENT and i.stage == 0 for i in self.items):
            return PRIORITY_DUE_TODAY
        return PRIORITY_UPCOMING

    @property
    def overdue_amount(self) -> Decimal:
        return sum((i.amount for i in self.items if i.overdue), Decimal(0))


@dataclass(frozen=True)
class GroupNotice:
    """A registered reminder group hears, generically, that installments fall due."""

    line_group_pk: int
    group_id: str
    due: list[tuple[str, date]]  # (fund kind, due date)


@dataclass(frozen=True)
class StaffNotice:
    """A message for staff: the visit digest of a team group, or a KKCJ report reminder."""

    key: str
    recipients: list[str]
    locale: str
    kind: str  # "digest" or "kkcj_monthly" / "kkcj_quarterly"
    data: dict


@dataclass
class PlanResult:
    """What one planning run added."""

    day: date
    send_at: datetime
    debtors: list[DebtorReminder] = field(default_factory=list)
    visits: int = 0
    groups: list[GroupNotice] = field(default_factory=list)
    staff: list[StaffNotice] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)


class Renderer:
    """The words, chosen by the caller: each returns LINE message dicts."""

    debtor: Callable[[DebtorReminder, Policy], list[dict]]
    group: Callable[[GroupNotice], list[dict]]
    staff: Callable[[StaffNotice], list[dict]]


# --------------------------------------------------------------------------- planning


def plan(
    session: Session,
    now: datetime,
    zone: ZoneInfo,
    book: PolicyBook,
    renderer: Renderer,
) -> PlanResult:
    """Plan what is due at `now` (or at the next contact window) and queue it, once."""
    _lock(session)
    start = next_contact_time(now, zone)
    day = start.date()
    result = PlanResult(day=day, send_at=start)
    already = set(
        session.scalars(
            select(ReminderItem.borrower_id)
            .where(ReminderItem.contact_day == day, ReminderItem.borrower_id.is_not(None))
            .distinct()
        )
    )
    debtors: dict[int, DebtorReminder] = {}
    unreachable: list[tuple] = []
    settle_promises(session, Actor("reminders", Source.SYSTEM), day)
    promised = _promised(session, day)
    item_rows: list[dict] = []
    for kind in FundKind:
        policy = book.for_fund(kind)
        rows = _installment_candidates(session, kind, policy, day)
        rows += _moratorium_candidates(session, kind, policy, day)
        rows += _promise_candidates(session, kind, day)
        # While a debtor's promise to pay stands, its reminder is the only one they get.
        rows = [r for r in rows if r[-2] == ITEM_PROMISE or r[7] not in promised]
        for row in rows:
            _collect(row, day, policy, already, debtors, unreachable, item_rows)
    send_times = {kind.value: _send_time(book.for_fund(kind), start, zone) for kind in FundKind}
    result.visits = _visit_tasks(session, unreachable, day)
    # Keep the order the quota keeps: overdue first (larger first), then due today, upcoming.
    ordered = sorted(debtors.values(), key=lambda d: (d.priority, -d.overdue_amount, d.borrower_id))
    outbox_rows = []
    for debtor in ordered:
        fund = debtor.items[0].fund
        key = f"reminder:{debtor.borrower_id}:{day.isoformat()}"
        messages = renderer.debtor(debtor, book.for_fund(fund))
        outbox_rows.append(
            _outbox_row(
                key,
                [debtor.line_user_id],
                messages,
                debtor.priority,
                send_times[fund],
                PURPOSE_REMINDER,
                f"borrower:{debtor.borrower_id}",
            )
        )
    result.debtors = ordered
    groups = _group_notices(session, book, day, start)
    for notice in groups:
        key = f"group:{notice.line_group_pk}:{day.isoformat()}"
        item_rows.extend(
            {
                "kind": ITEM_GROUP,
                "ref_id": notice.line_group_pk,
                "stage": (due - _EPOCH).days,
                "borrower_id": None,
                "contract_id": None,
                "due_date": due,
                "contact_day": day,
                "expires_on": due,
                "channel": CHANNEL_GROUP,
                "outbox_key": key,
            }
            for _fund, due in notice.due
        )
        outbox_rows.append(
            _outbox_row(
                key,
                [notice.group_id],
                renderer.group(notice),
                PRIORITY_GROUP,
                max(send_times.values()),
                PURPOSE_GROUP,
                f"group:{notice.group_id}",
            )
        )
    result.groups = groups
    staff = _digests(session, day, zone) + _kkcj_reports(session, day)
    for notice in staff:
        when = window_of(day, zone)[0] if notice.kind == "digest" else send_times["kkcj"]
        kind = OutboxKind.MULTICAST if len(notice.recipients) > 1 else OutboxKind.PUSH
        outbox_rows.append(
            _outbox_row(
                notice.key,
                notice.recipients,
                renderer.staff(notice),
                PRIORITY_STAFF,
                max(when, now),
                PURPOSE_STAFF,
                None,
                kind=kind,
            )
        )
    result.staff = staff
    _insert(session, ReminderItem, item_rows)
    _insert(session, OutboxMessage, outbox_rows)
    _attach_items(session, day)
    keys = [r["dedupe_key"] for r in outbox_rows]
    result.outbox_ids = _ids_of(session, keys)
    return result


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PLAN_LOCK_KEY})
    else:
        # Take SQLite's write lock now, so a second planner waits instead of reading stale rows.
        session.execute(update(ReminderItem).where(ReminderItem.id == -1).values(stage=0))


def _send_time(policy: Policy, start: datetime, zone: ZoneInfo) -> datetime:
    planned = datetime.combine(start.date(), policy.send_at, zone)
    return max(planned, start)


def _stage_windows(offsets: tuple[int, ...], catch_up: int, day: date):
    """(offset, earliest due date, latest due date, expires_on offset) per stage for `day`.

    Stage o is current while day - due is in [o, o + span), span = min(next - o, catch_up + 1).
    """
    windows = []
    for index, offset in enumerate(offsets):
        following = offsets[index + 1] if index + 1 < len(offsets) else None
        span = catch_up + 1 if following is None else min(following - offset, catch_up + 1)
        latest = day - timedelta(days=offset)
        earliest = latest - timedelta(days=span - 1)
        windows.append((offset, earliest, latest, span))
    return windows


def _stage_case(column, windows):
    if not windows:
        return literal(None, Integer)
    return case(
        *[(column.between(first, last), o) for o, first, last, _span in windows], else_=None
    )


def _satang(column):
    return type_coerce(column, BigInteger)


def _installment_candidates(session: Session, kind: FundKind, policy: Policy, day: date):
    windows = _stage_windows(policy.due_offsets(), policy.catch_up_days, day)
    if not windows:
        return []
    inst = Installment.__table__
    earliest = min(w[1] for w in windows)
    latest = max(w[2] for w in windows)
    stage = _stage_case(inst.c.due_date, windows).label("stage")
    remaining = (
        _satang(inst.c.principal_due)
        + _satang(inst.c.interest_due)
        - _satang(inst.c.principal_paid)
        - _satang(inst.c.interest_paid)
    )
    pending = exists().where(
        Payment.contract_id == Contract.id, Payment.state == PaymentState.PENDING
    )
    in_moratorium = exists().where(
        ReliefMeasure.contract_id == Contract.id,
        ReliefMeasure.kind == ReliefKind.MORATORIUM,
        ReliefMeasure.start_date <= day,
        or_(ReliefMeasure.end_date.is_(None), ReliefMeasure.end_date >= day),
    )
    staged = (
        select(
            inst.c.id.label("ref_id"),
            inst.c.contract_id,
            inst.c.due_date,
            remaining.label("remaining"),
            stage,
        )
        .where(
            inst.c.due_date.between(earliest, latest),
            inst.c.effective_from <= day,
            or_(inst.c.superseded_on.is_(None), inst.c.superseded_on > day),
            remaining > 0,
        )
        .subquery("staged")
    )
    return _with_people(
        session,
        staged,
        ITEM_INSTALLMENT,
        kind,
        extra=[~pending, ~in_moratorium],
    )


def _moratorium_candidates(session: Session, kind: FundKind, policy: Policy, day: date):
    windows = _stage_windows(policy.moratorium_offsets(), policy.catch_up_days, day)
    if not windows:
        return []
    relief = ReliefMeasure.__table__
    # The notices stop once the moratorium has ended.
    windows = [(o, first, min(last, day), s) for o, first, last, s in windows]
    stage = _stage_case(relief.c.end_date, windows).label("stage")
    staged = (
        select(
            relief.c.id.label("ref_id"),
            relief.c.contract_id,
            relief.c.end_date.label("due_date"),
            literal(0, BigInteger).label("remaining"),
            stage,
        )
        .where(
            relief.c.kind == ReliefKind.MORATORIUM,
            relief.c.end_date.between(min(w[1] for w in windows), max(w[2] for w in windows)),
            relief.c.start_date <= day,
        )
        .subquery("staged")
    )
    return _with_people(session, staged, ITEM_MORATORIUM, kind, extra=[])


def _promised(session: Session, day: date) -> set[int]:
    """Debtors with an open promise to pay whose date has not passed."""
    return set(
        session.scalars(
            select(FieldReport.borrower_id).where(
                FieldReport.kind == PROMISE,
                FieldReport.promise_status == PROMISE_OPEN,
                FieldReport.reversed_at.is_(None),
                FieldReport.promise_date >= day,
            )
        )
    )


def _promise_candidates(session: Session, kind: FundKind, day: date):
    """Open promises falling due tomorrow (or today, when yesterday's run was missed)."""
    report = FieldReport.__table__
    first_active = (
        select(Contract.id)
        .where(
            Contract.borrower_id == report.c.borrower_id,
            Contract.status == ContractStatus.ACTIVE,
        )
        .order_by(Contract.id)
        .limit(1)
        .scalar_subquery()
    )
    staged = (
        select(
            report.c.id.label("ref_id"),
            func.coalesce(report.c.contract_id, first_active).label("contract_id"),
            report.c.promise_date.label("due_date"),
            _satang(report.c.promise_amount).label("remaining"),
            literal(PROMISE_STAGE, Integer).label("stage"),
        )
        .where(
            report.c.kind == PROMISE,
            report.c.promise_status == PROMISE_OPEN,
            report.c.reversed_at.is_(None),
            report.c.promise_date.between(day, day + timedelta(days=1)),
        )
        .subquery("staged")
    )
    return _with_people(session, staged, ITEM_PROMISE, kind, extra=[])


def _with_people(session: Session, staged, item_kind: str, kind: FundKind, extra: list):
    """The staged rows with the debtor, contract and officer they concern; new ones only."""
    officer = aliased(Staff)
    done = exists().where(
        ReminderItem.kind == item_kind,
        ReminderItem.ref_id == staged.c.ref_id,
        ReminderItem.stage == staged.c.stage,
    )
    query = (
        select(
            staged.c.ref_id,
            staged.c.stage,
            staged.c.due_date,
            staged.c.remaining,
            Contract.id,
            Contract.contract_no,
            Contract.officer_id,
            Borrower.id,
            Borrower.title,
            Borrower.name,
            Borrower.locale,
            Borrower.line_user_id,
            Borrower.line_reachable,
            Borrower.area_id,
            officer.name,
            officer.phone,
            literal(item_kind),
            literal(kind.value),
        )
        .select_from(staged)
        .join(Contract, Contract.id == staged.c.contract_id)
        .join(Fund, Fund.id == Contract.fund_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .outerjoin(officer, officer.id == Contract.officer_id)
        .where(
            staged.c.stage.is_not(None),
            Fund.kind == kind,
            Contract.status == ContractStatus.ACTIVE,
            ~done,
            *extra,
        )
    )
    return session.execute(query).all()


def _collect(row, day, policy, already, debtors, unreachable, item_rows) -> None:
    (ref_id, stage, due_date, remaining, contract_id, contract_no, officer_id, borrower_id,
     title, name, locale, line_user_id, reachable, area_id, officer_name, officer_phone,
     item_kind, fund) = row  # fmt: skip
    if borrower_id in already:
        return  # contacted today already: this stage waits for tomorrow, if still current
    span = _span_of(policy, item_kind, stage)
    expires = due_date + timedelta(days=stage + span - 1)
    item = Item(
        kind=item_kind,
        ref_id=ref_id,
        stage=stage,
        contract_id=contract_id,
        contract_no=contract_no,
        fund=fund,
        due_date=due_date,
        amount=from_satang(remaining),
        expires_on=expires,
        officer_name=officer_name,
        officer_phone=officer_phone,
    )
    reachable_on_line = bool(line_user_id) and bool(reachable)
    channel = CHANNEL_LINE if reachable_on_line else CHANNEL_VISIT
    key = f"reminder:{borrower_id}:{day.isoformat()}" if reachable_on_line else None
    item_rows.append(
        {
            "kind": item_kind,
            "ref_id": ref_id,
            "stage": stage,
            "borrower_id": borrower_id,
            "contract_id": contract_id,
            "due_date": due_date,
            "contact_day": day,
            "expires_on": expires,
            "channel": channel,
            "outbox_key": key,
        }
    )
    if not reachable_on_line:
        if item.overdue or item_kind == ITEM_MORATORIUM:
            unreachable.append((borrower_id, contract_id, officer_id, area_id, item))
        return
    debtor = debtors.get(borrower_id)
    if debtor is None:
        debtor = debtors[borrower_id] = DebtorReminder(
            borrower_id=borrower_id,
            name=f"{title}{name}" if title else name,
            locale=locale,
            line_user_id=line_user_id,
        )
    debtor.items.append(item)


def _span_of(policy: Policy, item_kind: str, stage: int) -> int:
    if item_kind == ITEM_PROMISE:
        return 2  # the day before and the day itself
    offsets = policy.due_offsets() if item_kind == ITEM_INSTALLMENT else policy.moratorium_offsets()
    for offset, _e, _l, span in _stage_windows(offsets, policy.catch_up_days, _EPOCH):
        if offset == stage:
            return span
    return 1


def _visit_tasks(session: Session, unreachable: list[tuple], day: date) -> int:
    rows = {}
    for borrower_id, contract_id, officer_id, area_id, item in unreachable:
        reason = "overdue" if item.kind == ITEM_INSTALLMENT else "moratorium_end"
        key = f"{borrower_id}:{reason}:{item.due_date.isoformat()}"
        row = rows.get(key)
        if row is None:
            rows[key] = {
                "task_key": key,
                "borrower_id": borrower_id,
                "contract_id": contract_id,
                "officer_id": officer_id,
                "area_id": area_id,
                "reason": reason,
                "due_date": item.due_date,
                "amount": item.amount,
                "status": "open",
                "planned_on": day,
            }
        else:
            row["amount"] += item.amount
    _insert(session, VisitTask, list(rows.values()))
    return len(rows)


def _group_notices(session: Session, book: PolicyBook, day: date, start: datetime):
    """Per active reminder group: the due dates within its notice period not yet announced."""
    notices: dict[int, list[tuple[str, date]]] = defaultdict(list)
    ids: dict[int, str] = {}
    for kind in FundKind:
        ahead = book.for_fund(kind).group_days_before
        if ahead <= 0:
            continue
        home = aliased(Area)
        inst = Installment.__table__
        due_day = inst.c.due_date.label("due")
        announced = exists().where(
            ReminderItem.kind == ITEM_GROUP,
            ReminderItem.ref_id == LineGroup.id,
            ReminderItem.due_date == inst.c.due_date,
        )
        query = (
            select(LineGroup.id, LineGroup.group_id, due_day)
            .select_from(inst)
            .join(Contract, Contract.id == inst.c.contract_id)
            .join(Fund, Fund.id == Contract.fund_id)
            .join(Borrower, Borrower.id == Contract.borrower_id)
            .join(home, home.id == Borrower.area_id)
            .join(LineGroup, _group_serves(home))
            .where(
                LineGroup.kind == GROUP_REMINDER,
                LineGroup.active.is_(True),
                or_(LineGroup.fund_kind.is_(None), LineGroup.fund_kind == kind),
                Fund.kind == kind,
                Contract.status == ContractStatus.ACTIVE,
                inst.c.due_date.between(day, day + timedelta(days=ahead)),
                inst.c.effective_from <= day,
                or_(inst.c.superseded_on.is_(None), inst.c.superseded_on > day),
                inst.c.principal_due + inst.c.interest_due
                > inst.c.principal_paid + inst.c.interest_paid,
                ~announced,
            )
            .distinct()
        )
        for pk, group_id, due in session.execute(query):
            ids[pk] = group_id
            notices[pk].append((kind.value, due))
    return [
        GroupNotice(line_group_pk=pk, group_id=ids[pk], due=sorted(set(dues), key=lambda d: d[1]))
        for pk, dues in sorted(notices.items())
    ]


def _group_serves(home):
    """A group registered for a village, or for any area above it, serves that village."""
    return LineGroup.area_id.in_([home.id, home.subdistrict_id, home.district_id, home.province_id])


def _digests(session: Session, day: date, zone: ZoneInfo) -> list[StaffNotice]:
    """A morning digest of open visit tasks to each working-team group, on working days."""
    from models.contact_rules import is_working_day

    if not is_working_day(day):
        return []
    home = aliased(Area)
    officer = aliased(Staff)
    query = (
        select(
            LineGroup.group_id,
            Borrower.title,
            Borrower.name,
            Borrower.phone,
            home.path,
            Contract.contract_no,
            VisitTask.reason,
            VisitTask.due_date,
            VisitTask.amount,
            officer.name,
        )
        .select_from(VisitTask)
        .join(Borrower, Borrower.id == VisitTask.borrower_id)
        .join(Contract, Contract.id == VisitTask.contract_id)
        .join(home, home.id == VisitTask.area_id)
        .outerjoin(officer, officer.id == VisitTask.officer_id)
        .join(LineGroup, _group_serves(home))
        .where(
            LineGroup.kind == GROUP_TEAM,
            LineGroup.active.is_(True),
            VisitTask.status == "open",
        )
        .order_by(LineGroup.group_id, home.path, VisitTask.due_date, Borrower.name)
    )
    tasks: dict[str, list[dict]] = defaultdict(list)
    for (
        group_id,
        title,
        name,
        phone,
        path,
        contract_no,
        reason,
        due,
        amount,
        officer_name,
    ) in session.execute(query):
        tasks[group_id].append(
            {
                "name": f"{title}{name}" if title else name,
                "phone": phone,
                "area": path,
                "contract_no": contract_no,
                "reason": reason,
                "due_date": due,
                "amount": amount,
                "officer": officer_name,
            }
        )
    return [
        StaffNotice(
            key=f"digest:{group_id}:{day.isoformat()}",
            recipients=[group_id],
            locale="th",
            kind="digest",
            data={"day": day, "tasks": rows},
        )
        for group_id, rows in tasks.items()
    ]


def kkcj_report_due(day: date) -> list[tuple[str, str, date]]:
    """(kind, period key, deadline) of the KKCJ follow-up reports to remind staff of on `day`.

    Monthly: from the 10th, for the report due on the 15th. Quarterly: in the last week of each
    fiscal quarter (the fiscal year starts 1 October: quarters end 31 Dec, 31 Mar, 30 Jun, 30 Sep).
    """
    due = []
    if 10 <= day.day <= 15:
        due.append(("kkcj_monthly", f"{day:%Y-%m}", day.replace(day=15)))
    if day.month in (3, 6, 9, 12):
        last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if last - day < timedelta(days=7):
            fiscal_year = day.year + 1 if day.month >= 10 else day.year
            quarter = {12: 1, 3: 2, 6: 3, 9: 4}[day.month]
            due.append(("kkcj_quarterly", f"{fiscal_year}-Q{quarter}", last))
    return due


def _kkcj_reports(session: Session, day: date) -> list[StaffNotice]:
    due = kkcj_report_due(day)
    if not due:
        return []
    query = (
        select(Staff.line_user_id, Staff.locale)
        .where(
            Staff.active.is_(True),
            Staff.line_user_id.is_not(None),
            Staff.id.in_(
                select(Contract.officer_id)
                .join(Fund, Fund.id == Contract.fund_id)
                .where(Fund.kind == FundKind.KKCJ, Contract.status == ContractStatus.ACTIVE)
            ),
        )
        .order_by(Staff.id)
    )
    by_locale: dict[str, list[str]] = defaultdict(list)
    for user_id, locale in session.execute(query):
        by_locale[locale or "th"].append(user_id)
    return [
        StaffNotice(
            key=f"{kind}:{period}:{locale}",
            recipients=users,
            locale=locale,
            kind=kind,
            data={"deadline": deadline, "period": period},
        )
        for kind, period, deadline in due
        for locale, users in sorted(by_locale.items())
    ]


# --------------------------------------------------------------------------- writing


def _outbox_row(key, recipients, messages, priority, when, purpose, contact_key, kind=None):
    return {
        "dedupe_key": key,
        "retry_key": new_retry_key(),
        "kind": str(kind or OutboxKind.PUSH),
        "recipients": list(recipients),
        "messages": list(messages),
        "priority": priority,
        "status": str(OutboxStatus.QUEUED),
        "attempts": 0,
        "next_attempt_at": when,
        "cost": len(recipients),
        "created_at": utcnow(),
        "purpose": purpose,
        "contact_key": contact_key,
    }


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_BATCH = 5000


def _insert(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows at once; a row whose unique key exists already is skipped."""
    if not rows:
        return
    insert = _INSERTS[session.get_bind().dialect.name](model).on_conflict_do_nothing()
    for start in range(0, len(rows), _BATCH):
        session.execute(insert, rows[start : start + _BATCH])


def _attach_items(session: Session, day: date) -> None:
    """Point the new items at the outbox row that carries them."""
    row_id = (
        select(OutboxMessage.id)
        .where(OutboxMessage.dedupe_key == ReminderItem.outbox_key)
        .scalar_subquery()
    )
    session.execute(
        update(ReminderItem)
        .where(
            ReminderItem.contact_day == day,
            ReminderItem.outbox_id.is_(None),
            ReminderItem.outbox_key.is_not(None),
        )
        .values(outbox_id=row_id)
        .execution_options(synchronize_session=False)
    )


def _ids_of(session: Session, keys: list[str]) -> list[int]:
    ids = []
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        ids.extend(
            session.scalars(select(OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(chunk)))
        )
    return sorted(ids)


# --------------------------------------------------------------------------- at send time

SEND, WAIT, DROP, REPLAN = "send", "wait", "drop", "replan"


def send_check(
    session: Session, row: OutboxMessage, now: datetime, zone: ZoneInfo
) -> tuple[str, datetime | None, str | None]:
    """Whether a planned row may go now: (SEND | WAIT until | DROP, when, why).

    The law first (the contact window, one reminder contact a day), then whether what it
    reminds of still applies: the installment unpaid, no slip pending, the stage not yet
    overtaken; the moratorium still ending on that day; the group's due date not passed.
    """
    if not row.purpose:
        return SEND, None, None
    if not in_window(now, zone):
        return WAIT, next_contact_time(now, zone), "outside the contact hours"
    if row.purpose == PURPOSE_NOTICE:
        return SEND, None, None
    today = now.astimezone(zone).date()
    if row.contact_key and _contacted_today(session, row, now, zone):
        tomorrow = window_of(today + timedelta(days=1), zone)[0]
        return WAIT, tomorrow, "already contacted today"
    if row.purpose == PURPOSE_STAFF:
        return SEND, None, None
    items = session.scalars(select(ReminderItem).where(ReminderItem.outbox_id == row.id)).all()
    live = [item for item in items if _still_applies(session, item, today)]
    if not live:
        return DROP, None, "paid, slip pending or overtaken"
    if row.purpose == PURPOSE_REMINDER and (
        len(live) < len(items) or _paid_since(session, row, items)
    ):
        # The text carries planning time's figures: plan it again from today's.
        return REPLAN, None, "figures changed since planning: planned again"
    return SEND, None, None


def _paid_since(session: Session, row: OutboxMessage, items: list[ReminderItem]) -> bool:
    """Whether a payment (or a reversal) was recorded on the row's contracts after planning."""
    contracts = {item.contract_id for item in items if item.kind == ITEM_INSTALLMENT}
    if not contracts:
        return False
    found = session.scalar(
        select(Payment.id)
        .where(Payment.contract_id.in_(contracts), Payment.created_at >= row.created_at)
        .limit(1)
    )
    return found is not None


def release_for_replanning(session: Session, row: OutboxMessage, why: str) -> None:
    """Retire an unsent debtor row whose figures changed, so the next planning run (the same
    day) plans what still applies afresh, with current amounts and a new retry key.

    The row keeps its history as `dropped`; its key is freed for the new row of the day, and
    its items are forgotten, so the debtor is not taken as already reminded that day.
    """
    session.execute(ReminderItem.__table__.delete().where(ReminderItem.outbox_id == row.id))
    row.dedupe_key = f"{row.dedupe_key}:replanned:{row.id}"
    row.status = OutboxStatus.DROPPED
    row.last_error = why


def _contacted_today(session: Session, row: OutboxMessage, now: datetime, zone) -> bool:
    opens = window_of(now.astimezone(zone).date(), zone)[0]
    sent = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.contact_key == row.contact_key,
            OutboxMessage.id != row.id,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at >= opens,
        )
        .limit(1)
    )
    return sent is not None


def _still_applies(session: Session, item: ReminderItem, today: date) -> bool:
    if today > item.expires_on:
        return False
    if item.kind == ITEM_GROUP:
        return True
    if item.kind == ITEM_PROMISE:
        promise = session.get(FieldReport, item.ref_id)
        return (
            promise is not None
            and promise.reversed_at is None
            and promise.promise_status == PROMISE_OPEN
        )
    if item.kind == ITEM_MORATORIUM:
        relief = session.get(ReliefMeasure, item.ref_id)
        return relief is not None and relief.end_date == item.due_date
    installment = session.get(Installment, item.ref_id)
    if installment is None or installment.remaining <= 0:
        return False
    if installment.superseded_on is not None and installment.superseded_on <= today:
        return False
    pending = session.scalar(
        select(Payment.id)
        .where(Payment.contract_id == item.contract_id, Payment.state == PaymentState.PENDING)
        .limit(1)
    )
    return pending is None


# --------------------------------------------------------------------------- the quota


def hold_beyond_quota(session: Session, remaining: int | None) -> tuple[int, int]:
    """Queue planned rows in priority order up to `remaining` messages; hold the rest.

    Returns (queued, held). Held rows go back to the queue when a later run finds room
    (more quota bought, or the month turned).
    """
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.cost, OutboxMessage.status)
        .where(
            OutboxMessage.purpose.is_not(None),
            OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.HELD]),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
    ).all()
    keep, hold = [], []
    budget = remaining
    for row_id, cost, _status in rows:
        if budget is None or cost <= budget:
            keep.append(row_id)
            if budget is not None:
                budget -= cost
        else:
            hold.append(row_id)
            budget = 0  # strict priority order: nothing lower jumps ahead of a held row
    for ids, status in ((keep, OutboxStatus.QUEUED), (hold, OutboxStatus.HELD)):
        for start in range(0, len(ids), _BATCH):
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids[start : start + _BATCH]),
                    OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.HELD]),
                )
                .values(status=status)
                .execution_options(synchronize_session=False)
            )
    return len(keep), len(hold)


__all__ = [
    "DebtorReminder",
    "GroupNotice",
    "Item",
    "PlanResult",
    "ReminderItem",
    "StaffNotice",
    "VisitTask",
    "hold_beyond_quota",
    "kkcj_report_due",
    "plan",
    "send_check",
]
