"""Arrears totals per home area and date, kept once computed: the overview and its trend.

An area's figures on a date change only when one of its own contracts changes in a way the
arrears engine sees: an allocation (a payment or its reversal) dated on or before that date,
a relief measure, a new or replaced schedule, a contract or a borrower moving. Every such
change is written through the ORM (the ledger, relief, schedules, the register upsert) or by
the bulk loader: after each flush `_note_changes` marks the areas touched, and the bulk
loader marks every area (`forget_all`). Dates before a payment's date stay valid.

Validity is a version per area (arrears_area_version; no row means 0), raised in the
writer's own transaction. A snapshot counts only at its area's current version. A reader
reads the versions before it computes, so figures computed from data older than a
concurrent change are stored under the old version and never served. A change dated D moves
the area's snapshots dated before D to the new version in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    and_,
    event,
    func,
    inspect,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.area import Area, within
from models.arrears import AGING_BUCKETS, DEBTOR_CLASSES, ArrearsTotals, home_area_totals
from models.base import Base, Money, from_satang
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.payment import Allocation, Payment
from models.relief import ReliefMeasure
from models.types import PaymentState


class ArrearsSnapshot(Base):
    """The arrears totals of the contracts whose borrowers live in one area, on one date."""

    __tablename__ = "arrears_snapshot"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    contracts: Mapped[int] = mapped_column(Integer)
    outstanding: Mapped[Decimal] = mapped_column(Money)
    overdue: Mapped[Decimal] = mapped_column(Money)
    overdue_contracts: Mapped[int] = mapped_column(Integer)
    # Confirmed payments (reversals subtracted) dated from the 1st of as_of's month to as_of.
    collected: Mapped[Decimal] = mapped_column(Money)
    # Contracts per debtor class and per aging bucket (integers read faster than JSON).
    class_normal: Mapped[int] = mapped_column(Integer)
    class_late: Mapped[int] = mapped_column(Integer)
    class_moratorium: Mapped[int] = mapped_column(Integer)
    class_restructured: Mapped[int] = mapped_column(Integer)
    class_restructured_late: Mapped[int] = mapped_column(Integer)
    class_defaulted: Mapped[int] = mapped_column(Integer)
    class_paid_off: Mapped[int] = mapped_column(Integer)
    age_current: Mapped[int] = mapped_column(Integer)
    age_1_30: Mapped[int] = mapped_column(Integer)
    age_31_60: Mapped[int] = mapped_column(Integer)
    age_61_90: Mapped[int] = mapped_column(Integer)
    age_91_180: Mapped[int] = mapped_column(Integer)
    age_181_365: Mapped[int] = mapped_column(Integer)
    age_365_plus: Mapped[int] = mapped_column(Integer)


class ArrearsAreaVersion(Base):
    """How many arrears-changing writes an area has seen: snapshots at another are stale."""

    __tablename__ = "arrears_area_version"

    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


_snap = ArrearsSnapshot.__table__
_version = ArrearsAreaVersion.__table__
CLASS_COLUMNS = {c: f"class_{c}" for c in DEBTOR_CLASSES}
BUCKET_COLUMNS = {b: "age_" + b.replace("-", "_").replace("+", "_plus") for b in AGING_BUCKETS}


@dataclass(frozen=True, kw_only=True)
class AreaSnapshot(ArrearsTotals):
    """An area's arrears totals on a date, and what its debtors paid that month up to it."""

    collected: Decimal


def area_totals(
    session: Session, scope: list[str], dates: Iterable[date]
) -> dict[date, dict[int, AreaSnapshot]]:
    """Per date, the totals of each home area inside `scope` that has contracts or payments.

    Missing or stale snapshots are computed (one engine query per date, for just those areas)
    and stored in the session's transaction: commit it to keep them.
    """
    dates = sorted(set(dates))
    ensure(session, scope, dates)
    found: dict[date, dict[int, AreaSnapshot]] = {d: {} for d in dates}
    classes = [_snap.c[name] for name in CLASS_COLUMNS.values()]
    buckets = [_snap.c[name] for name in BUCKET_COLUMNS.values()]
    query = (
        _valid(scope, dates)
        .add_columns(
            _snap.c.as_of,
            _snap.c.area_id,
            Area.path,
            _snap.c.contracts,
            _snap.c.outstanding,
            _snap.c.overdue,
            _snap.c.overdue_contracts,
            _snap.c.collected,
            *classes,
            *buckets,
        )
        .where(or_(_snap.c.contracts > 0, _snap.c.collected != 0))
    )
    split = 8 + len(classes)
    for row in session.connection().execute(query):
        as_of, area_id, path, contracts, outstanding, overdue, late, collected = row[:8]
        found[as_of][area_id] = AreaSnapshot(
            group=path,
            contracts=contracts,
            outstanding_principal=outstanding,
            overdue_amount=overdue,
            overdue_contracts=late,
            collected=collected,
            debtor_classes=dict(zip(DEBTOR_CLASSES, row[8:split], strict=True)),
            aging_buckets=dict(zip(AGING_BUCKETS, row[split:], strict=True)),
        )
    return found


