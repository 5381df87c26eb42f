"""Bulk synthetic data for benchmarks: a province of areas, funds, borrowers, contracts,
installments, payments and relief measures, inserted fast on SQLite and PostgreSQL.

    from bench.generate import generate, prepare_schema
    prepare_schema(db)
    counts = generate(db, contracts=100_000, installments_per_contract=10, seed=1)

Rows are written with the driver's executemany as the columns store them (satang as
integers, enums as strings), with ids assigned here, so nothing is read back per row. The mixture is
realistic as of BENCH_AS_OF: most debtors pay on time, some pay part or late, some stopped
paying long ago, some are paid off, in a moratorium, or restructured; some payments are
dated after BENCH_AS_OF and a few were reversed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import JSON, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.types import TypeDecorator

import models
from models import migrate
from models.base import Database

BENCH_AS_OF = date(2026, 3, 15)
PROVINCE = "สระบุรี"
DISTRICTS = (
    "เมืองสระบุรี",
    "แก่งคอย",
    "หนองแค",
    "วิหารแดง",
    "หนองแซง",
    "บ้านหมอ",
    "ดอนพุด",
    "หนองโดน",
    "พระพุทธบาท",
    "เสาไห้",
    "มวกเหล็ก",
    "วังม่วง",
    "เฉลิมพระเกียรติ",
)
SUBDISTRICTS = 111
VILLAGES = 973
KKCJ_FUNDS = 229
_PLACE_PARTS = ("หนอง", "ท่า", "บ้าน", "ดอน", "โคก", "นา", "ห้วย", "วัง", "ทุ่ง", "หิน", "ป่า")
_PLACE_ENDS = ("แก", "ซ้อน", "ปลิง", "ยาง", "ทอง", "ม่วง", "โพธิ์", "ไผ่", "กร่าง", "ตะเคียน", "จาน")
_TITLES = ("นาย", "นาง", "นางสาว", "")
_FIRST = ("สมศรี", "สมชาย", "บุญมี", "มาลี", "ประเสริฐ", "วันเพ็ญ", "สุดา", "อำนวย", "จันทร์", "ทองดี")
_LAST = ("ใจดี", "ศรีสุข", "มั่นคง", "บุญมา", "แก้วใส", "ทองคำ", "พูลผล", "สายบัว", "รักษา", "เพชรงาม")
# Share of contracts per repayment behaviour.
PROFILES = (
    ("on_time", 60),
    ("paid_off", 10),
    ("partial", 8),
    ("pays_late", 8),
    ("stopped", 4),
    ("moratorium", 5),
    ("restructured", 5),
)
BATCH = 5_000


@dataclass
class _Rows:
    """Rows waiting to be inserted, per table, and the next id of each."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, **values) -> int:
        """Queue a row; returns the id it will have."""
        return self.add_row(table, **values)["id"]

    def add_row(self, table: str, **values) -> dict:
        """Queue a row; returns it (with its id), to be completed before it is flushed."""
        row = {"id": self.next_id.get(table, 1), **values}
        self.next_id[table] = row["id"] + 1
        self.tables.setdefault(table, []).append(row)
        return row


