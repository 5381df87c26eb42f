"""Waking handler processes when the webhook stored events: a named pipe per process.

Under gunicorn the stored webhook events are handled by processes of their own
(bot/handler_process.py), not by threads inside the web workers: a handler thread beside
the request threads fought them for the interpreter lock, and the webhook's answers and the
handling both paid for it. Each handler process listens on a named pipe (FIFO) in one folder;
a web worker that stored events writes a byte to one of them, in turn, so handling starts at
once instead of at the next poll. A byte that finds no reader (a process gone) is tried on the
next pipe; with none, the events wait, stored, for the handler processes' own poll.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".wake"
# How long a web worker trusts its list of pipes before reading the folder again.
LIST_FOR = 1.0
# How often a web worker may log that no handler process listens.
COMPLAIN_EVERY = 60.0


def wakeup_folder(instance_path: Path | str) -> Path:
    """Where the handler processes of one installation keep their pipes."""
    return Path(instance_path) / "handlers"


class Listener:
    """A handler process's pipe: calls `on_wake` whenever a byte arrives, until closed."""

    def __init__(self, folder: Path, on_wake) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_pipes_of_dead_processes(folder)
        self.path = folder / f"{os.getpid()}{SUFFIX}"
        if self.path.exists():
            self.path.unlink()
        os.mkfifo(self.path, 0o600)
        self._reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        # Our own writer keeps the pipe open: reads block instead of seeing end-of-file
        # whenever the last web worker's byte is read.
        self._writer = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        os.set_blocking(self._reader, True)
        self._on_wake = on_wake
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fundbot-wakeup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                os.read(self._reader, 4096)
            except OSError:
                if self._closed.is_set():
                    return
                log.exception("reading the wake-up pipe failed")
                time.sleep(1.0)
                continue
            if not self._closed.is_set():
                self._on_wake()

    def close(self) -> None:
        """Stop listening and remove the pipe."""
        self._closed.set()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.write(self._writer, b"\0")  # lets the reading thread see it is closed
        self._thread.join(2.0)
        os.close(self._writer)
        os.close(self._reader)


class Waker:
    """A web worker's side: wake one handler process (each in turn) for new events."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._pipes: list[Path] = []
        self._listed = 0.0
        self._turn = 0
        self._complained = 0.0

    def wake(self) -> bool:
        """Wake a handler process; False when none is listening (the events wait, stored)."""
        pipes = self._current_pipes()
        with self._lock:
            self._turn += 1
            start = self._turn
        for offset in range(len(pipes)):
            if _poke(pipes[(start + offset) % len(pipes)]):
                return True
        self._listed = 0.0  # read the folder again next time
        now = time.monotonic()
        if now - self._complained >= COMPLAIN_EVERY:
            self._complained = now
            log.warning(
                "no handler process listens in %s: webhook events wait, stored, until one starts",
                self.folder,
            )
        return False

    def _current_pipes(self) -> list[Path]:
        now = time.monotonic()
        if now - self._listed >= LIST_FOR:
            try:
                self._pipes = sorted(self.folder.glob(f"*{SUFFIX}"))
            except OSError:
                self._pipes = []
            self._listed = now
        return self._pipes


def _poke(pipe: Path) -> bool:
    """Write one byte to a listener's pipe without ever waiting; False if nobody reads it."""
    try:
        descriptor = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return False  # gone (ENOENT) or nobody reading (ENXIO)
    try:
        os.write(descriptor, b"\0")
    except OSError as exc:
        # A full pipe means its reader has bytes waiting already: it will wake.
        return exc.errno == errno.EAGAIN
    finally:
        os.close(descriptor)
    return True


def _remove_pipes_of_dead_processes(folder: Path) -> None:
    for pipe in folder.glob(f"*{SUFFIX}"):
        try:
            pid = int(pipe.name.removesuffix(SUFFIX))
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            try:
                pipe.unlink()
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
