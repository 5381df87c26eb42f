"""`fundbot import FILE`: the debtor register, from an Excel sheet or a CSV file."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click

from bot.cli import pass_runtime, runtime_of
from bot.i18n import _
from bot.register_import import import_register

PROGRESS_ABOVE_ROWS = 2000


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    main.add_command(import_command)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and count the changes; save nothing.")
@pass_runtime
@click.pass_context
def import_command(ctx: click.Context, lazy, file: Path, dry_run: bool) -> None:
    """Import the debtor register FILE (.xlsx or .csv; Thai or English column headers).

    Every row is checked first; if any is wrong, nothing is imported and each problem is
    listed with its row number and column. Importing the same file again changes nothing.
    """
    runtime = runtime_of(lazy)
    result = import_register(
        runtime.db, runtime.settings, file, dry_run=dry_run, progress=_progress_bar
    )
    if not result.ok:
        for line in result.report():
            click.echo(line, err=True)
        ctx.exit(1)
    click.echo(result.summary())


def _progress_bar(rows: list):
    """A progress bar on stderr for long files; short ones import silently."""
    if len(rows) <= PROGRESS_ABOVE_ROWS:
        return nullcontext(rows)
    return click.progressbar(rows, label=_("Importing"), file=sys.stderr)
