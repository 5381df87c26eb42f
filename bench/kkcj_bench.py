"""Time the KKCJ funds page's figures and the follow-up reports on a province of 100,000
contracts (bench.generate's: 229 village funds), on SQLite and PostgreSQL.

    python -m bench.kkcj_bench [--contracts 100000] [--runs 5] [--sqlite PATH] [--postgres URL]

Adds month-end register entries for every KKCJ fund (one in ten under follow-up), then times
on 15 March 2026: the page's rows (village_funds: the register's latest entries and the
arrears engine's village totals of KKCJ contracts), the February monthly report and the
second quarter's report, each built and written as .xlsx; and, for scale, the arrears
engine's district totals over every contract. Prints the median and the worst.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, select

from bench.generate import BENCH_AS_OF, PROVINCE, generate, prepare_schema, reusable
from bot.i18n import use_locale
from bot.kkcj_export import report_xlsx
from models.arrears import area_arrears
from models.audit import Actor
from models.base import Database
from models.fund import Fund
from models.fund_register import FundRegisterEntry, FundStatus, record_entries
from models.kkcj_followup import followup_report, parse_month, parse_quarter, village_funds
from models.types import FundKind, Source

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "fundbot-bench-kkcj.sqlite3"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite", type=Path, default=DEFAULT_SQLITE)
    parser.add_argument("--postgres")
    args = parser.parse_args(argv)
    print(f"KKCJ benchmark: {args.contracts:,} contracts, on {BENCH_AS_OF.isoformat()}")
    urls = [("sqlite", f"sqlite:///{args.sqlite}")]
    if args.postgres:
        urls.append(("postgresql", args.postgres))
    for engine, url in urls:
        db = Database(url)
        if not reusable(db, args.contracts):
            prepare_schema(db)
            generate(db, args.contracts)
        _register(db)
        _time(engine, db, args.runs)
        db.dispose()
    return 0


def _register(db: Database) -> None:
    """Two month-end entries per KKCJ fund, replacing any from an earlier run."""
    actor = Actor("bench", Source.CLI)
    with db.sessions() as session:
        session.execute(delete(FundRegisterEntry))
        funds = session.scalars(select(Fund).where(Fund.kind == FundKind.KKCJ)).all()
        items = []
        for n, fund in enumerate(funds):
            followup = n % 10 == 0
            for day, problem in ((date(2026, 1, 31), 50_000), (date(2026, 2, 28), 45_000)):
                figures = {
                    "capital": Decimal(300_000),
                    "status": FundStatus.FOLLOWUP if followup else FundStatus.NORMAL,
                    "problem_money": Decimal(problem if followup else 0),
                    "damaged_money": Decimal(0),
                    "chair_name": None,
                    "chair_phone": None,
                    "committee": None,
                }
                items.append((fund, day, figures))
        record_entries(session, actor, items)
        session.commit()


def _time(engine: str, db: Database, runs: int) -> None:
    scope = [PROVINCE]
    cases = {
        # For scale: the arrears engine's totals per district over every contract, which the
        # overview page also computes.
        "reference: area_arrears by district": lambda s: len(
            area_arrears(s, BENCH_AS_OF, level="district", scope=scope)
        ),
        "funds page rows (village_funds)": lambda s: len(village_funds(s, scope, BENCH_AS_OF)),
        "monthly report 2569-02 + xlsx": lambda s: _report(s, parse_month("2569-02")),
        "quarterly report 2569Q2 + xlsx": lambda s: _report(s, parse_quarter("2569Q2")),
    }
    for name, run in cases.items():
        times = []
        for _ in range(runs):
            with db.sessions() as session, use_locale("th"):
                started = time.perf_counter()
                rows = run(session)
                times.append((time.perf_counter() - started) * 1000)
        print(
            f"{engine:<11}{name:<36}{rows:>6} rows  median {statistics.median(times):7.0f} ms"
            f"  worst {max(times):7.0f} ms"
        )


def _report(session, period) -> int:
    report = followup_report(session, [PROVINCE], period, BENCH_AS_OF)
    report_xlsx(report, PROVINCE)
    return len(report.lines)


if __name__ == "__main__":
    raise SystemExit(main())
