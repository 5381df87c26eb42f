"""SQLite's writers wait in line on an OS file lock instead of asking for the database's lock.

SQLite has one writer at a time and no queue: a writer that finds the lock taken can only
sleep and ask again. Under load (a webhook request in each of several processes, each
process's handler thread) the askers spent more CPU failing BEGIN IMMEDIATE and waking to
retry than the writers spent writing, and a short sleep still left each asker a little late.
So every write transaction begun with `Database.write_session` / `write_connection` first
takes an exclusive `flock` on a file beside the database and keeps it until it commits: the
kernel wakes the next waiter the moment the last one is done, and nobody spins meanwhile.

The file lock only orders our own writers; SQLite's lock stays the rule (a writer that does
not queue, such as a plain session or another program, is still waited for with BEGIN
IMMEDIATE). A process that dies lets go of its file lock with it. A thread that already
holds the line does not queue again behind itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

try:
    import fcntl
except ImportError:  # not POSIX: the writers only poll, as SQLite lets them
    fcntl = None

SUFFIX = "-writers"


class WriterQueue:
    """The line our writers of one SQLite file wait in."""

    def __init__(self, database_path: str) -> None:
        self.path = database_path + SUFFIX
        self._held = threading.local()

    @classmethod
    def for_database(cls, database: str | None):
        """The queue of a database file; None for an in-memory one or without `flock`."""
        if fcntl is None or not database or database == ":memory:":
            return None
        if database.startswith("file:"):
            return None  # a URI may name shared memory; plain files are what we deploy
        return cls(database)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this writer's turn and hold it until the block ends."""
        if getattr(self._held, "turn", False):
            yield
            return
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            self._held.turn = True
            try:
                yield
            finally:
                self._held.turn = False
        finally:
            os.close(descriptor)  # lets go of the lock


def turn(queue: WriterQueue | None):
    """`queue.turn()`, or nothing to wait for."""
    return queue.turn() if queue is not None else nullcontext()