def prepare_schema(db: Database) -> None:
    """Start from an empty database and build the schema from the migrations.

    SQLite: the file is deleted (dropping big tables with foreign keys on checks every row).
    PostgreSQL: fundbot's tables are dropped from the schema the connection uses.
    """
    if db.is_sqlite and db.engine.url.database not in (None, "", ":memory:"):
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(db.engine.url.database + suffix).unlink(missing_ok=True)
    else:
        names = [table.name for table in models.Base.metadata.sorted_tables] + ["alembic_version"]
        with db.engine.begin() as connection:
            connection.execute(sql_text(f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE"))
    migrate.upgrade(db.engine)
    models.Base.metadata.create_all(db.engine)


def generate(
    db: Database, contracts: int = 100_000, installments_per_contract: int = 10, seed: int = 1
) -> dict[str, int]:
    """Fill an empty schema with `contracts` loans; returns the number of rows per table."""
    rng = random.Random(seed)
    rows = _Rows()
    villages = _areas(rows, rng)
    womens_fund, kkcj_funds = _funds(rows, rng, villages)
    counts: dict[str, int] = {}
    with db.engine.begin() as connection:
        big = [models.Base.metadata.tables[name] for name in _ORDER]
        # Loading first and indexing after is several times faster than the other way round.
        indexes = [index for table in big for index in table.indexes]
        for index in indexes:
            index.drop(connection)
        if not db.is_sqlite and _superuser(connection):
            # Skips the per-row foreign-key triggers; the rows are consistent by construction.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        _flush(connection, rows, counts, ("area", "fund"))
        for start in range(0, contracts, BATCH):
            for n in range(start, min(start + BATCH, contracts)):
                _contract(
                    rows, rng, n, villages, womens_fund, kkcj_funds, installments_per_contract
                )
            _flush(connection, rows, counts, _ORDER)
        for index in indexes:
            index.create(connection)
        _reset_sequences(connection, db, rows)
    return counts


_ORDER = ("borrower", "contract", "installment", "payment", "allocation", "relief_measure")
_NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)


def _flush(connection, rows: _Rows, counts: dict[str, int], order) -> None:
    """Insert every queued row, parents first, and forget them.

    Rows go to the driver as they are, skipping SQLAlchemy's per-value processing, which
    would take longer than the database does: values are already what the columns store
    (satang, enum values); only dates (SQLite) and JSON need turning into driver input.
    """
    sqlite = connection.dialect.name == "sqlite"
    for name in order:
        batch = rows.tables.pop(name, [])
        if not batch:
            continue
        table = models.Base.metadata.tables[name]
        columns = list(batch[0])
        for column, convert in _converters(table, columns, sqlite):
            for row in batch:
                row[column] = convert(row[column])
        if sqlite:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"
            connection.exec_driver_sql(sql, [tuple(row.values()) for row in batch])
        else:
            _insert_unnest(connection, table, columns, batch)
        counts[name] = counts.get(name, 0) + len(batch)


def _insert_unnest(connection, table, columns: list[str], batch: list[dict]) -> None:
    """PostgreSQL: the whole batch in one statement, one array literal per column, unnested.

    Array literals are built here as text: the driver's own list adaptation is far slower.
    """
    arrays, selected, params = [], [], []
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance
        sql_type = column_type.compile(dialect=connection.dialect)
        values = [row[name] for row in batch]
        if isinstance(column_type, JSON):
            arrays.append("%s::text[]")
            selected.append(f"CAST(c{i} AS {sql_type})")
        else:
            arrays.append(f"%s::{sql_type}[]")
            selected.append(f"c{i}")
        params.append("{" + ",".join(map(_element_writer(values), values)) + "}")
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(arrays)}) AS u({aliases})"
    )
    connection.exec_driver_sql(sql, tuple(params))


def _element_writer(values: list):
    """How to write each of `values` (one column's) inside an array literal."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return lambda v: "NULL" if v is None else ("t" if v else "f")
    if isinstance(sample, int):
        return str if None not in values else (lambda v: "NULL" if v is None else str(v))
    if isinstance(sample, date):  # also datetime
        return _array_date
    return _array_text


@cache
def _array_date(value: date | None) -> str:
    """A date (or datetime) inside an array literal."""
    return "NULL" if value is None else value.isoformat()


def _array_text(value) -> str:
    """Text inside an array literal: quoted, with quotes and backslashes escaped."""
    if value is None:
        return "NULL"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _converters(table, columns: list[str], sqlite: bool) -> list[tuple[str, object]]:
    """(column, function) for each column whose values the driver cannot take as they are."""
    found = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance
        if isinstance(column_type, JSON):
            found.append((name, json.dumps))
        elif sqlite and column_type.python_type is datetime:
            found.append((name, _sqlite_datetime))
        elif sqlite and column_type.python_type is date:
            found.append((name, _sqlite_date))
    return found


@cache
def _sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy stores on SQLite for a UTC datetime."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if value else None


@cache
def _sqlite_date(value: date | None) -> str | None:
    """The text SQLAlchemy stores on SQLite for a date."""
    return value.isoformat() if value else None


def _superuser(connection) -> bool:
    """True when the PostgreSQL role may turn off triggers for the load."""
    return bool(
        connection.exec_driver_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).scalar()
    )


def _reset_sequences(connection, db: Database, rows: _Rows) -> None:
    """Point PostgreSQL's id sequences past the ids assigned here."""
    if db.is_sqlite:
        return
    for name in rows.next_id:
        connection.execute(
            sql_text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :last)"),
            {"last": rows.next_id[name] - 1},
        )