def overdue_by_date(
    session: Session, scope: list[str], dates: Iterable[date], *, limit: int | None = None
) -> dict[date, Decimal]:
    """The overdue amount of all contracts inside `scope` on each date (stored as above).

    `limit`: compute at most this many stale dates (the latest first); the dates still
    stale after that are left out of the answer.
    """
    dates = sorted(set(dates))
    complete = ensure(session, scope, dates, limit=limit)
    query = (
        _valid(scope, complete)
        .add_columns(_snap.c.as_of, func.sum(_snap.c.overdue))
        .group_by(_snap.c.as_of)
    )
    totals = dict.fromkeys(complete, Decimal("0.00"))
    totals.update({d: amount for d, amount in session.connection().execute(query)})
    return totals


def _valid(scope: list[str], dates: list[date]):
    """A query over the snapshots of `dates` for areas inside `scope`, at their version."""
    return (
        select()
        .select_from(_snap)
        .join(Area, Area.id == _snap.c.area_id)
        .outerjoin(_version, _version.c.area_id == _snap.c.area_id)
        .where(
            within(Area.path, scope),
            _snap.c.as_of.in_(dates),
            _snap.c.version == func.coalesce(_version.c.version, 0),
        )
    )


def ensure(
    session: Session, scope: list[str], dates: list[date], *, limit: int | None = None
) -> list[date]:
    """Compute and store the snapshots of `dates` that are missing or stale inside `scope`:
    all of them, or the latest `limit` dates that need it. Returns the dates now complete.
    """
    connection = session.connection()
    # Read before computing: a change committed meanwhile leaves what is stored stale.
    versions = dict(
        connection.execute(
            select(Area.id, func.coalesce(_version.c.version, 0))
            .outerjoin(_version, _version.c.area_id == Area.id)
            .where(within(Area.path, scope))
        ).all()
    )
    counts = dict(
        connection.execute(
            _valid(scope, dates).add_columns(_snap.c.as_of, func.count()).group_by(_snap.c.as_of)
        ).all()
    )
    complete = [d for d in dates if counts.get(d, 0) >= len(versions)]
    stale = sorted(set(dates) - set(complete), reverse=True)
    for as_of in stale[:limit]:
        fresh = set(connection.scalars(_valid(scope, [as_of]).add_columns(_snap.c.area_id)).all())
        missing = [area_id for area_id in versions if area_id not in fresh]
        whole = len(missing) == len(versions)
        chosen = None if whole else missing
        totals = home_area_totals(session, as_of, scope=scope, area_ids=chosen)
        paid = _collected(connection, scope, chosen, as_of)
        rows = {a: (versions[a], totals.get(a, {}), paid.get(a, 0)) for a in missing}
        _store(connection, as_of, rows)
        complete.append(as_of)
    return sorted(complete)


def _collected(connection, scope: list[str], area_ids: list[int] | None, as_of: date) -> dict:
    """Satang received per home area from the 1st of as_of's month to as_of.

    A reversal is a confirmed negative payment dated like the original, which is marked
    reversed: counting both leaves nothing, as if the money never came.
    """
    query = (
        select(Borrower.area_id, func.sum(type_coerce(Payment.amount, BigInteger)))
        .join(Contract, Contract.id == Payment.contract_id)
        .join(Borrower, Borrower.id == Contract.borrower_id)
        .join(Area, Area.id == Borrower.area_id)
        .where(
            within(Area.path, scope),
            Payment.state.in_([PaymentState.CONFIRMED, PaymentState.REVERSED]),
            Payment.paid_on.between(as_of.replace(day=1), as_of),
        )
        .group_by(Borrower.area_id)
    )
    if area_ids is not None:
        query = query.where(Borrower.area_id.in_(area_ids))
    return {area_id: int(total or 0) for area_id, total in connection.execute(query)}


