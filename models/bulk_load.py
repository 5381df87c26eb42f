"""Writing thousands of borrowers, contracts and payments at once, audited like one by one.

The per-row functions (create_contract, record_payment, ...) flush after each row, which
costs a round trip per statement: a 10,000-row register took minutes. Here the same rules
run in Python (build_schedule, split_payment, position, describe_payment are shared with
models/schedule.py and models/ledger.py), ids come from the database's own counters in
blocks, and the rows and their audit entries are inserted in batches at the end. The rows
and the audit entries are the ones the per-row functions write, in the same order of ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.orm import Session

from models.area import Area
from models.audit import Actor, AuditEntry, audit_row
from models.base import Money, to_satang, utcnow
from models.borrower import Borrower, shown_in_audit
from models.contract import Contract, Installment, contract_number_key
from models.errors import DomainError
from models.ledger import describe_payment, open_installments, position, split_payment
from models.ledger import remaining_total as _remaining_total
from models.payment import Allocation, Payment
from models.relief import ReliefMeasure
from models.relief_rules import (
    apply_restructuring,
    check_moratorium,
    defer,
    moratorium_after,
    plan_restructuring,
)
from models.schedule import build_schedule, checked_terms, installment_values, round_satang
from models.types import (
    BorrowerKind,
    ContractStatus,
    Frequency,
    PaymentChannel,
    PaymentState,
    ReliefKind,
)

ZERO = Decimal("0.00")
BATCH_ROWS = 5_000
ID_BLOCK = 5_000
Progress = Callable[[int], None]


class NewInstallment:
    """An installment held in memory (new, or loaded to take a payment)."""

    __slots__ = (
        "id",
        "contract_id",
        "schedule_no",
        "seq",
        "due_date",
        "original_due_date",
        "principal_due",
        "interest_due",
        "principal_paid",
        "interest_paid",
        "effective_from",
        "superseded_on",
        "stored",
        "changed",
    )

    def __init__(
        self,
        id: int,  # noqa: A002
        contract_id: int,
        schedule_no: int,
        seq: int,
        due_date: date,
        original_due_date: date,
        principal_due: Decimal,
        interest_due: Decimal,
        principal_paid: Decimal,
        interest_paid: Decimal,
        effective_from: date,
        superseded_on: date | None = None,
    ) -> None:
        self.id = id
        self.contract_id = contract_id
        self.schedule_no = schedule_no
        self.seq = seq
        self.due_date = due_date
        self.original_due_date = original_due_date
        self.principal_due = principal_due
        self.interest_due = interest_due
        self.principal_paid = principal_paid
        self.interest_paid = interest_paid
        self.effective_from = effective_from
        self.superseded_on = superseded_on
        self.stored = False
        self.changed = False

    @property
    def remaining(self) -> Decimal:
        """What is still to pay on this installment."""
        return self.principal_due + self.interest_due - self.principal_paid - self.interest_paid

    def row(self) -> dict[str, Any]:
        """The values of its installment row."""
        return {key: getattr(self, key) for key in _INSTALLMENT_COLUMNS}


_INSTALLMENT_COLUMNS = NewInstallment.__slots__[:-2]


class NewContract:
    """A contract held in memory with its installments, as the ledger and relief rules
    need it; `row` is its contract row while it is new (changes go into it)."""

    __slots__ = (
        "id",
        "contract_no",
        "status",
        "frequency",
        "annual_interest_rate",
        "contract_date",
        "schedule_no",
        "installment_count",
        "installments",
        "rounds",
        "row",
        "stored",
        "changed",
    )

    def __init__(self, id: int, contract_no: str, status: ContractStatus, frequency: Frequency):  # noqa: A002
        self.id = id
        self.contract_no = contract_no
        self.status = status
        self.frequency = frequency
        self.installments: list[NewInstallment] = []
        self.rounds: set[int] = set()
        self.row: dict | None = None
        self.stored = False
        self.changed = False

    @property
    def current_installments(self) -> list[NewInstallment]:
        """The installments not superseded by a restructuring."""
        return [i for i in self.installments if i.superseded_on is None]


class _Record:
    """A row built in memory before the bulk insert: its fields given by keyword."""

    __slots__ = ()

    def __init__(self, **values: Any) -> None:
        for key, value in values.items():
            setattr(self, key, value)


class NewPayment(_Record):
    """A payment and its allocations, in the shape describe_payment reads."""

    __slots__ = (
        "id",
        "contract_id",
        "amount",
        "paid_on",
        "channel",
        "state",
        "unallocated",
        "reference",
        "allocations",
    )


class NewAllocation(_Record):
    """One allocation of a payment to an installment."""

    __slots__ = (
        "id",
        "payment_id",
        "installment_id",
        "contract_id",
        "paid_on",
        "principal",
        "interest",
    )


def remaining_total(contract: NewContract) -> Decimal:
    """Principal and interest still owed on the schedule in force (models.ledger's rule)."""
    return _remaining_total(contract)


class _Ids:
    """New primary keys for one table, from the database's own counter, a block at a time.

    PostgreSQL: the column's sequence (concurrent writers get other numbers). SQLite: the
    next rowid, safe because the Book holds the write lock from its first id on.
    """

    def __init__(self, session: Session, table: Table, *, dry_run: bool) -> None:
        self.session = session
        self.table = table
        self.dry_run = dry_run
        self.block: list[int] = []
        self.next_sqlite: int | None = None
        self.counted = dry_run or session.get_bind().dialect.name == "sqlite"

    def take(self) -> int:
        if self.counted:
            if self.next_sqlite is None:
                self.next_sqlite = self._max_id() + 1
            self.next_sqlite += 1
            return self.next_sqlite - 1
        if not self.block:
            query = text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :n) ORDER BY 1 DESC"
            )
            self.block = list(
                self.session.scalars(query, {"table": self.table.name, "n": ID_BLOCK})
            )
        return self.block.pop()

    def _max_id(self) -> int:
        if not self.dry_run:
            # A write that changes nothing takes SQLite's write lock for the transaction,
            # so no one else can take the same ids before this one commits.
            self.session.execute(text(f"UPDATE {self.table.name} SET id = id WHERE 0"))  # noqa: S608
        return self.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {self.table.name}")) or 0  # noqa: S608


