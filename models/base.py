"""The declarative base, the money and rate column types, and the database handle."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from models.errors import DomainError
from models.sqlite_writers import WriterQueue
from models.sqlite_writers import turn as writer_turn

SATANG = Decimal("0.01")

# The engines fundbot is built and tested for, as SQLAlchemy URL driver names.
SUPPORTED_DATABASES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every fundbot model."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def to_satang(amount: Decimal | int | str) -> int:
    """Baht (Decimal or decimal string) to whole satang, rounding half up."""
    value = Decimal(amount).quantize(SATANG, rounding=ROUND_HALF_UP)
    return int(value * 100)


def from_satang(satang: int | None) -> Decimal:
    """Whole satang to baht as a two-place Decimal."""
    return (Decimal(int(satang or 0)) / 100).quantize(SATANG)


class Money(TypeDecorator):
    """Baht as Decimal in Python, whole satang (an integer) in the database.

    Integers keep SQL sums exact on SQLite too, where NUMERIC would be stored as a float.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, int or str, never float")
        return to_satang(value)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else from_satang(value)


class Rate(TypeDecorator):
    """A yearly interest rate in percent (Decimal), stored as ten-thousandths of a percent."""

    impl = Integer
    cache_ok = True
    SCALE = Decimal("0.0001")

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("rates must be Decimal, int or str, never float")
        return int(Decimal(value).quantize(self.SCALE, rounding=ROUND_HALF_UP) * 10000)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) / 10000).quantize(self.SCALE)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored in UTC (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How many times a session has written (flushed ORM changes, run ORM DML), so that rows read
# earlier in a transaction can be trusted only while nothing was written since.
_WRITES = "fundbot_writes"


@event.listens_for(Session, "after_flush")
def _count_flush(session: Session, _flush_context: Any) -> None:
    session.info[_WRITES] = session.info.get(_WRITES, 0) + 1


@event.listens_for(Session, "do_orm_execute")
def _count_dml(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WRITES] = state.session.info.get(_WRITES, 0) + 1


def session_writes(session: Session) -> int:
    """A count that grows whenever `session` writes (its pending changes not included)."""
    return session.info.get(_WRITES, 0)


class Database:
    """One engine and its session factory; the app, the CLI and the scheduler each hold one."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, **engine_options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writers = (
            WriterQueue.for_database(self.engine.url.database) if self.is_sqlite else None
        )
        # Each thread's own autocommit connection (`autocommit_connection`), and all of them,
        # to close on dispose.
        self._own = threading.local()
        self._owned: list[Connection] = []
        self._owned_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded default database."""
        return self.engine.dialect.name == "sqlite"

    @property
    def location(self) -> str:
        """Where the data is, for an operator: the SQLite file, or the URL without password."""
        url = self.engine.url
        if self.is_sqlite and url.database and url.database != ":memory:":
            return str(Path(url.database).resolve())
        return url.render_as_string(hide_password=True)

    @contextmanager
    def session(self):
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_session(self, *, poll: float = 0.0005, patience: float = 30.0):
        """A session that holds SQLite's write lock from its start (elsewhere: `session`).

        SQLite's own busy handler sleeps up to 100 ms between tries for the lock, so a short
        write waiting behind others could wait far longer than they hold it; this one asks
        again every `poll` seconds (BEGIN IMMEDIATE with no busy wait), for `patience`
        seconds at most. A transaction that starts with a write loses nothing by it. Our own
        writers first wait in line for their turn (models/sqlite_writers.py), so they seldom
        find the lock taken.
        """
        with writer_turn(self.writers), self.sessions() as session, session.begin():
            if self.is_sqlite:
                take_sqlite_write_lock(session.connection(), poll, patience)
            yield session

    @contextmanager
    def write_connection(self, *, poll: float = 0.0005, patience: float = 30.0):
        """As `write_session`, as a Core connection: for a few statements built beforehand."""
        with writer_turn(self.writers), self.engine.connect() as connection:
            if self.is_sqlite:
                take_sqlite_write_lock(connection, poll, patience)
            with connection.begin():
                yield connection

    def autocommit_connection(self) -> Connection:
        """This thread's own connection in autocommit mode, kept from one call to the next.

        For a write that is one statement, its own transaction (the webhook's insert): taking
        a connection from the pool and switching it to autocommit and back for each cost as
        much CPU as the insert itself. A connection found dead is replaced at the next call;
        `dispose` closes them all.
        """
        connection = getattr(self._own, "autocommit", None)
        if connection is not None and not connection.closed and not connection.invalidated:
            return connection
        if connection is not None:
            self._forget(connection)
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._own.autocommit = connection
        with self._owned_lock:
            self._owned.append(connection)
        return connection

    def _forget(self, connection: Connection) -> None:
        with self._owned_lock:
            if connection in self._owned:
                self._owned.remove(connection)
        _close_quietly(connection)

    def dispose(self) -> None:
        """Close every pooled connection (and the threads' own)."""
        with self._owned_lock:
            owned, self._owned = self._owned, []
        for connection in owned:
            _close_quietly(connection)
        self.engine.dispose()


def _close_quietly(connection: Connection) -> None:
    with suppress(Exception):  # a dead connection may fail to close: it is gone either way
        connection.close()


def _make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        _make_parent_folder(url)
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # The connection used last is handed out next: a process's few busy threads keep reusing
    # the same warm connections (their server-side prepared statements and plans) instead of
    # cycling through the whole pool and warming each.
    options.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **options)
    if url.startswith("postgresql+psycopg"):
        _let_psycopg_keep_long_statements()
    if not options.get("pool_pre_ping"):
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
    return engine