def _store(connection, as_of: date, rows: dict[int, tuple[int, dict, int]]) -> None:
    """Upsert one date's snapshots: (version, totals, satang collected) per area."""
    values = []
    for area_id, (version, totals, collected) in rows.items():
        classes = totals.get("debtor_classes", {})
        buckets = totals.get("aging_buckets", {})
        values.append(
            {
                "area_id": area_id,
                "as_of": as_of,
                "version": version,
                "contracts": totals.get("contracts", 0),
                "outstanding": totals.get("outstanding_principal", Decimal(0)),
                "overdue": totals.get("overdue_amount", Decimal(0)),
                "overdue_contracts": totals.get("overdue_contracts", 0),
                "collected": from_satang(collected),
                **{column: classes.get(c, 0) for c, column in CLASS_COLUMNS.items()},
                **{column: buckets.get(b, 0) for b, column in BUCKET_COLUMNS.items()},
            }
        )
    if not values:
        return
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(_snap)
    replace = {c: statement.excluded[c] for c in values[0] if c not in ("area_id", "as_of")}
    connection.execute(
        statement.on_conflict_do_update(index_elements=["area_id", "as_of"], set_=replace),
        values,
    )


def forget(connection, changes: dict[int, date | None]) -> None:
    """Make areas' snapshots dated on or after a date (None: every date) stale."""
    if not changes:
        return
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(_version)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["area_id"], set_={"version": _version.c.version + 1}
        ),
        [{"area_id": area_id, "version": 1} for area_id in sorted(changes)],
    )
    by_date: dict[date, list[int]] = {}
    for area_id, since in changes.items():
        if since is not None:
            by_date.setdefault(since, []).append(area_id)
    for since, area_ids in sorted(by_date.items()):
        # Earlier dates did not change: they follow the area to its new version.
        connection.execute(
            _snap.update()
            .where(and_(_snap.c.area_id.in_(area_ids), _snap.c.as_of < since))
            .values(version=_snap.c.version + 1)
        )


def forget_all(connection) -> None:
    """Make every snapshot stale (after a bulk load, which writes around the ORM)."""
    connection.execute(
        text(
            "INSERT INTO arrears_area_version (area_id, version) SELECT id, 1 FROM area WHERE 1=1 "
            "ON CONFLICT (area_id) DO UPDATE SET version = arrears_area_version.version + 1"
        )
    )


# --- noticing changes made through the ORM ---------------------------------------------------

_PAID_SO_FAR = frozenset({"principal_paid", "interest_paid"})  # follow allocations, seen there
_ALL = None  # every date


def _changed_columns(obj) -> set[str]:
    state = inspect(obj)
    return {
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    }


def _earliest(changes: dict, key, since: date | None) -> None:
    if key in changes and changes[key] is _ALL:
        return
    if since is _ALL or key not in changes:
        changes[key] = since
    else:
        changes[key] = min(changes[key], since)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    """Mark the areas whose arrears the flushed objects change (in the same transaction)."""
    by_contract: dict[int, date | None] = {}
    by_area: dict[int, date | None] = {}
    for obj in session.new:
        if isinstance(obj, Allocation | Payment):
            _earliest(by_contract, obj.contract_id, obj.paid_on)
        elif isinstance(obj, Installment | ReliefMeasure):
            _earliest(by_contract, obj.contract_id, _ALL)
        elif isinstance(obj, Contract):
            _earliest(by_contract, obj.id, _ALL)
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Installment) and _changed_columns(obj) - _PAID_SO_FAR:
            _earliest(by_contract, obj.contract_id, _ALL)
        elif isinstance(obj, Payment) and _changed_columns(obj) & {"state", "amount", "paid_on"}:
            # Confirmed, rejected or reversed: what was collected from its date on.
            _earliest(by_contract, obj.contract_id, min(_before_and_after(obj, "paid_on")))
        elif isinstance(obj, Allocation | ReliefMeasure) and (
            obj in session.deleted or _changed_columns(obj)
        ):
            _earliest(by_contract, obj.contract_id, _ALL)
        elif isinstance(obj, Contract) and (
            obj in session.deleted or "borrower_id" in _changed_columns(obj)
        ):
            for borrower_id in _before_and_after(obj, "borrower_id"):
                area_id = session.connection().scalar(
                    select(Borrower.area_id).where(Borrower.id == borrower_id)
                )
                if area_id is not None:
                    _earliest(by_area, area_id, _ALL)
        elif isinstance(obj, Borrower) and (
            obj in session.deleted or "area_id" in _changed_columns(obj)
        ):
            for area_id in _before_and_after(obj, "area_id"):
                _earliest(by_area, area_id, _ALL)
    if by_contract:
        connection = session.connection()
        homes = connection.execute(
            select(Contract.id, Borrower.area_id)
            .join(Borrower, Borrower.id == Contract.borrower_id)
            .where(Contract.id.in_(list(by_contract)))
        )
        for contract_id, area_id in homes:
            _earliest(by_area, area_id, by_contract[contract_id])
    if by_area:
        forget(session.connection(), by_area)


def _before_and_after(obj, key: str) -> set:
    history = inspect(obj).attrs[key].history
    values = {*history.deleted, *history.added, *history.unchanged}
    return {v for v in values if v is not None}
