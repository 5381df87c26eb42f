"""A handler process: handles stored webhook events until told to stop.

    python -m bot.handler_process      (gunicorn.conf.py starts and watches these)

It builds its runtime from the same environment as the web workers, runs a handler pool
(bot/handler_pool.py: FUNDBOT_HANDLER_THREADS threads, default 1 here) and listens on its
wake-up pipe (bot/handler_wakeup.py), so the events a web worker stores are handled at once;
it also looks for pending events every second, so nothing waits on a lost wake-up. SIGTERM
or SIGINT lets each thread finish its batch, then the process exits.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

DEFAULT_THREADS = 1
# A handler process that exits is started again, but not more often than this (seconds).
RESTART_AFTER = 2.0


def main() -> int:
    """Run until SIGTERM / SIGINT."""
    from bot.handler_pool import HandlerPool
    from bot.handler_wakeup import Listener, wakeup_folder
    from bot.line.messenger import build_messenger
    from bot.runtime import Runtime

    logging.basicConfig(
        level=os.environ.get("FUNDBOT_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s [handler %(process)d] %(levelname)s %(name)s: %(message)s",
    )
    runtime = Runtime.from_env()
    threads = int(os.environ.get("FUNDBOT_HANDLER_THREADS") or DEFAULT_THREADS)
    pool = HandlerPool(runtime, build_messenger(runtime), threads)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_args: stop.set())
    listener = Listener(wakeup_folder(runtime.settings.instance_path), pool.wake)
    pool.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        listener.close()
        pool.stop()
        runtime.db.dispose()
    return 0


class Supervisor:
    """Keeps `count` handler processes running (from gunicorn's master process)."""

    def __init__(self, count: int, command: list[str] | None = None) -> None:
        self.count = count
        self.command = command or [sys.executable, "-m", "bot.handler_process"]
        self.processes: list[subprocess.Popen | None] = [None] * count
        self._started_at = [0.0] * count
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(
            target=self._watch, name="fundbot-handler-watch", daemon=True
        )

    def start(self) -> Supervisor:
        """Start the processes and a thread that starts again any that exits."""
        with self._lock:
            for slot in range(self.count):
                self._spawn(slot)
        self._watcher.start()
        return self

    def _spawn(self, slot: int) -> None:
        self._started_at[slot] = time.monotonic()
        self.processes[slot] = subprocess.Popen(self.command)  # noqa: S603 - our own command

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for slot, process in enumerate(self.processes):
                    if process is None or process.poll() is None or self._stopping.is_set():
                        continue
                    if time.monotonic() - self._started_at[slot] < RESTART_AFTER:
                        continue
                    log.warning(
                        "handler process %s exited (%s): starting another",
                        process.pid,
                        process.returncode,
                    )
                    self._spawn(slot)

    def stop(self, timeout: float = 20.0) -> None:
        """Ask each process to finish its batch and exit; kill any still running after."""
        self._stopping.set()
        with self._lock:
            running = [p for p in self.processes if p is not None and p.poll() is None]
            for process in running:
                process.terminate()
            deadline = time.monotonic() + timeout
            for process in running:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    sys.exit(main())
