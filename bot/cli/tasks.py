"""`fundbot tasks` (the visits debtors the bot cannot reach need) and `fundbot task done`."""

from __future__ import annotations

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.tables import table
from bot.errors import UserError
from bot.i18n import _, format_date, format_money
from models.area import find_area
from models.audit import Actor
from models.visit_tasks import OPEN, close_task, list_tasks


@click.command("tasks")
@click.option("--area", "area_path", help='Only debtors in this area, e.g. "แก่งคอย/หินซ้อน".')
@click.option("--open", "only_open", is_flag=True, help="Only the visits not done yet.")
@pass_runtime
def tasks_command(lazy, area_path: str | None, only_open: bool) -> None:
    """Visit tasks: debtors the bot cannot reach on LINE, for their officer to visit or call."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        scope = None
        if area_path:
            area = find_area(session, area_path, runtime.settings.province)
            if area is None:
                raise UserError(_("Unknown area: %(path)s", path=area_path))
            scope = [area.path]
        rows = list_tasks(session, scope, only_open=only_open)
    if not rows:
        click.echo(_("No visit tasks."))
        return
    headers = [
        _("ID"),
        _("Status"),
        _("Debtor"),
        _("Phone"),
        _("Area"),
        _("Contract"),
        _("Why"),
        _("Amount"),
        _("Officer"),
    ]
    lines = [
        [
            str(row.id),
            _("open") if row.status == OPEN else _("done"),
            row.debtor,
            row.phone or "-",
            row.area,
            row.contract_no,
            _reason(row.reason, row.due_date),
            format_money(row.amount) if row.amount else "-",
            row.officer or "-",
        ]
        for row in rows
    ]
    click.echo(table(headers, lines, right={0, 7}))
    still_open = sum(row.status == OPEN for row in rows)
    click.echo(_("%(open)d open, %(total)d in all.", open=still_open, total=len(rows)))


def _reason(reason: str, due) -> str:
    if reason == "overdue":
        return _("overdue since %(date)s", date=format_date(due))
    return _("moratorium ends %(date)s", date=format_date(due))


@click.group("task")
def task_group() -> None:
    """One visit task."""


@task_group.command("done")
@click.argument("task_id", type=int)
@click.option("--note", help="What came of the visit (kept in the audit log).")
@pass_runtime
def task_done(lazy, task_id: int, note: str | None) -> None:
    """Mark visit task TASK_ID done; it leaves the morning digest."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        close_task(session, Actor.cli(), task_id, note)
    click.echo(_("Visit task %(id)d is done.", id=task_id))


def register(main: click.Group) -> None:
    """Add `tasks` and `task` to the command line."""
    main.add_command(tasks_command)
    main.add_command(task_group)
