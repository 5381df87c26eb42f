"""A dispatcher process for the kill test: the scheduler's outbox job in a loop, nothing else.

Run as `python tests/dispatch_worker.py` with the app's environment (DATABASE_URL, LINE_*); the
test SIGKILLs it mid-batch. The claim lease is shortened so that the rows a killed dispatcher
held are claimed again within the test's time.
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import timedelta

import bot.line.dispatcher as dispatcher
from bot.runtime import Runtime
from scheduler.process import dispatch_outbox

if __name__ == "__main__":
    dispatcher.LEASE = timedelta(seconds=2)
    runtime = Runtime.from_env()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        dispatch_outbox(runtime)
        time.sleep(0.1)
