"""SQLite's writers wait in line (models/sqlite_writers.py) instead of asking for the lock again.

Each write transaction begun with `write_session` / `write_connection` takes a file lock
beside the database first: the next writer, in this process or another, sleeps in the kernel
until the last one committed, then begins at its first try.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import event, text

from models.base import Database
from models.sqlite_writers import SUFFIX, fcntl
from tests.conftest import PG_URL, _postgres_unreachable_reason

pytestmark = pytest.mark.skipif(fcntl is None, reason="no flock on this system")

HOLD = 0.3


@pytest.fixture
def sqlite(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    with database.engine.begin() as connection:
        connection.execute(text("create table note (writer text, at real)"))
    begins: list[str] = []

    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(
            lambda statement: begins.append(statement) if statement.startswith("BEGIN") else None
        )

    event.listen(database.engine, "connect", trace)
    database.engine.dispose()  # the connection above was made before the trace
    database.begins = begins
    yield database
    database.dispose()


def _write(database: Database, writer: str, hold: float = 0.0) -> float:
    """Write a note in a write session held `hold` seconds; when the session began."""
    with database.write_session() as session:
        began = time.monotonic()
        session.execute(
            text("insert into note values (:writer, :at)"), {"writer": writer, "at": began}
        )
        time.sleep(hold)
    return began


def test_a_second_writer_waits_its_turn_and_begins_at_the_first_try(sqlite):
    first_began = threading.Event()
    ended: list[float] = []

    def first() -> None:
        with sqlite.write_session() as session:
            session.execute(text("insert into note values ('first', 0)"))
            first_began.set()
            time.sleep(HOLD)
        ended.append(time.monotonic())

    thread = threading.Thread(target=first)
    thread.start()
    first_began.wait(5)
    second_began = _write(sqlite, "second")
    thread.join()

    assert second_began >= ended[0] - 0.01  # it began once the first had committed
    with sqlite.session() as session:
        writers = session.execute(text("select writer from note order by rowid")).scalars()
        assert list(writers) == ["first", "second"]
    # Each writer asked SQLite for the lock once: nobody was refused and asked again.
    assert sqlite.begins.count("BEGIN IMMEDIATE") == 2


def test_a_writer_waits_while_another_process_holds_the_line(sqlite):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            f"time.sleep({HOLD})\n",
            sqlite.writers.path,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        asked = time.monotonic()
        began = _write(sqlite, "after the other process")
        assert began - asked >= HOLD * 0.5
    finally:
        holder.wait(10)


def test_a_writer_already_in_line_is_not_stuck_behind_itself(sqlite):
    """A write session opened inside another one is refused by SQLite, not left waiting."""
    with sqlite.write_session() as outer:
        outer.execute(text("insert into note values ('outer', 0)"))
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with sqlite.write_session(patience=0.05):
                pass
        assert time.monotonic() - started < 5


def test_the_line_is_a_file_beside_the_database(sqlite, tmp_path):
    _write(sqlite, "anyone")
    assert sqlite.writers.path == str(tmp_path / "writers.sqlite3") + SUFFIX
    assert Database("sqlite://").writers is None  # in memory: one process, nothing to share


def test_postgresql_writers_do_not_queue():
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    database = Database(PG_URL)
    try:
        assert database.writers is None
    finally:
        database.dispose()
