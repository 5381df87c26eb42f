"""The debtor register import: check every row of a file, then write all of it or nothing.

Phases: read the sheet (reading), find and map the header row (columns), check each row
and the rows together (rows), then write them in one transaction (upsert). A dry run, or
any problem anywhere, rolls the transaction back, so the database is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.config import Settings
from bot.i18n import _, ngettext
from bot.register_import.columns import COLUMNS, map_headers, recognized
from bot.register_import.reading import SheetRow, read_sheet
from bot.register_import.rows import Problem, RegisterRow, RowChecker, check_across
from bot.register_import.upsert import Upserter
from models.audit import Actor
from models.base import Database
from models.borrower import CREATED, UPDATED
from models.types import Source

HEADER_SEARCH_ROWS = 10
Progress = Callable[[list[RegisterRow]], AbstractContextManager[Iterable[RegisterRow]]]

__all__ = ["ImportResult", "import_register"]


@dataclass
class ImportResult:
    """What an import did (or, on a dry run or with problems, would have done)."""

    file: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    file_problems: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file had no problem at all."""
        return not (self.file_problems or self.problems)

    def report(self) -> list[str]:
        """The error report: a heading, then one line per problem, in row order."""
        bad_rows = len({p.row for p in self.problems})
        heading = ngettext(
            "%(file)s: %(num)d row has errors; nothing was imported.",
            "%(file)s: %(num)d rows have errors; nothing was imported.",
            bad_rows,
            file=self.file,
        )
        if self.file_problems:
            heading = _("%(file)s cannot be imported; nothing was imported.", file=self.file)
        return [heading, *self.file_problems, *(p.render() for p in self.problems)]

    def summary(self) -> str:
        """One line saying how many rows were created, updated and left unchanged."""
        counts = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        if self.dry_run:
            return _(
                "Dry run of %(file)s: %(created)d rows would be created, %(updated)d updated, "
                "%(unchanged)d unchanged; nothing was saved.",
                file=self.file,
                **counts,
            )
        return _(
            "Imported %(file)s: %(created)d rows created, %(updated)d updated, "
            "%(unchanged)d unchanged.",
            file=self.file,
            **counts,
        )


def import_register(
    db: Database,
    settings: Settings,
    path: Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Check and import the register at `path`; commits only a clean, non-dry run."""
    path = Path(path)
    today = today or datetime.now(settings.timezone).date()
    result = ImportResult(file=path.name, dry_run=dry_run)
    sheet = read_sheet(path)
    header_row = _header_row(sheet)
    if header_row is None:
        example = ", ".join(column.thai for column in COLUMNS if column.required)
        result.file_problems.append(
            _("No header row: the first row must name the columns (%(example)s)", example=example)
        )
        return result
    headers, result.file_problems = map_headers(header_row.cells)
    if result.file_problems:
        return result
    checker = RowChecker(headers, province=settings.province, today=today)
    rows = _checked_rows(sheet, header_row, checker, result)
    actor = Actor(f"import:{path.name}", Source.IMPORT)
    with db.sessions() as session:
        upserter = Upserter(session, actor, checker, secret_key=settings.secret_key, today=today)
        with (progress or nullcontext)(rows) as steps:
            for row in steps:
                outcome, problems = upserter.apply(row)
                result.problems.extend(problems)
                _count(result, outcome)
        result.problems.sort(key=lambda p: p.row)
        if result.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    return result


def _header_row(sheet: list[SheetRow]) -> SheetRow | None:
    """The first row naming at least three register columns (a title may stand above it)."""
    for row in sheet[:HEADER_SEARCH_ROWS]:
        if recognized(row.cells) >= 3:
            return row
    return None


def _checked_rows(
    sheet: list[SheetRow], header: SheetRow, checker: RowChecker, result: ImportResult
) -> list[RegisterRow]:
    """The rows that passed every check; the problems of the others go into `result`."""
    rows = []
    for sheet_row in sheet[header.number :]:
        if sheet_row.blank:
            continue
        row, problems = checker.check(sheet_row)
        result.problems.extend(problems)
        if row is not None:
            rows.append(row)
    across = check_across(rows, checker)
    result.problems.extend(across)
    # A repeated contract would only add a confusing second problem when written.
    return [row for row in rows if row.number not in {p.row for p in across}]


def _count(result: ImportResult, outcome: str) -> None:
    """Count one row's outcome."""
    if outcome == CREATED:
        result.created += 1
    elif outcome == UPDATED:
        result.updated += 1
    else:
        result.unchanged += 1
