"""A handler process for the chaos test: the handler pool of a web worker, nothing else.

Run as `python tests/chaos_worker.py` with the app's environment (DATABASE_URL, LINE_*); the
test SIGKILLs it at random moments. Leases are shortened so that what a killed worker left
behind is taken up again within the test's time.
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import timedelta

import bot.handler_pool as handler_pool
import bot.line.messenger as messenger_module
from bot.line.messenger import build_messenger
from bot.runtime import Runtime

if __name__ == "__main__":
    messenger_module.REPLY_LEASE = timedelta(seconds=2)
    handler_pool.FLUSH_EVERY = 0.3
    runtime = Runtime.from_env()
    pool = handler_pool.HandlerPool(runtime, build_messenger(runtime), threads=2).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        time.sleep(0.2)
        pool.wake()