def _satang(value: Decimal | None) -> int | None:
    """Money's bind conversion, fast for the two-place Decimals the ledger makes."""
    if value is None:
        return None
    if type(value) is Decimal:
        satang = value * 100
        whole = int(satang)
        if whole == satang:
            return whole
    return to_satang(value)


def _processor(column_type, dialect):
    """The column type's bind processor (Money's own, faster, on the bulk path)."""
    if isinstance(column_type, Money):
        return _satang
    return column_type.dialect_impl(dialect).bind_processor(dialect)


class Book:
    """New and changed ledger rows kept in memory, then written in batches with `write`.

    With `dry_run`, ids are counted locally and nothing is locked or written.
    """

    def __init__(self, session: Session, actor: Actor, *, dry_run: bool = False) -> None:
        self.session = session
        self.actor = actor
        self.dry_run = dry_run
        self._ids = {
            model: _Ids(session, model.__table__, dry_run=dry_run)
            for model in (
                Area,
                Borrower,
                Contract,
                Installment,
                Payment,
                Allocation,
                ReliefMeasure,
            )
        }
        self.borrowers: list[dict[str, Any]] = []
        self.borrower_updates: list[dict[str, Any]] = []
        self.contracts: list[dict[str, Any]] = []
        self.contract_objects: list[NewContract] = []
        self.adopted: list[NewContract] = []
        self.payments: list[NewPayment] = []
        self.reliefs: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []

    def take_id(self, model: type) -> int:
        """A new primary key for a row of `model` (Area, Borrower, Contract, ...)."""
        return self._ids[model].take()

    # ------------------------------------------------------------------ borrowers

    def add_borrower(
        self,
        *,
        kind: BorrowerKind,
        title: str | None,
        name: str,
        name_key: str,
        phone: str | None,
        national_id_hash: str | None,
        national_id_last4: str | None,
        area_id: int,
        area_path: str,
        locale: str,
        representative_name: str | None = None,
    ) -> int:
        """A new borrower's id; audited as borrower.create (models.borrower's entry)."""
        borrower_id = self._ids[Borrower].take()
        kind = BorrowerKind(kind)
        self.borrowers.append(
            {
                "id": borrower_id,
                "kind": kind,
                "title": title,
                "name": name,
                "name_key": name_key,
                "representative_name": None,
                "phone": phone or None,
                "national_id_hash": national_id_hash,
                "national_id_last4": national_id_last4,
                "area_id": area_id,
                "line_user_id": None,
                "line_reachable": True,
                "locale": locale,
                "created_at": utcnow(),
            }
        )
        after = {
            "kind": kind,
            "title": title,
            "name": name,
            "phone": phone or None,
            "national_id_last4": national_id_last4,
            "area": area_path,
        }
        self._audit("borrower.create", "borrower", borrower_id, after=shown_in_audit(after))
        if representative_name:
            self.borrowers[-1]["representative_name"] = representative_name
            self._audit(
                "borrower.update",
                "borrower",
                borrower_id,
                before={"representative_name": None},
                after={"representative_name": representative_name},
            )
        return borrower_id

    def update_borrower(self, borrower_id: int, before: dict, after: dict) -> None:
        """Changed fields of a stored borrower (from models.borrower.borrower_changes)."""
        self.borrower_updates.append({"id": borrower_id, **after})
        self._audit(
            "borrower.update",
            "borrower",
            borrower_id,
            before=shown_in_audit(before),
            after=shown_in_audit(after),
        )

    # ------------------------------------------------------------------ contracts

    def _new_installments(
        self, contract: NewContract, schedule_no: int, lines, effective_from: date
    ) -> list[NewInstallment]:
        """Installment rows, nothing paid yet, for these schedule lines of a new contract."""
        take = self._ids[Installment].take
        values = installment_values(lines, schedule_no=schedule_no, effective_from=effective_from)
        return [NewInstallment(id=take(), contract_id=contract.id, **row) for row in values]

    def add_contract(
        self,
        *,
        fund_id: int,
        borrower_id: int,
        contract_no: str,
        principal: Decimal,
        annual_interest_rate: Decimal,
        contract_date: date,
        first_due_date: date,
        installment_count: int,
        frequency: Frequency,
        officer_id: int | None = None,
    ) -> NewContract:
        """A new contract with schedule 1, as models.schedule.create_contract makes it."""
        principal, annual_interest_rate = checked_terms(
            principal, annual_interest_rate, installment_count, contract_date, first_due_date
        )
        frequency = Frequency(frequency)
        contract_no = contract_no.strip()
        contract = NewContract(
            self._ids[Contract].take(), contract_no, ContractStatus.ACTIVE, frequency
        )
        lines = build_schedule(
            principal, annual_interest_rate, first_due_date, installment_count, frequency
        )
        contract.installments = self._new_installments(contract, 1, lines, contract_date)
        self.contracts.append(
            {
                "id": contract.id,
                "fund_id": fund_id,
                "contract_no": contract_no,
                "number_key": contract_number_key(contract_no),
                "borrower_id": borrower_id,
                "principal": principal,
                "annual_interest_rate": annual_interest_rate,
                "contract_date": contract_date,
                "first_due_date": first_due_date,
                "installment_count": installment_count,
                "frequency": frequency,
                "officer_id": officer_id,
                "status": ContractStatus.ACTIVE,
                "schedule_no": 1,
                "created_at": utcnow(),
            }
        )
        contract.row = self.contracts[-1]
        contract.annual_interest_rate = annual_interest_rate
        contract.contract_date = contract_date
        contract.schedule_no = 1
        contract.installment_count = installment_count
        self.contract_objects.append(contract)
        self._audit(
            "contract.create",
            "contract",
            contract.id,
            after={
                "fund_id": fund_id,
                "contract_no": contract_no,
                "borrower_id": borrower_id,
                "principal": principal,
                "annual_interest_rate": str(annual_interest_rate),
                "contract_date": contract_date,
                "first_due_date": first_due_date,
                "installment_count": installment_count,
                "frequency": frequency,
                "officer_id": officer_id,
            },
        )
        return contract

    def adopt_contract(self, contract_id: int) -> NewContract:
        """A stored contract with its installments, loaded to take a payment."""
        stored = self.session.execute(
            select(Contract.contract_no, Contract.status, Contract.frequency).where(
                Contract.id == contract_id
            )
        ).one()
        contract = NewContract(contract_id, stored.contract_no, stored.status, stored.frequency)
        contract.stored = True
        columns = [getattr(Installment, key) for key in _INSTALLMENT_COLUMNS]
        query = (
            select(*columns)
            .where(Installment.contract_id == contract_id)
            .order_by(Installment.schedule_no, Installment.seq)
        )
        for row in self.session.execute(query):
            installment = NewInstallment(**row._mapping)
            installment.stored = True
            contract.installments.append(installment)
        self.adopted.append(contract)
        return contract

    # ------------------------------------------------------------------ payments

    def pay(
        self,
        contract: NewContract,
        amount: Decimal,
        paid_on: date,
        channel: PaymentChannel,
        *,
        reference: str | None = None,
    ) -> NewPayment:
        """A confirmed payment, allocated and audited as models.ledger.record_payment does."""
        amount = round_satang(Decimal(amount))
        if amount <= 0:
            raise DomainError("payment_not_positive")
        payment = NewPayment(
            id=self._ids[Payment].take(),
            contract_id=contract.id,
            amount=amount,
            paid_on=paid_on,
            channel=PaymentChannel(channel),
            state=PaymentState.CONFIRMED,
            unallocated=ZERO,
            reference=reference,
            allocations=[],
        )
        targets = open_installments(contract)
        before = position(contract, targets)
        parts, left = split_payment(amount, targets)
        take = self._ids[Allocation].take
        for installment, interest, principal in parts:
            installment.interest_paid += interest
            installment.principal_paid += principal
            installment.changed = True
            payment.allocations.append(
                NewAllocation(
                    id=take(),
                    payment_id=payment.id,
                    installment_id=installment.id,
                    contract_id=contract.id,
                    paid_on=paid_on,
                    principal=principal,
                    interest=interest,
                )
            )
        payment.unallocated = left
        self._update_status(contract)
        touched = [installment for installment, _i, _p in parts]
        self.payments.append(payment)
        self._audit(
            "payment.record",
            "payment",
            payment.id,
            before=before,
            after={**describe_payment(payment), **position(contract, touched)},
        )
        return payment

    # ------------------------------------------------------------------ relief

    def add_moratorium(
        self, contract: NewContract, *, round_no: int, start: date, end: date
    ) -> int:
        """models.relief_rules.add_moratorium on a new contract; the relief measure's id."""
        self._require_new(contract)
        check_moratorium(contract, round_no=round_no, start=start, end=end)
        if round_no in contract.rounds:
            raise DomainError(
                "moratorium_round_exists", round=round_no, contract=contract.contract_no
            )
        contract.rounds.add(round_no)
        frequency = Frequency(contract.frequency)
        deferred, periods, before = defer(contract, start, end)
        relief_id = self._ids[ReliefMeasure].take()
        self.reliefs.append(
            self._relief_row(
                relief_id,
                contract,
                ReliefKind.MORATORIUM,
                round_no=round_no,
                start_date=start,
                end_date=end,
                terms={
                    "periods_deferred": periods,
                    "installments_deferred": len(deferred) if periods else 0,
                    "frequency": frequency.value,
                },
            )
        )
        self._audit(
            "relief.moratorium",
            "contract",
            contract.id,
            before={"installments": before},
            after=moratorium_after(relief_id, round_no, start, end, deferred, periods),
        )
        return relief_id

    def restructure(
        self,
        contract: NewContract,
        *,
        installments: int,
        first_due: date,
        rate: Decimal | None = None,
        frequency: Frequency | None = None,
        effective: date,
    ) -> int:
        """models.relief_rules.restructure on a new contract; the relief measure's id."""
        self._require_new(contract)
        plan = plan_restructuring(
            contract,
            installments=installments,
            first_due=first_due,
            rate=rate,
            frequency=frequency,
            effective=effective,
        )
        new_rows = self._new_installments(contract, plan.schedule_no, plan.lines, effective)
        new_rows[0].interest_due += plan.carried
        contract.installments.extend(new_rows)
        apply_restructuring(contract, plan)
        contract.row.update(
            schedule_no=contract.schedule_no,
            annual_interest_rate=contract.annual_interest_rate,
            frequency=contract.frequency,
            installment_count=contract.installment_count,
        )
        relief_id = self._ids[ReliefMeasure].take()
        self.reliefs.append(
            self._relief_row(
                relief_id,
                contract,
                ReliefKind.RESTRUCTURING,
                round_no=None,
                start_date=effective,
                end_date=None,
                terms=plan.terms,
            )
        )
        self._audit(
            "relief.restructure",
            "contract",
            contract.id,
            before=plan.before,
            after={"relief_id": relief_id, "effective": effective, **plan.terms},
        )
        return relief_id

    def _relief_row(self, relief_id: int, contract: NewContract, kind: ReliefKind, **values):
        return {
            "id": relief_id,
            "contract_id": contract.id,
            "kind": kind,
            **values,
            "recorded_by": self.actor.name,
            "created_at": utcnow(),
        }

    @staticmethod
    def _require_new(contract: NewContract) -> None:
        if contract.row is None:
            # Relief on stored contracts goes through models.relief_rules, one at a time.
            raise ValueError("the bulk loader gives relief only to contracts it creates")

    def _update_status(self, contract: NewContract) -> None:
        """Paid off when nothing remains in force (models.ledger's rule), audited."""
        if contract.status is ContractStatus.CLOSED:
            return
        paid_off = remaining_total(contract) <= 0
        status = ContractStatus.PAID_OFF if paid_off else ContractStatus.ACTIVE
        if status is contract.status:
            return
        self._audit(
            "contract.status",
            "contract",
            contract.id,
            before={"status": contract.status},
            after={"status": status},
        )
        contract.status = status
        contract.changed = True
        if contract.row is not None:
            contract.row["status"] = status

    def _audit(self, action: str, entity: str, entity_id: int | None, **values: Any) -> None:
        if self.dry_run:
            return  # nothing will be written: spare the work
        self.audits.append(audit_row(self.actor, action, entity, entity_id, **values))

    # ------------------------------------------------------------------ writing

    def row_count(self) -> int:
        """How many rows `write` will insert or update, for a progress bar."""
        installments = sum(len(c.installments) for c in self.contract_objects)
        allocations = sum(len(p.allocations) for p in self.payments)
        return (
            len(self.borrowers)
            + len(self.contracts)
            + installments
            + len(self.payments)
            + allocations
            + len(self.reliefs)
            + len(self.audits)
        )

    def write(self, progress: Progress | None = None) -> None:
        """Insert and update everything held, in batches, parents before children; then
        let go of it (a caller may write a long file in parts, in one transaction).
        A dry-run book only lets go."""
        if not self.dry_run:
            self._write(progress or (lambda _n: None))
        for contract in (*self.contract_objects, *self.adopted):
            # Written: nothing may change them in memory any more.
            contract.installments = []
            contract.row = None
        for held in (
            self.borrowers,
            self.borrower_updates,
            self.contracts,
            self.contract_objects,
            self.adopted,
            self.payments,
            self.reliefs,
            self.audits,
        ):
            held.clear()

    def _write(self, tick: Progress) -> None:
        self._insert(Borrower.__table__, self.borrowers, tick)
        self._update_borrowers()
        self._insert(Contract.__table__, self.contracts, tick)
        installments = (i.row() for c in self.contract_objects for i in c.installments)
        self._insert(Installment.__table__, installments, tick)
        self._insert(Payment.__table__, (self._payment_row(p) for p in self.payments), tick)
        allocations = (
            {key: getattr(a, key) for key in NewAllocation.__slots__}
            for p in self.payments
            for a in p.allocations
        )
        self._insert(Allocation.__table__, allocations, tick)
        self._insert(ReliefMeasure.__table__, self.reliefs, tick)
        self._update_adopted()
        self._insert(AuditEntry.__table__, self.audits, tick)

    def _payment_row(self, payment: NewPayment) -> dict[str, Any]:
        return {
            "id": payment.id,
            "contract_id": payment.contract_id,
            "amount": payment.amount,
            "paid_on": payment.paid_on,
            "channel": payment.channel,
            "state": payment.state,
            "unallocated": payment.unallocated,
            "recorded_by": self.actor.name,
            "source": self.actor.source,
            "reference": payment.reference,
            "slip_path": None,
            "note": None,
            "reverses_id": None,
            "created_at": utcnow(),
        }

    def _insert(self, table: Table, rows: Iterable[dict], tick: Progress) -> None:
        """Rows into `table` through the driver: COPY on PostgreSQL, executemany on SQLite.

        The values go through the columns' own bind processors (satang, enums, JSON,
        UTC datetimes), the same conversion an ORM insert applies, once per value.
        """
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        connection = self.session.connection()
        dialect = connection.dialect
        columns = list(first)
        converted = [
            (index, process)
            for index, key in enumerate(columns)
            if (process := _processor(table.c[key].type, dialect)) is not None
        ]
        pick = itemgetter(*columns)

        def values(row: dict) -> tuple:
            value = list(pick(row))
            for index, process in converted:
                value[index] = process(value[index])
            return tuple(value)

        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(key) for key in columns)
        batch = [values(first)]
        if dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
            ):
                copy.write_row(batch[0])
                for count, row in enumerate(rows, start=2):
                    copy.write_row(values(row))
                    if count % BATCH_ROWS == 0:
                        tick(BATCH_ROWS)
            tick(count % BATCH_ROWS if "count" in locals() else 1)
            return
        marks = ", ".join("?" for _key in columns)
        statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
        for row in rows:
            batch.append(values(row))
            if len(batch) >= BATCH_ROWS:
                connection.exec_driver_sql(statement, batch)
                tick(len(batch))
                batch = []
        if batch:
            connection.exec_driver_sql(statement, batch)
            tick(len(batch))

    def _update_borrowers(self) -> None:
        table = Borrower.__table__
        # One statement per set of changed columns (a new phone, a new name, ...).
        by_columns: dict[tuple, list[dict]] = {}
        for change in self.borrower_updates:
            columns = tuple(sorted(k for k in change if k != "id"))
            by_columns.setdefault(columns, []).append(change)
        for columns, changes in by_columns.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({c: bindparam(f"b_{c}") for c in columns})
            )
            rows = [{f"b_{k}": v for k, v in change.items()} for change in changes]
            self.session.connection().execute(statement, rows)

    def _update_adopted(self) -> None:
        installments = Installment.__table__
        changed = [
            {"b_id": i.id, "b_principal_paid": i.principal_paid, "b_interest_paid": i.interest_paid}
            for c in self.adopted
            for i in c.installments
            if i.changed
        ]
        if changed:
            statement = (
                update(installments)
                .where(installments.c.id == bindparam("b_id"))
                .values(
                    principal_paid=bindparam("b_principal_paid"),
                    interest_paid=bindparam("b_interest_paid"),
                )
            )
            self.session.connection().execute(statement, changed)
        contracts = Contract.__table__
        statuses = [{"b_id": c.id, "b_status": c.status} for c in self.adopted if c.changed]
        if statuses:
            statement = (
                update(contracts)
                .where(contracts.c.id == bindparam("b_id"))
                .values(status=bindparam("b_status"))
            )
            self.session.connection().execute(statement, statuses)
