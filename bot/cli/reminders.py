"""`fundbot remind` (plan and send reminders) and `fundbot outbox` (what is queued and why)."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import func, select

from bot.cli import pass_runtime, runtime_of
from bot.i18n import _, format_date
from models.outbox import OutboxMessage, OutboxStatus
from models.reminder_policy import load_policy

STATUSES = [s.value for s in OutboxStatus]


@click.command("remind")
@click.option(
    "--at",
    "at",
    metavar='"YYYY-MM-DD HH:MM"',
    help="Plan and send as if it were this moment (offices' time zone); default now.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and change nothing.")
@pass_runtime
def remind_command(lazy, at: str | None, dry_run: bool) -> None:
    """Plan the reminders due now and send those that may go now."""
    from bot.line.messenger import build_messenger
    from scheduler.reminder_texts import run_summary
    from scheduler.reminders import remind

    runtime = runtime_of(lazy)
    zone = runtime.settings.timezone
    now = _moment(at, zone) if at else None
    book = load_policy(runtime.settings.instance_path)
    transport = build_messenger(runtime).transport
    report = remind(runtime.db, transport, book, now=now, dry_run=dry_run)
    if dry_run:
        for row in report.rows:
            local = row.send_at.astimezone(zone)
            to = (
                row.recipients[0]
                if len(row.recipients) == 1
                else _("%(count)d users", count=len(row.recipients))
            )
            click.echo(f"== {to} [{row.purpose}, {row.status}] {format_date(local.date())} "
                       f"{local:%H:%M}")  # fmt: skip
            for text in row.texts:
                click.echo(text)
            click.echo("")
    click.echo(run_summary(report))
    if dry_run:
        click.echo(_("Dry run: nothing was sent or changed."))


def _moment(value: str, zone) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            _("%(value)s is not a moment like 2026-03-15 09:00", value=value), param_hint="--at"
        ) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


@click.command("outbox")
@click.option("--status", type=click.Choice(STATUSES), help="Only rows in this state.")
@click.option("--limit", default=50, show_default=True, help="At most this many rows.")
@pass_runtime
def outbox_command(lazy, status: str | None, limit: int) -> None:
    """What is queued, sent, failed, held or dropped, and why."""
    runtime = runtime_of(lazy)
    zone = runtime.settings.timezone
    with runtime.db.session() as session:
        counts = dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status:
            query = query.where(OutboxMessage.status == status)
        rows = list(session.scalars(query))
    summary = ", ".join(f"{name} {counts.get(name, 0)}" for name in STATUSES)
    click.echo(summary)
    for row in reversed(rows):
        when = row.sent_at or row.next_attempt_at
        local = when.astimezone(zone)
        to = (
            row.recipients[0]
            if len(row.recipients) == 1
            else _("%(count)d users", count=len(row.recipients))
        )
        why = f"  {row.last_error}" if row.last_error else ""
        click.echo(
            f"#{row.id} {row.status:<8} {format_date(local.date())} {local:%H:%M} "
            f"{row.purpose or row.kind:<12} {to} {row.dedupe_key}{why}"
        )


def register(main: click.Group) -> None:
    """Add `remind` and `outbox` to the command line."""
    main.add_command(remind_command)
    main.add_command(outbox_command)