def _areas(rows: _Rows, rng: random.Random) -> list[int]:
    """The province, its 13 districts, 111 subdistricts and 973 villages; the village ids."""
    province = rows.add(
        "area", parent_id=None, level="province", name=PROVINCE, village_no=None, path=PROVINCE,
        province_id=None, district_id=None, subdistrict_id=None,
    )  # fmt: skip
    villages = []
    sub_per_district = _spread(SUBDISTRICTS, len(DISTRICTS))
    villages_per_sub = _spread(VILLAGES, SUBDISTRICTS)
    sub_index = 0
    for district_name, sub_count in zip(DISTRICTS, sub_per_district, strict=True):
        district_path = f"{PROVINCE}/{district_name}"
        district = rows.add(
            "area", parent_id=province, level="district", name=district_name, village_no=None,
            path=district_path, province_id=province, district_id=None, subdistrict_id=None,
        )  # fmt: skip
        for sub_name in _place_names(rng, sub_count):
            sub_path = f"{district_path}/{sub_name}"
            sub = rows.add(
                "area", parent_id=district, level="subdistrict", name=sub_name, village_no=None,
                path=sub_path, province_id=province, district_id=district, subdistrict_id=None,
            )  # fmt: skip
            for number in range(1, villages_per_sub[sub_index] + 1):
                villages.append(
                    rows.add(
                        "area",
                        parent_id=sub,
                        level="village",
                        name=f"หมู่ {number}",
                        village_no=number,
                        path=f"{sub_path}/หมู่ {number}",
                        province_id=province,
                        district_id=district,
                        subdistrict_id=sub,
                    )  # fmt: skip
                )
            sub_index += 1
    return villages


def _spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole numbers as equal as can be."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _place_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct Thai-looking place names."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(_PLACE_PARTS) + rng.choice(_PLACE_ENDS)
        if name not in names:
            names.append(name)
    return names


def _funds(rows: _Rows, rng: random.Random, villages: list[int]) -> tuple[int, dict[int, int]]:
    """The province's Women's Fund and the KKCJ funds of some villages (village -> fund)."""
    womens = rows.add("fund", kind="womens_fund", name="กองทุนพัฒนาบทบาทสตรี", area_id=1)
    kkcj = {}
    for village in rng.sample(villages, min(KKCJ_FUNDS, len(villages))):
        kkcj[village] = rows.add("fund", kind="kkcj", name=f"กข.คจ. {village}", area_id=village)
    return womens, kkcj


def _contract(
    rows: _Rows,
    rng: random.Random,
    n: int,
    villages: list[int],
    womens_fund: int,
    kkcj_funds: dict[int, int],
    count: int,
) -> None:
    """Queue one borrower, their contract, its schedule, payments and relief."""
    profile = rng.choices([p for p, _ in PROFILES], weights=[w for _, w in PROFILES])[0]
    if rng.random() < 0.5:
        fund = womens_fund
        village = rng.choice(villages)
        rate = rng.choice((0, 20000, 30000))  # ten-thousandths of a percent a year
    else:
        village, fund = rng.choice(list(kkcj_funds.items()))
        rate = 0
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}{n}"
    borrower = rows.add(
        "borrower", kind="person", title=rng.choice(_TITLES) or None, name=name,
        name_key=name.replace(" ", ""), representative_name=None, phone=None,
        national_id_hash=None, national_id_last4=None, area_id=village, line_user_id=None,
        line_reachable=True, locale="th", created_at=_NOW,
    )  # fmt: skip
    paid_off = profile == "paid_off"
    months_back = rng.randint(count + 2, count + 30) if paid_off else rng.randint(1, 40)
    contract_date = _add_months(BENCH_AS_OF, -months_back)
    principal = rng.randint(50, 500) * 100_00  # 5,000 to 50,000 baht in satang
    contract = rows.add(
        "contract", fund_id=fund, contract_no=f"{n + 1:07d}", number_key=f"{n + 1:07d}",
        borrower_id=borrower,
        principal=principal, annual_interest_rate=rate, contract_date=contract_date,
        first_due_date=_add_months(contract_date, 1), installment_count=count,
        frequency="monthly", officer_id=None, status="paid_off" if paid_off else "active",
        schedule_no=2 if profile == "restructured" else 1, created_at=_NOW,
    )  # fmt: skip
    schedule = _schedule(principal, rate, contract_date, count)
    if profile == "restructured":
        _restructured(rows, rng, contract, contract_date, schedule)
        return
    ids = [_installment(rows, contract, 1, seq, item, contract_date) for seq, item in schedule]
    _pay(rows, rng, contract, profile, list(zip(ids, schedule, strict=True)))
    if profile == "moratorium":
        start = BENCH_AS_OF - timedelta(days=rng.randint(10, 200))
        rows.add(
            "relief_measure", contract_id=contract, kind="moratorium", round_no=rng.randint(1, 4),
            start_date=start, end_date=start + timedelta(days=rng.choice((180, 270, 365))),
            terms={}, recorded_by="bench", created_at=_NOW,
        )  # fmt: skip


def _schedule(principal: int, rate: int, start: date, count: int) -> list[tuple[int, tuple]]:
    """(seq, (due date, principal, interest)) for equal principal and declining interest."""
    each = principal // count
    balance = principal
    items = []
    for seq in range(1, count + 1):
        part = balance if seq == count else each
        # Monthly interest on the declining balance, half up, in whole satang.
        interest = (balance * rate + 600_000_000) // 1_200_000_000
        items.append((seq, (_add_months(start, seq), part, interest)))
        balance -= part
    return items


