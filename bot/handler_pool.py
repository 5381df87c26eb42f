"""The handler pool: threads that handle stored webhook events.

Under gunicorn they run in handler processes of their own (bot/handler_process.py); `fundbot
serve` runs them inside its one web process.

The webhook only stores events and wakes the pool; the pool's threads take pending events
from the database one at a time (bot.inbound.handle_next: oldest first, a user's events in
order, SKIP LOCKED on PostgreSQL), so any process's pool may handle any process's events, and
a backlog waits, stored, in `inbound_event` instead of in front of LINE's next request. The
pool is bounded (FUNDBOT_HANDLER_THREADS, default 2), so handling never takes the threads
that answer LINE. When idle the threads look for work every second anyway (events stored by
a process that died, replies whose sender died: the outbox's due rows).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from bot.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_THREADS = 2
IDLE_POLL = 1.0
# Replies LINE took are recorded as sent together, at least this often.
SETTLE_EVERY = 0.2
# How often an idle thread sends the outbox's due rows (pushes, fallbacks, orphaned replies).
FLUSH_EVERY = 2.0


class HandlerPool:
    """Threads that handle stored events until stopped."""

    def __init__(self, runtime: Runtime, messenger, threads: int | None = None) -> None:
        self.runtime = runtime
        self.messenger = messenger
        self.size = threads or int(os.environ.get("FUNDBOT_HANDLER_THREADS") or DEFAULT_THREADS)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_flush = 0.0
        self._flush_lock = threading.Lock()

    def start(self) -> HandlerPool:
        """Start the threads (daemons: a stopping worker leaves its events pending)."""
        for number in range(self.size):
            thread = threading.Thread(
                target=self._run, name=f"fundbot-handler-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._wake.set()  # whatever is pending already
        return self

    def wake(self) -> None:
        """New events were stored."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Let each thread finish its event, then stop."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        from bot.inbound import Answers, handle_next

        answers = Answers(self.messenger)
        settled = time.monotonic()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                queued = handle_next(self.runtime, self.messenger, answers)
            except Exception:  # noqa: BLE001 - the database may be away: wait, then retry
                log.exception("the handler pool could not take an event")
                queued = None
                self._stop.wait(IDLE_POLL)
            now = time.monotonic()
            if answers.sent and (queued is None or now - settled >= SETTLE_EVERY):
                answers.settle()
                settled = now
            if queued:
                self.messenger.flush(self.runtime.db)
            if queued is None:
                self._flush_due()
                self._wake.wait(IDLE_POLL)
        answers.settle()

    def _flush_due(self) -> None:
        """Send due outbox rows now and then; one thread of the pool at a time."""
        now = time.monotonic()
        if now - self._last_flush < FLUSH_EVERY or not self._flush_lock.acquire(blocking=False):
            return
        try:
            self._last_flush = now
            self.messenger.flush(self.runtime.db)
        finally:
            self._flush_lock.release()


def start_pool(app, threads: int | None = None) -> HandlerPool:
    """Give a web app its handler pool (each server process calls this once, after forking)."""
    from bot.app import MESSENGER, RUNTIME
    from bot.webhook import POOL

    pool = HandlerPool(app.extensions[RUNTIME], app.extensions[MESSENGER], threads).start()
    app.extensions[POOL] = pool
    return pool
