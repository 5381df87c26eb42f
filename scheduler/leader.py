"""A leader lock, so that two scheduler processes never both run jobs.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the life of the
process (released by the server if the process dies). SQLite: an exclusive file lock beside
the instance folder (SQLite runs on one machine anyway).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text

from models.base import Database

# An arbitrary constant: the advisory-lock key of "the fundbot scheduler".
LOCK_KEY = 0x66756E64626F74


class LeaderLock:
    """Try to become the one scheduler; `acquire()` says whether we did."""

    def __init__(self, db: Database, instance_path: Path) -> None:
        self.db = db
        self.lock_path = instance_path / "scheduler.lock"
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        if self.db.is_sqlite:
            return self._acquire_file()
        connection = self.db.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
        connection.commit()
        if got:
            self._connection = connection
        else:
            connection.close()
        return bool(got)

    def _acquire_file(self) -> bool:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.lock_path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        """Give the lock up (also happens when the process exits)."""
        if self._connection is not None:
            self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