def _installment(rows: _Rows, contract: int, schedule_no: int, seq: int, item, effective,
                 superseded=None) -> dict:  # fmt: skip
    """Queue one installment; returns its row."""
    due, principal, interest = item
    return rows.add_row(
        "installment", contract_id=contract, schedule_no=schedule_no, seq=seq, due_date=due,
        original_due_date=due, principal_due=principal, interest_due=interest, principal_paid=0,
        interest_paid=0, effective_from=effective, superseded_on=superseded,
    )  # fmt: skip


def _pay(rows: _Rows, rng: random.Random, contract: int, profile: str, items) -> None:
    """Queue the payments a debtor of `profile` made against `items` (id, (seq, terms))."""
    horizon = BENCH_AS_OF + timedelta(days=60)  # some payments fall after the as-of date
    stop = rng.randint(0, len(items)) if profile in ("stopped", "moratorium") else len(items)
    for index, (installment, (_seq, (due, principal, interest))) in enumerate(items):
        if index >= stop:
            return
        paid_on = due - timedelta(days=rng.randint(0, 5))
        if profile == "pays_late":
            paid_on = due + timedelta(days=rng.randint(5, 60))
        if paid_on > horizon and profile != "paid_off":
            return
        if profile == "partial" and due > BENCH_AS_OF - timedelta(days=90) and rng.random() < 0.3:
            # Short by half the principal on one installment, then back to paying in full.
            _payment(rows, contract, installment, paid_on, principal // 2, interest)
            continue
        payment = _payment(rows, contract, installment, paid_on, principal, interest)
        if rng.random() < 0.01:
            # Entered by mistake: reversed (a negative payment keeping the original date, as
            # the ledger does), then paid again ten days later.
            payment["state"] = "reversed"
            _payment(rows, contract, installment, paid_on, -principal, -interest,
                     reverses=payment["id"])  # fmt: skip
            _payment(rows, contract, installment, paid_on + timedelta(days=10), principal,
                     interest)  # fmt: skip


def _payment(rows: _Rows, contract: int, installment: dict, paid_on: date, principal: int,
             interest: int, reverses: int | None = None) -> dict:  # fmt: skip
    """Queue a payment applied to one installment, interest first; returns its row."""
    payment = rows.add_row(
        "payment", contract_id=contract, amount=principal + interest, paid_on=paid_on,
        channel="cash_officer", state="confirmed", unallocated=0, recorded_by="bench",
        source="import", reference=None, slip_path=None, note=None, reverses_id=reverses,
        created_at=_NOW,
    )  # fmt: skip
    rows.add(
        "allocation", payment_id=payment["id"], installment_id=installment["id"],
        contract_id=contract, paid_on=paid_on, principal=principal, interest=interest,
    )  # fmt: skip
    installment["principal_paid"] += principal
    installment["interest_paid"] += interest
    return payment


def _restructured(rows: _Rows, rng: random.Random, contract: int, start: date, schedule) -> None:
    """Original schedule paid in part, the rest superseded by a new schedule on a date."""
    paid = rng.randint(1, len(schedule) // 2)
    restructured_on = BENCH_AS_OF - timedelta(days=rng.randint(30, 400))
    kept = []
    for seq, item in schedule[:paid]:
        kept.append((_installment(rows, contract, 1, seq, item, start), (seq, item)))
    left = 0
    for seq, item in schedule[paid:]:
        _installment(rows, contract, 1, seq, item, start, superseded=restructured_on)
        left += item[1]
    _pay(rows, rng, contract, "on_time", kept)
    new = _schedule(left, 0, restructured_on, len(schedule) - paid)
    fresh = [
        (_installment(rows, contract, 2, seq, it, restructured_on), (seq, it)) for seq, it in new
    ]
    _pay(rows, rng, contract, rng.choice(("on_time", "stopped", "partial")), fresh)
    rows.add(
        "relief_measure", contract_id=contract, kind="restructuring", round_no=None,
        start_date=restructured_on, end_date=None, terms={"installments": len(new)},
        recorded_by="bench", created_at=_NOW,
    )  # fmt: skip


def _add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (earlier if negative), capped at 28."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def reusable(db: Database, contracts: int) -> bool:
    """Whether the database already holds `contracts` contracts, its schema brought up to the
    latest migration first (an index added since the data was built must count in the times).
    """
    if count_contracts(db) != contracts:
        return False
    migrate.upgrade(db.engine)
    return True


def count_contracts(db: Database) -> int:
    """How many contracts the database holds (0 when the schema is missing)."""
    try:
        with db.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(models.Contract)) or 0
    except Exception:  # noqa: BLE001 - no schema yet
        return 0
