"""The demo's scheduler: `fundbot scheduler --wait` as a child process of `fundbot demo`.

A child process rather than a thread: gunicorn forks its web workers from the demo's own
process, and a fork copies a running thread's locks but not the thread. It is started by the
demo command only, before gunicorn, so no web worker (and no production deployment, which
runs bot.wsgi under its own gunicorn) ever runs jobs. The leader lock still applies: with a
`fundbot scheduler` already running, the child stands by. Ctrl+C reaches it with the rest of
the terminal's process group; it also stops when the demo is gone (--parent).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

STOP_TIMEOUT = 10


def start_scheduler() -> subprocess.Popen:
    """`fundbot scheduler --wait`, tied to this process."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "bot.cli", "scheduler", "--wait", "--parent", str(os.getpid())],
        stdin=subprocess.DEVNULL,
    )


def stop_scheduler(child: subprocess.Popen) -> None:
    """Stop it as Ctrl+C would (it releases the leader lock), then for good if it hangs."""
    if child.poll() is None:
        child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
