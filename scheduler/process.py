"""The one scheduler process (`fundbot scheduler`): APScheduler 3 with fundbot's jobs.

APScheduler 3 cannot share a job store between processes, so exactly one process runs jobs
(guarded by scheduler.leader); web workers never start a scheduler. The jobs are defined here
at start-up, with explicit ids and replace_existing, so a memory job store loses nothing:
the durable state (queued messages, unprocessed events) lives in fundbot's own tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

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
    # Planning is idempotent: at start-up (after downtime), every 10 minutes, and just before
    # the 08:00 digest of visits on working days.
    scheduler.add_job(
        plan_reminders_job,
        "interval",
        minutes=10,
        args=[runtime],
        id="plan_reminders",
        replace_existing=True,
        next_run_time=datetime.now(runtime.settings.timezone),
    )
    scheduler.add_job(
        plan_reminders_job,
        "cron",
        day_of_week="mon-fri",
        hour=7,
        minute=55,
        args=[runtime],
        id="visit_digest",
        replace_existing=True,
    )
    # The dashboard overview's arrears snapshots: kept ready after payments, relief and
    # imports, so that no page view waits for a full pass over the province.
    scheduler.add_job(
        keep_arrears_snapshots,
        "interval",
        minutes=10,
        args=[runtime],
        id="keep_arrears_snapshots",
        replace_existing=True,
        next_run_time=datetime.now(runtime.settings.timezone),
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


def plan_reminders_job(runtime: Runtime) -> None:
    """Plan the reminders, visit digests and KKCJ report reminders due now (sent by dispatch)."""
    from bot.line.messenger import build_messenger
    from models.reminder_policy import load_policy
    from scheduler.reminders import plan_reminders

    book = load_policy(runtime.settings.instance_path)
    transport = build_messenger(runtime).transport
    report = plan_reminders(runtime.db, transport, book)
    plan = report.plan
    if plan.debtors or plan.groups or plan.staff or plan.visits:
        log.info(
            "reminders for %s: %d debtors, %d groups, %d staff messages, %d visit tasks, %d held",
            plan.day,
            len(plan.debtors),
            len(plan.groups),
            len(plan.staff),
            plan.visits,
            report.held,
        )


def keep_arrears_snapshots(runtime: Runtime) -> None:
    """Compute the province's overview snapshots that changes made stale or a new day needs."""
    from models.dashboard_queries import keep_overview_ready

    today = datetime.now(runtime.settings.timezone).date()
    with runtime.db.session() as session:
        computed = keep_overview_ready(session, [runtime.settings.province], today)
    if computed:
        log.info("arrears snapshots computed for %d dates", computed)


def process_pending_events(runtime: Runtime, handle_pending: Callable) -> None:
    """Handle webhook events a web worker stored but never processed (it crashed)."""
    from bot.line.messenger import build_messenger

    handle_pending(runtime, build_messenger(runtime))
