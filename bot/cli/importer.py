"""`fundbot import FILE`: the debtor register, from an Excel sheet or a CSV file.

The import itself is a domain operation (models/register_import) that reports problems as
codes with parameters; this module words them in the configured language.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

import click

from bot.cli import pass_runtime, runtime_of
from bot.errors import MESSAGES as DOMAIN_MESSAGES
from bot.errors import N_, UserError
from bot.i18n import _, format_money, ngettext
from models.errors import DomainError
from models.register_import import FileProblem, ImportResult, Problem, import_register

PROGRESS_ABOVE_ROWS = 2000
# A value quoted in a problem is cut to this many characters (a cell may hold a whole book).
QUOTE_CHARS = 60

# What each problem code says about a cell, after its row, column and value.
ROW_MESSAGES = {
    "required": N_("a value is required"),
    "nul": N_("contains a NUL character (\\0), which no register value may hold"),
    "too_long": N_("is longer than %(max)d characters"),
    "not_fund": N_("is not a fund (womens_fund or kkcj)"),
    "not_borrower_type": N_("is not a borrower type (person or group)"),
    "not_frequency": N_("is not a frequency (monthly or yearly)"),
    "not_whole_number": N_("is not a whole number"),
    "at_least_one": N_("must be at least 1"),
    "too_many_installments": N_("is more than %(max)d installments"),
    "not_positive": N_("must be more than zero"),
    "before_contract_date": N_("is before the contract date"),
    "over_debt": N_("is more than the whole debt (%(total)s)"),
    "repeats_contract": N_("repeats the contract number of row %(row)d"),
    "differs_from_row": N_("differs from row %(row)d for the same borrower"),
    "terms_changed": N_(
        "contract %(contract)s is already imported with other terms (%(columns)s); "
        "change the terms of a loan with fundbot restructure"
    ),
    "paid_less": N_("is less than the %(paid)s already recorded"),
    "id_of_another": N_("belongs to someone other than the borrower of contract %(contract)s"),
    # The KKCJ fund register (fundbot import-funds).
    "not_fund_status": N_("is not a fund status (normal, followup or closed)"),
    "over_capital": N_("makes problem and damaged money more than the capital (%(total)s)"),
    "in_future": N_("is after today"),
    "repeats_fund": N_("repeats the village fund and date of row %(row)d"),
}
FILE_MESSAGES = {
    "no_header": N_("No header row: the first row must name the columns (%(example)s)"),
    "column_twice": N_("Column %(column)s appears twice"),
    "missing_column": N_("Missing column: %(column)s"),
    "import_too_many_rows": N_(
        "%(file)s has more than %(max)s rows, more than any register: split it, or check "
        "that it is the register"
    ),
    "import_cell_too_big": N_(
        "Row %(row)d: a cell is longer than %(max)s characters; no register value is that long"
    ),
    "import_no_file": N_("No such file: %(file)s"),
    "import_file_type": N_("Cannot read %(file)s: use an .xlsx or .csv file"),
    "import_unreadable": N_("Cannot read %(file)s: %(detail)s"),
    "import_not_utf8": N_("%(file)s is not UTF-8 text"),
}
_MONEY_PARAMS = ("total", "paid")


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
    settings = runtime.settings
    with _ProgressBars() as progress:
        try:
            result = import_register(
                runtime.db,
                file,
                province=settings.province,
                secret_key=settings.secret_key,
                today=datetime.now(settings.timezone).date(),
                locale=settings.locale,
                dry_run=dry_run,
                progress=progress,
            )
        except DomainError as exc:
            raise UserError(file_message(FileProblem(exc.code, exc.params))) from None
    echo_result(ctx, result)


def echo_result(ctx: click.Context, result: ImportResult) -> None:
    """What an import did: its summary, or every bad row on stderr and exit status 1."""
    if not result.ok:
        for line in report(result):
            click.echo(line, err=True)
        ctx.exit(1)
    click.echo(summary(result))


def report(result: ImportResult) -> list[str]:
    """The error report: a heading, then one line per problem, in row order."""
    heading = ngettext(
        "%(file)s: %(num)d row has errors; nothing was imported.",
        "%(file)s: %(num)d rows have errors; nothing was imported.",
        result.bad_rows,
        file=result.file,
    )
    if result.file_problems:
        heading = _("%(file)s cannot be imported; nothing was imported.", file=result.file)
    return [
        heading,
        *(file_message(p) for p in result.file_problems),
        *(problem_line(p) for p in result.problems),
    ]


def summary(result: ImportResult) -> str:
    """One line saying how many rows were created, updated and left unchanged."""
    counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    if result.dry_run:
        return _(
            "Dry run of %(file)s: %(created)d rows would be created, %(updated)d updated, "
            "%(unchanged)d unchanged; nothing was saved.",
            file=result.file,
            **counts,
        )
    return _(
        "Imported %(file)s: %(created)d rows created, %(updated)d updated, "
        "%(unchanged)d unchanged.",
        file=result.file,
        **counts,
    )


def file_message(problem: FileProblem) -> str:
    """A problem of the whole file, in the configured language."""
    return _(FILE_MESSAGES[problem.code], **problem.params)


def problem_line(problem: Problem) -> str:
    """One line of the error report: row, column as the file names it, value, what is wrong."""
    message = _problem_message(problem)
    if problem.column is None:
        return _("Row %(row)d: %(problem)s", row=problem.row, problem=message)
    if problem.value is None:
        return _(
            "Row %(row)d, column %(column)s: %(problem)s",
            row=problem.row,
            column=problem.column,
            problem=message,
        )
    return _(
        "Row %(row)d, column %(column)s: '%(value)s' %(problem)s",
        row=problem.row,
        column=problem.column,
        value=_quoted(problem.value),
        problem=message,
    )


def _problem_message(problem: Problem) -> str:
    params = dict(problem.params)
    for key in _MONEY_PARAMS:
        if key in params:
            params[key] = format_money(params[key])
    if "columns" in params:
        params["columns"] = ", ".join(params["columns"])
    if problem.code == "invalid":
        # models.thai_text's reasons are English msgids marked for translation.
        return _(params["reason"])
    if problem.code in ROW_MESSAGES:
        return _(ROW_MESSAGES[problem.code], **params)
    if problem.code in DOMAIN_MESSAGES:
        return _(DOMAIN_MESSAGES[problem.code], **params)
    return _("That cannot be done (%(code)s)", code=problem.code)


def _quoted(value: str) -> str:
    """A cell value short enough to quote on one line."""
    value = value.replace("\r", " ").replace("\n", " ")
    return value if len(value) <= QUOTE_CHARS else value[:QUOTE_CHARS] + "…"


class _ProgressBars:
    """Progress on stderr for long files: a count of rows checked, then a bar for the rows
    compared with the database and written. Short files stay silent."""

    def __init__(self) -> None:
        self.bar = None
        self.stage: str | None = None

    def __enter__(self):
        return self

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self.stage:
            self._close()
            self.stage = stage
            if total is not None and total > PROGRESS_ABOVE_ROWS:
                self.bar = _progress_bar(range(total), label=_LABELS[stage]())
                self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.bar.pos)
        elif stage == "check" and done >= PROGRESS_ABOVE_ROWS:
            click.echo(
                "\r" + _("Checking: %(rows)s rows", rows=format(done, ",")), err=True, nl=False
            )

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
        elif self.stage == "check":
            click.echo("", err=True)

    def __exit__(self, *exc) -> None:
        self._close()


_LABELS = {
    "check": lambda: _("Checking"),
    "import": lambda: _("Importing"),
}


def _progress_bar(rows, label: str | None = None):
    """A progress bar on stderr for long files; short ones import silently."""
    if len(rows) <= PROGRESS_ABOVE_ROWS:
        return nullcontext(rows)
    return click.progressbar(rows, label=label or _("Importing"), file=sys.stderr)
