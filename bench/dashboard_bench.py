"""Time the staff dashboard on a province of 100,000 contracts, on SQLite and PostgreSQL.

    python -m bench.dashboard_bench [--contracts 100000] [--runs 10] [--sqlite PATH]
                                    [--postgres URL] [--rebuild] [--no-sqlite] [--no-postgres]

Builds the data with bench.generate (reused when the database already holds that many
contracts), adds an admin login (the whole province) and a fund staff login for a zone of
three districts, runs the scheduler's snapshot job once (as production keeps the overview's
weekly figures ready), logs in through the form, then times requests through Flask's test client
(server time: routing, queries, rendering) on 15 March 2026: the overview, the who-paid page
filtered to one district and the unpaid, the unfiltered who-paid page, and the month's xlsx
export of the whole province. Prints the median and the 95th percentile of the runs.
Targets: pages under 300 ms, the export under 5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

import models
from bench.generate import BENCH_AS_OF, PROVINCE, generate, prepare_schema, reusable
from bot.app import create_app
from bot.config import Settings
from bot.runtime import Runtime
from models.area import Area
from models.audit import Actor
from models.base import Database
from models.dashboard_queries import keep_overview_ready
from models.staff_login import StaffLogin, add_staff_with_login
from models.types import AreaLevel, Source

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "fundbot-bench-dashboard.sqlite3"
DEFAULT_POSTGRES = os.environ.get(
    "FUNDBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard"
)
PASSWORD = "bench-password-1"
NOON = datetime(BENCH_AS_OF.year, BENCH_AS_OF.month, BENCH_AS_OF.day, 5, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    args = _parser().parse_args(argv)
    print(f"dashboard benchmark: {args.contracts:,} contracts, on {BENCH_AS_OF.isoformat()}")
    print(
        f"{'engine':<11}{'request':<52}{'rows':>8}{'median ms':>11}{'p95 ms':>9}"
        f"{'cpu ms':>9}{'first ms':>10}"
    )
    if not args.no_sqlite:
        _bench("sqlite", f"sqlite:///{args.sqlite}", args)
    if not args.no_postgres:
        if not _ensure_postgres(args.postgres):
            return 1
        _bench("postgresql", args.postgres, args)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard_bench", description=__doc__)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="per page (the export: 2)")
    parser.add_argument("--sqlite", type=Path, default=DEFAULT_SQLITE)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    return parser


def _ensure_postgres(url: str) -> bool:
    """Create the benchmark database when missing; False when PostgreSQL is unreachable."""
    target = make_url(url)
    try:
        server = Database(target.set(database="postgres").render_as_string(hide_password=False))
        with server.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            exists = c.scalar(
                text("select 1 from pg_database where datname = :d"), {"d": target.database}
            )
            if not exists:
                c.execute(text(f'CREATE DATABASE "{target.database}"'))
        server.dispose()
    except Exception as exc:  # noqa: BLE001 - report and stop
        print(f"postgresql skipped: cannot connect to {url}: {exc.__class__.__name__}")
        return False
    return True


def _bench(engine: str, url: str, args: argparse.Namespace) -> None:
    print(f"{engine:<11}load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    database = Database(url)
    if args.rebuild or not reusable(database, args.contracts):
        began = time.perf_counter()
        prepare_schema(database)
        generate(database, args.contracts)
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        print(f"{engine:<11}built in {time.perf_counter() - began:.1f} s")
    models.Base.metadata.create_all(database.engine)  # tables newer than the data
    zone = _logins(database)
    _keep_overview_ready(engine, database)
    database.dispose()
    instance = Path(tempfile.mkdtemp(prefix="fundbot-bench-"))
    settings = Settings.from_env(
        {
            "DATABASE_URL": url,
            "FUNDBOT_INSTANCE_PATH": str(instance),
            "FUNDBOT_SECRET_KEY": "bench",
            "FUNDBOT_PROVINCE": PROVINCE,
        }
    )
    app = create_app(Runtime(settings))
    with time_machine.travel(NOON, tick=True):
        admin, staff = _client(app, "bench-admin"), _client(app, "bench-zone")
        paid = "/staff/paid?month=2026-03"
        one_district = f"{paid}&district={zone[0]}&status=unpaid"
        plan = [
            (admin, "overview, admin (whole province)", "/staff/", args.runs),
            (staff, f"overview, fund staff ({len(zone)} districts)", "/staff/", args.runs),
            (admin, "who paid 2026-03, one district, unpaid", one_district, args.runs),
            (admin, "who paid 2026-03, whole province, page 1", paid, args.runs),
            (staff, "who paid 2026-03, fund staff, search", f"{paid}&q=สมศรี", args.runs),
            (admin, "xlsx export 2026-03, whole province", "/staff/paid.xlsx?month=2026-03", 2),
        ]  # fmt: skip
        for client, label, url_, runs in plan:
            _time(engine, client, label, url_, runs)
    app.extensions["fundbot"].db.dispose()


def _keep_overview_ready(engine: str, database: Database) -> None:
    """Run the scheduler's snapshot job once, as production keeps the overview ready.

    Without it, the first overviews of a fresh database would be spent computing the weekly
    trend's snapshots (a few dates per request), which the job does in the background.
    """
    began = time.perf_counter()
    with time_machine.travel(NOON, tick=True), database.session() as session:
        computed = keep_overview_ready(session, [PROVINCE], BENCH_AS_OF)
    if computed:
        print(
            f"{engine:<11}the scheduler's snapshot job computed {computed} dates "
            f"in {time.perf_counter() - began:.1f} s (once; the overview then reads them)"
        )


def _logins(database: Database) -> list[int]:
    """An admin and a fund staff of three districts (created once); the zone's district ids."""
    with database.session() as session:
        districts = session.scalars(
            select(Area).where(Area.level == AreaLevel.DISTRICT).order_by(Area.id).limit(3)
        ).all()
        if (
            session.scalar(select(StaffLogin.id).where(StaffLogin.username == "bench-admin"))
            is None
        ):
            actor = Actor("bench", Source.SYSTEM)
            for username, role, paths in (
                ("bench-admin", "admin", [PROVINCE]),
                ("bench-zone", "fund_staff", [d.path for d in districts]),
            ):
                add_staff_with_login(session, actor, username=username, password=PASSWORD,
                                     role=role, area_paths=paths, province=PROVINCE)  # fmt: skip
        return [d.id for d in districts]


def _client(app, username: str):
    client = app.test_client()
    page = client.get("/staff/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    return client


def _time(engine: str, client, label: str, url: str, runs: int) -> None:
    """The first request apart (it may fill caches), then `runs` more: median, p95, CPU."""
    seconds, cpu = [], []
    first = None
    rows = "-"
    for _ in range(runs + 1):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        spent, spent_cpu = time.perf_counter() - began, time.process_time() - began_cpu
        if first is None:
            first = spent
        else:
            seconds.append(spent)
            cpu.append(spent_cpu)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        rows = str(response.data.count(b"/staff/debtor/")) if "xlsx" not in url else "-"
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(seconds)
    print(
        f"{engine:<11}{label:<52}{rows:>8}{median * 1000:>11.0f}{p95 * 1000:>9.0f}"
        f"{statistics.median(cpu) * 1000:>9.0f}{first * 1000:>10.0f}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
