"""The debtor register import: check every row of a file, then write all of it or nothing.

Phases: read the sheet row by row (reading), find and map the header row (columns), check
each row and the rows together (rows) -- all before the database is touched, so a bad file
fails fast -- then compare with what is stored and write the new rows in batches in one
transaction (upsert, bulk_load). A dry run, or any problem anywhere, writes nothing.

The domain has no words: problems are codes with parameters; bot/cli/importer.py words them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

from models.audit import Actor
from models.base import Database
from models.borrower import CREATED, UPDATED
from models.errors import DomainError
from models.register_import import reading
from models.register_import.columns import COLUMNS, FileProblem, map_headers, recognized
from models.register_import.reading import MAX_ROWS, SheetRow, read_sheet
from models.register_import.rows import Problem, RegisterRow, RowChecker, check_across
from models.register_import.upsert import Upserter
from models.types import Source

HEADER_SEARCH_ROWS = 10
WRITE_EVERY = 5_000
# Called with ("check" | "import", rows done, rows in all or None) as the import goes.
Progress = Callable[[str, int, int | None], None]

__all__ = ["MAX_ROWS", "FileProblem", "ImportResult", "Problem", "import_register"]


@dataclass
class ImportResult:
    """What an import did (or, on a dry run or with problems, would have done)."""

    file: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    file_problems: list[FileProblem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file had no problem at all."""
        return not (self.file_problems or self.problems)

    @property
    def bad_rows(self) -> int:
        """How many rows have at least one problem."""
        return len({p.row for p in self.problems})


def import_register(
    db: Database,
    path: Path,
    *,
    province: str,
    secret_key: str,
    today: date,
    locale: str,
    dry_run: bool = False,
    max_rows: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check and import the register at `path`; commits only a clean, non-dry run.

    `today` (in the offices' time zone) dates payments for amounts repaid; `locale` is the
    language new borrowers start with. Raises DomainError when the file cannot be read.
    """
    path = Path(path)
    tick = progress or (lambda _stage, _done, _total: None)
    result = ImportResult(file=path.name, dry_run=dry_run)
    try:
        rows = _checked_rows(path, province, today, max_rows, result, tick)
    except DomainError as exc:
        if exc.code not in ("import_too_many_rows", "import_cell_too_big"):
            raise
        result.file_problems.append(FileProblem(exc.code, exc.params))
        return result
    if not result.ok:
        result.problems.sort(key=lambda p: p.row)
        return result
    actor = Actor(f"import:{path.name}", Source.IMPORT)
    with db.sessions() as session:
        upserter = Upserter(
            session,
            actor,
            rows.checker,
            secret_key=secret_key,
            today=today,
            locale=locale,
            dry_run=dry_run,
        )
        upserter.prepare(rows.rows)
        book = upserter.book
        total = len(rows.rows)
        for done, row in enumerate(rows.rows, start=1):
            outcome, problems = upserter.apply(row)
            result.problems.extend(problems)
            _count(result, outcome)
            if done % WRITE_EVERY == 0 or done == total:
                # Written in parts to bound the memory; one transaction still, so any
                # problem further down rolls the parts back too.
                if result.ok:
                    book.write()
                tick("import", done, total)
        result.problems.sort(key=lambda p: p.row)
        if result.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    return result


@dataclass
class _Checked:
    checker: RowChecker
    rows: list[RegisterRow]


def _checked_rows(
    path: Path,
    province: str,
    today: date,
    max_rows: int | None,
    result: ImportResult,
    tick: Progress,
) -> _Checked | None:
    """Every row read and checked; problems go into `result`."""
    sheet = read_sheet(path, max_rows=max_rows or reading.MAX_ROWS)
    head = list(islice(sheet, HEADER_SEARCH_ROWS))
    header_row = _header_row(head)
    if header_row is None:
        example = ", ".join(column.thai for column in COLUMNS if column.required)
        result.file_problems.append(FileProblem("no_header", {"example": example}))
        return None
    headers, result.file_problems = map_headers(header_row.cells)
    if result.file_problems:
        return None
    checker = RowChecker(headers, province=province, today=today)
    rows = []
    for sheet_row in _after(head, header_row, sheet):
        if sheet_row.blank:
            continue
        row, problems = checker.check(sheet_row)
        result.problems.extend(problems)
        if row is not None:
            rows.append(row)
        if sheet_row.number % 1000 == 0:
            tick("check", sheet_row.number, None)
    across = check_across(rows, checker)
    result.problems.extend(across)
    # A repeated contract would only add a confusing second problem when written.
    bad = {p.row for p in across}
    return _Checked(checker, [row for row in rows if row.number not in bad])


def _after(head: list[SheetRow], header: SheetRow, rest: Iterator[SheetRow]):
    """The rows below the header: those read ahead, then the rest of the file."""
    yield from (row for row in head if row.number > header.number)
    yield from rest


def _header_row(head: list[SheetRow]) -> SheetRow | None:
    """The first row naming at least three register columns (a title may stand above it)."""
    for row in head:
        if recognized(row.cells) >= 3:
            return row
    return None


def _count(result: ImportResult, outcome: str) -> None:
    """Count one row's outcome."""
    if outcome == CREATED:
        result.created += 1
    elif outcome == UPDATED:
        result.updated += 1
    else:
        result.unchanged += 1
