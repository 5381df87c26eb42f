"""Time the arrears engine on a province of 100,000 contracts, on SQLite and PostgreSQL.

    python -m bench.arrears_bench [--contracts 100000] [--sqlite PATH] [--postgres URL]

Builds the data with bench.generate (or reuses it when the database already holds that many
contracts; --rebuild forces a new build), then times `contract_arrears` for the whole
province and `area_arrears` per district, each run three times in a fresh session, on both
of the engine's paths:

- "today": the day of the latest payment in the data (--today to choose another), as the
  chat, reminders and dashboard ask it: the automatic choice (the current path, from the
  installments' paid-so-far) against the full as-of path (summing allocations up to the day);
- the as-of date (--as-of, default BENCH_AS_OF), before some of the payments: the automatic
  choice (the current path taking back the later payments) against the full as-of path.

Prints the rows returned, the best and the median wall-clock seconds, the CPU seconds of
this process (all of the work on SQLite; on PostgreSQL, only the client's share), the
as-of/automatic ratio of the best times, and whether both paths returned the same rows.
PostgreSQL data goes to its own schema `bench`, so the test tables are left alone. Both
engines hold the same data, so the totals printed for each must agree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, text

from bench.generate import BENCH_AS_OF, generate, prepare_schema, reusable
from models.arrears import AS_OF_PATH, AUTO, area_arrears, choose_path, contract_arrears
from models.base import Database
from models.payment import Allocation
from models.types import AreaLevel

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "fundbot-bench-arrears.sqlite3"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "bench"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    args = _parser().parse_args(argv)
    print(f"arrears benchmark: {args.contracts:,} contracts")
    print(
        f"{'engine':<11}{'day':<11}{'query':<19}{'path':<16}{'rows':>8}{'best s':>8}"
        f"{'median s':>10}{'cpu s':>7}{'ratio':>7}"
    )
    failed = False
    if not args.no_sqlite:
        _bench("sqlite", Database(f"sqlite:///{args.sqlite}"), args)
    if not args.no_postgres:
        database = _postgres(args.postgres)
        if database is None:
            failed = True
        else:
            _bench("postgresql", database, args)
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.arrears_bench", description=__doc__)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--installments", type=int, default=10, help="per contract")
    parser.add_argument("--sqlite", type=Path, default=DEFAULT_SQLITE, help="database file")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="database URL")
    parser.add_argument("--as-of", type=date.fromisoformat, default=BENCH_AS_OF)
    parser.add_argument(
        "--today", type=date.fromisoformat, help="default: the day of the latest payment"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    return parser


def _postgres(url: str) -> Database | None:
    """A handle on the `bench` schema of `url`, created if missing; None if unreachable."""
    try:
        admin = Database(url, connect_args={"connect_timeout": 5})
        with admin.engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - report and go on
        print(f"postgresql skipped: cannot connect to {url}: {exc.__class__.__name__}")
        return None
    return Database(url, connect_args={"options": f"-csearch_path={SCHEMA}"})


def _bench(engine: str, database: Database, args: argparse.Namespace) -> None:
    """Build or reuse the data on `database`, then time both queries."""
    # Other work on the machine slows every figure; say how busy it was.
    print(f"{engine:<11}load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.rebuild or not reusable(database, args.contracts):
        began = time.perf_counter()
        prepare_schema(database)
        counts = generate(database, args.contracts, args.installments)
        _analyze(database)
        took = time.perf_counter() - began
        rows = ", ".join(f"{count:,} {table}" for table, count in counts.items())
        print(f"{engine:<11}built in {took:.1f} s: {rows}")
    today = args.today or _latest_payment_day(database)
    for day in (today, args.as_of):
        with database.sessions() as session:
            automatic = choose_path(session, day)
        contracts = _compare(
            engine,
            day,
            "contract_arrears",
            database,
            args.runs,
            lambda session, path, day=day: contract_arrears(session, day, scope=None, path=path),
            automatic,
        )
        districts = _compare(
            engine,
            day,
            "area_arrears/dist",
            database,
            args.runs,
            lambda session, path, day=day: area_arrears(
                session, day, level=AreaLevel.DISTRICT, path=path
            ),
            automatic,
        )
        outstanding = sum(c.outstanding_principal for c in contracts)
        overdue = sum(c.overdue_amount for c in contracts)
        agree = outstanding == sum(d.outstanding_principal for d in districts) and overdue == sum(
            d.overdue_amount for d in districts
        )
        print(
            f"{engine:<11}{day.isoformat():<11}totals: outstanding {outstanding:,}, overdue"
            f" {overdue:,} baht ({'districts agree' if agree else 'DISTRICTS DISAGREE'})"
        )
    database.dispose()


def _latest_payment_day(database: Database) -> date:
    """The day of the latest allocation: from then on, every payment has been made."""
    with database.engine.connect() as connection:
        return connection.scalar(select(func.max(Allocation.paid_on)))


def _compare(engine, day, label, database, runs, query, automatic: str) -> list:
    """Time `query` on the automatic path and on the full as-of path; print both and their
    ratio; return the rows of the automatic path."""
    fast = _time(database, runs, lambda session: query(session, AUTO))
    full = _time(database, runs, lambda session: query(session, AS_OF_PATH))
    same = "same rows" if fast[3] == full[3] else "ROWS DIFFER"
    _report(engine, day, label, f"auto: {automatic}", fast, "")
    _report(engine, day, label, "full as-of", full, f"{full[0] / fast[0]:.1f}x  {same}")
    return fast[3]


def _analyze(database: Database) -> None:
    """Give the query planner statistics, as a running database would have."""
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _time(database: Database, runs: int, query) -> tuple[float, float, float, list]:
    """Best and median wall seconds of `runs` runs of `query`, the least CPU seconds this
    process spent on one (all of the work on SQLite, the client's share on PostgreSQL),
    and what the last run returned."""
    seconds, cpu = [], []
    result: list = []
    for _ in range(runs):
        with database.sessions() as session:
            began, began_cpu = time.perf_counter(), time.process_time()
            result = query(session)
            seconds.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
    return min(seconds), statistics.median(seconds), min(cpu), result


def _report(engine, day, label, path, figures, ratio: str) -> None:
    best, median, cpu, rows = figures
    print(
        f"{engine:<11}{day.isoformat():<11}{label:<19}{path:<16}{len(rows):>8,}{best:>8.2f}"
        f"{median:>10.2f}{cpu:>7.2f}  {ratio}"
    )


if __name__ == "__main__":
    sys.exit(main())