# psycopg rewrites each statement's %(name)s placeholders into $1... and keeps the result only
# for statements up to 4,096 characters; the arrears statement that answers every `ยอด` is
# about 6,000, so it was rewritten on each execution (a tenth of handling the message).
PSYCOPG_KEPT_STATEMENT_LENGTH = 16_384
# ... and for up to 50 parameters: a batch's answers are written in one INSERT of about 90.
PSYCOPG_KEPT_STATEMENT_PARAMS = 256


def _let_psycopg_keep_long_statements() -> None:
    # A private setting of psycopg's (checked by name, so a release without it changes nothing).
    from psycopg import _queries

    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None) is not None:
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(
            _queries.MAX_CACHED_STATEMENT_LENGTH, PSYCOPG_KEPT_STATEMENT_LENGTH
        )
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None) is not None:
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(
            _queries.MAX_CACHED_STATEMENT_PARAMS, PSYCOPG_KEPT_STATEMENT_PARAMS
        )


# A pooled connection unused for longer than this is checked with a ping before it is handed
# out (a restarted server leaves dead ones in the pool). SQLAlchemy's pool_pre_ping pings at
# every checkout: a round trip for each webhook insert and each handling batch, while a
# connection back in the pool a moment ago is alive.
PING_AFTER_IDLE = 1.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE:
        return  # new (just connected), or back in the pool a moment ago
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()
    except Exception as exc:  # noqa: BLE001 - any failure means the connection is gone
        # The pool drops this connection and hands out a fresh one (SQLAlchemy's recipe).
        raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def _make_parent_folder(url: str) -> None:
    # The default database lives in the instance folder, which may not exist yet.
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DomainError(
                "database_folder_unusable", path=str(folder), reason=exc.strerror or ""
            ) from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web workers read while one writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def take_sqlite_write_lock(connection: Any, poll: float, patience: float) -> None:
    """BEGIN IMMEDIATE on the connection's SQLite transaction, retried every `poll` seconds."""
    raw = connection.connection.dbapi_connection
    if raw.in_transaction:
        return
    deadline = time.monotonic() + patience
    (busy_ms,) = raw.execute("PRAGMA busy_timeout").fetchone()
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(poll)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
