"""The one scheduler process (`fundbot scheduler`): APScheduler 3 with fundbot's jobs.

APScheduler 3 cannot share a job store between processes, so exactly one process runs jobs
(guarded by scheduler.leader); web workers never start a scheduler. The jobs are defined here
at start-up, with explicit ids and replace_existing, so a memory job store loses nothing:
the durable state (queued messages, unprocessed events) lives in fundbot's own tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler

from bot.runtime import Runtime

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def build_scheduler(
    runtime: Runtime, *, handle_pending: Callable | None = None, scheduler_class=BlockingScheduler
):
    """A scheduler with every fundbot job added (not started).

    `handle_pending(runtime, messenger)` handles stored webhook events nobody finished; the
    entry point passes it in, as handling events is the chat's work, not the jobs'.
    """
    scheduler = scheduler_class(timezone=runtime.settings.timezone, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        dispatch_outbox,
        "interval",
        seconds=15,
        args=[runtime],
        id="dispatch_outbox",
        replace_existing=True,
    )
    if handle_pending is not None:
        scheduler.add_job(
            process_pending_events,
            "interval",
            seconds=60,
            args=[runtime, handle_pending],
            id="process_pending_events",
            replace_existing=True,
        )
    return scheduler


def dispatch_outbox(runtime: Runtime) -> None:
    """Send queued pushes (retries after LINE outages, pushes nobody flushed)."""
    from bot.line.messenger import build_messenger

    sent = build_messenger(runtime).flush(runtime.db)
    if sent:
        log.info("dispatched %s queued messages", sent)


def process_pending_events(runtime: Runtime, handle_pending: Callable) -> None:
    """Handle webhook events a web worker stored but never processed (it crashed)."""
    from bot.line.messenger import build_messenger

    handle_pending(runtime, build_messenger(runtime))
