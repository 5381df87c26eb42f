"""Handler processes: under gunicorn, stored webhook events are handled outside the web workers.

A web worker stores the events and wakes one handler process through its pipe
(bot/handler_wakeup.py); the process (bot/handler_process.py) handles them and replies; the
master keeps the processes running (Supervisor) and stops them with itself.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.handler_process import Supervisor
from bot.handler_wakeup import SUFFIX, Listener, Waker, wakeup_folder
from bot.line.events import text_event
from bot.webhook import POOL
from tests.line_events import body_of, post_events, routed, sign

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _start_handler_process(environ: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.handler_process"], cwd=ROOT, env={**os.environ, **environ}
    )
    folder = wakeup_folder(environ["FUNDBOT_INSTANCE_PATH"])
    wait_until(lambda: (folder / f"{process.pid}{SUFFIX}").exists())
    return process


def test_a_handler_process_answers_what_a_web_worker_stored(app, client, fake_line, line_env):
    handler = _start_handler_process(line_env)
    try:
        waker = Waker(wakeup_folder(line_env["FUNDBOT_INSTANCE_PATH"]))
        woken = []
        app.extensions[POOL] = _Recording(waker, woken)
        events = [routed(fake_line, text_event(f"U{n:032x}", "help")) for n in range(3)]
        assert post_events(client, *events).status_code == 200
        assert woken == [True]  # a handler process was listening
        wait_until(lambda: len(fake_line.replies()) == 3)
    finally:
        handler.send_signal(signal.SIGTERM)
        assert handler.wait(20) == 0
    # It took its pipe away with it.
    assert not list(wakeup_folder(line_env["FUNDBOT_INSTANCE_PATH"]).glob(f"*{SUFFIX}"))


class _Recording:
    """A waker that notes whether each wake found a listener."""

    def __init__(self, waker: Waker, woken: list[bool]) -> None:
        self.waker, self.woken = waker, woken

    def wake(self) -> None:
        self.woken.append(self.waker.wake())


def test_a_wake_reaches_a_listener_and_finds_none_once_it_closed(tmp_path):
    woken = threading.Event()
    listener = Listener(tmp_path, woken.set)
    waker = Waker(tmp_path)
    try:
        assert waker.wake()
        assert woken.wait(5)
    finally:
        listener.close()
    assert not waker.wake()


def test_a_pipe_left_by_a_dead_process_is_skipped_then_cleared(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{dead.pid}{SUFFIX}"
    os.mkfifo(stale)
    assert not Waker(tmp_path).wake()  # nobody reads it: not counted as woken
    listener = Listener(tmp_path, lambda: None)
    try:
        assert not stale.exists()
        assert Waker(tmp_path).wake()
    finally:
        listener.close()


def test_the_supervisor_starts_again_a_handler_process_that_died(monkeypatch):
    from bot import handler_process

    monkeypatch.setattr(handler_process, "RESTART_AFTER", 0.0)
    supervisor = Supervisor(2, [sys.executable, "-c", "import time; time.sleep(60)"]).start()
    try:
        first = supervisor.processes[0]
        first.kill()
        wait_until(lambda: supervisor.processes[0] is not first)
        assert supervisor.processes[0].poll() is None
    finally:
        supervisor.stop(timeout=5)
    assert all(process.poll() is not None for process in supervisor.processes)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_hands_the_events_to_its_handler_processes(db, fake_line, line_env):
    """The production server end to end: gunicorn.conf.py's workers store, its handlers answer."""

    port = _free_port()
    environ = {
        **os.environ,
        **line_env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_LOGLEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bot.wsgi:app"],
        cwd=ROOT,
        env=environ,
    )
    folder = wakeup_folder(line_env["FUNDBOT_INSTANCE_PATH"])
    try:
        wait_until(lambda: _healthy(port) and any(folder.glob(f"*{SUFFIX}")), timeout=30)
        body = body_of(routed(fake_line, text_event(f"U{7:032x}", "help")))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(
            "POST",
            "/callback",
            body,
            {"Content-Type": "application/json", "X-Line-Signature": sign(body)},
        )
        assert connection.getresponse().status == 200
        wait_until(lambda: len(fake_line.replies()) == 1)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    # The handler processes stopped with the server.
    assert not list(folder.glob(f"*{SUFFIX}"))


def _healthy(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
