"""`fundbot import-funds FILE` and `fundbot report kkcj-monthly | kkcj-quarterly`.

The KKCJ fund register comes in like the debtor register (and its problems are worded by
the same code as `fundbot import`); the follow-up reports go out as the dashboard's files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.importer import echo_result, file_message
from bot.errors import UserError
from bot.i18n import _, format_money
from bot.kkcj_export import area_title, report_csv, report_filename, report_xlsx
from models.area import find_area
from models.errors import DomainError
from models.fund_register.importing import import_fund_register
from models.kkcj_followup import (
    Period,
    followup_report,
    month_before,
    parse_month,
    parse_quarter,
    quarter_of,
)
from models.register_import import FileProblem

FORMATS = ("xlsx", "csv")


@click.command("import-funds")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and count the changes; save nothing.")
@pass_runtime
@click.pass_context
def import_funds(ctx: click.Context, lazy, file: Path, dry_run: bool) -> None:
    """Import the KKCJ fund register FILE (.xlsx or .csv): one row per village fund and date,
    with its capital, status, problem and damaged money and committee chair.

    Every row is checked first; if any is wrong, nothing is imported and each problem is
    listed with its row number and column. Importing the same file again changes nothing.
    """
    runtime = runtime_of(lazy)
    settings = runtime.settings
    try:
        result = import_fund_register(
            runtime.db,
            file,
            province=settings.province,
            today=datetime.now(settings.timezone).date(),
            dry_run=dry_run,
        )
    except DomainError as exc:
        raise UserError(file_message(FileProblem(exc.code, exc.params))) from None
    echo_result(ctx, result)


@click.group("report")
def report_group() -> None:
    """Reports the offices send up, as .xlsx or .csv files."""


def _report_options(command):
    command = click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
        help="Where to write the file (default: kkcj-<kind>-<period>.<format> here).",
    )(command)  # fmt: skip
    command = click.option(
        "--format", "output_format", type=click.Choice(FORMATS), default="xlsx",
        show_default=True,
    )(command)  # fmt: skip
    return click.option(
        "--area", "area_path", help='Only this area, e.g. "แก่งคอย" (default: the province).'
    )(command)


@report_group.command("kkcj-monthly")
@click.option(
    "--month", "month_text",
    help="The month: 2569-10 or 10/2569 (default last month, due by the 15th).",
)  # fmt: skip
@_report_options
@pass_runtime
def kkcj_monthly(lazy, month_text, area_path, output_format, output) -> None:
    """The monthly follow-up of the KKCJ funds under accelerated follow-up (due the 15th)."""
    _write_report(lazy, (parse_month, month_before), month_text, area_path, output_format, output)


@report_group.command("kkcj-quarterly")
@click.option(
    "--quarter", "quarter_text",
    help="The fiscal quarter: 2570Q1 is October to December 2569 (default this quarter).",
)  # fmt: skip
@_report_options
@pass_runtime
def kkcj_quarterly(lazy, quarter_text, area_path, output_format, output) -> None:
    """The quarterly follow-up of the KKCJ funds (due in the quarter's last week)."""
    _write_report(lazy, (parse_quarter, quarter_of), quarter_text, area_path, output_format, output)


def _write_report(lazy, periods, text, area_path, output_format, output) -> None:
    """Build the report for the period `text` names (parse), or the current one, and write
    it; `periods` is (parse, current)."""
    parse, current = periods
    runtime = runtime_of(lazy)
    province = runtime.settings.province
    today = datetime.now(runtime.settings.timezone).date()
    period: Period = parse(text) if text else current(today)
    with runtime.db.session() as session:
        scope = [province]
        if area_path:
            area = find_area(session, area_path, province)
            if area is None:
                raise UserError(_("Unknown area: %(path)s", path=area_path))
            scope = [area.path]
        built = followup_report(session, scope, period, today)
    where = area_title(scope, province)
    data = report_xlsx(built, where) if output_format == "xlsx" else report_csv(built, where)
    path = output or Path(report_filename(built, output_format))
    path.write_bytes(data)
    click.echo(
        _(
            "Wrote %(path)s: %(count)d funds, problem and damaged money %(amount)s",
            path=str(path),
            count=built.totals.funds,
            amount=format_money(built.totals.at_risk),
        )
    )


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    main.add_command(import_funds)
    main.add_command(report_group)
