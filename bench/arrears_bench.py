"""Time the arrears engine on a province of 100,000 contracts, on SQLite and PostgreSQL.

    python -m bench.arrears_bench [--contracts 100000] [--sqlite PATH] [--postgres URL]

Builds the data with bench.generate (or reuses it when the database already holds that many
contracts; --rebuild forces a new build), then times `contract_arrears` for the whole
province and `area_arrears` per district on one as-of date, each run three times in a fresh
session. Prints the rows returned, the best and the median wall-clock seconds, and the CPU
seconds of this process (all of the work on SQLite; on PostgreSQL, only the client's share).
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

from sqlalchemy import text

from bench.generate import BENCH_AS_OF, count_contracts, generate, prepare_schema
from models.arrears import area_arrears, contract_arrears
from models.base import Database
from models.types import AreaLevel

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "fundbot-bench-arrears.sqlite3"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "bench"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    args = _parser().parse_args(argv)
    print(f"arrears benchmark: {args.contracts:,} contracts, as of {args.as_of.isoformat()}")
    print(f"{'engine':<11}{'query':<34}{'rows':>9}{'best s':>9}{'median s':>10}{'cpu s':>8}")
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
    if args.rebuild or count_contracts(database) != args.contracts:
        began = time.perf_counter()
        prepare_schema(database)
        counts = generate(database, args.contracts, args.installments)
        _analyze(database)
        took = time.perf_counter() - began
        rows = ", ".join(f"{count:,} {table}" for table, count in counts.items())
        print(f"{engine:<11}built in {took:.1f} s: {rows}")
    figures = _time(
        database,
        args.runs,
        lambda session: contract_arrears(session, args.as_of, scope=None),
    )
    _report(engine, "contract_arrears (whole province)", figures)
    contracts = figures[3]
    figures = _time(
        database,
        args.runs,
        lambda session: area_arrears(session, args.as_of, level=AreaLevel.DISTRICT),
    )
    _report(engine, "area_arrears (per district)", figures)
    districts = figures[3]
    outstanding = sum(c.outstanding_principal for c in contracts)
    overdue = sum(c.overdue_amount for c in contracts)
    agree = outstanding == sum(d.outstanding_principal for d in districts) and overdue == sum(
        d.overdue_amount for d in districts
    )
    print(
        f"{engine:<11}totals: outstanding {outstanding:,}, overdue {overdue:,} baht"
        f" ({'districts agree' if agree else 'DISTRICTS DISAGREE'})"
    )
    database.dispose()


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


def _report(engine: str, label: str, figures: tuple[float, float, float, list]) -> None:
    best, median, cpu, rows = figures
    print(f"{engine:<11}{label:<34}{len(rows):>9,}{best:>9.2f}{median:>10.2f}{cpu:>8.2f}")


if __name__ == "__main__":
    sys.exit(main())
