"""`fundbot scheduler` (the one background process) and `fundbot dispatch` (send queued now)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.db import require_current_schema
from bot.errors import UserError
from bot.i18n import _
from bot.inbound import process_pending
from scheduler.leader import LeaderLock


@click.command("scheduler")
@click.option("--wait", is_flag=True, help="Wait as a standby while another scheduler runs.")
@click.option("--parent", type=int, hidden=True, help="Stop when this process is gone (the demo).")
@pass_runtime
def scheduler_command(lazy, wait: bool, parent: int | None) -> None:
    """Run the background jobs (queued LINE messages, unprocessed webhook events)."""
    from scheduler.process import build_scheduler

    runtime = runtime_of(lazy)
    require_current_schema(runtime)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if parent:
        _stop_with(parent)
    lock = LeaderLock(runtime.db, runtime.settings.instance_path)
    try:
        while not lock.acquire():
            if not wait:
                raise UserError(_("Another fundbot scheduler is already running."))
            time.sleep(10)
    except KeyboardInterrupt:
        return
    click.echo(_("fundbot scheduler started; stop it with Ctrl+C."))
    try:
        build_scheduler(runtime, handle_pending=process_pending).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()


def _stop_with(parent: int) -> None:
    """Stop like Ctrl+C when `parent` exits, even by SIGKILL: the demo leaves no orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@click.command("dispatch")
@pass_runtime
def dispatch_command(lazy) -> None:
    """Send the queued LINE messages that are due, once."""
    from bot.line.messenger import build_messenger

    runtime = runtime_of(lazy)
    sent = build_messenger(runtime).flush(runtime.db)
    click.echo(_("%(count)d queued messages sent.", count=sent or 0))


def register(main: click.Group) -> None:
    """Add `scheduler` and `dispatch` to the command line."""
    main.add_command(scheduler_command)
    main.add_command(dispatch_command)
