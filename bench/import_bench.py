"""Import and demo-loading benchmark: a generated register of 50,000 rows, checked (dry run),
imported, imported again (nothing changes), and a file of bad rows refused; then the demo
province loaded; on SQLite and PostgreSQL.

    .venv/bin/python -m bench.import_bench [--rows 50000] [--postgres URL] [--no-postgres]

PostgreSQL uses the database bench_bulk (its tables are dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

import models
from models import migrate
from models.base import Database

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_bulk"
TODAY = date(2026, 3, 15)
HEADER = [
    "fund",
    "contract_no",
    "borrower_name",
    "borrower_type",
    "national_id",
    "phone",
    "district",
    "subdistrict",
    "village",
    "principal",
    "annual_interest_rate",
    "contract_date",
    "first_due_date",
    "installments",
    "frequency",
    "paid_to_date",
]
DISTRICTS = ["เมืองสระบุรี", "แก่งคอย", "หนองแค", "วิหารแดง", "หนองแซง", "บ้านหมอ", "ดอนพุด"]
FIRST = ["สมศรี", "มาลี", "ประภา", "วันดี", "สุดา", "บุญมี", "สมชาย", "อำไพ", "จันทร์เพ็ญ", "ทองใบ"]
LAST = ["ใจดี", "ศรีสุข", "ทองดี", "มีสุข", "แก้วมณี", "บุญเรือง", "สายทอง", "พรหมมา"]


def generate_register(path: Path, rows: int, *, seed: int = 1, bad: bool = False) -> Path:
    """A register CSV like a province's: Thai headers, BE dates, both funds, some repaid."""
    rng = random.Random(seed)
    used_ids: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            district = rng.choice(DISTRICTS)
            subdistrict = f"ตำบล{rng.randint(1, 8)}"
            village = str(rng.randint(1, 12))
            kkcj = rng.random() < 0.4
            if kkcj:
                principal, rate, frequency, count = (
                    rng.randrange(5, 31) * 1000,
                    0,
                    "รายปี",
                    rng.randint(1, 5),
                )
            elif rng.random() < 0.4:
                principal, rate, frequency = (
                    rng.randrange(10, 101) * 1000,
                    rng.choice((0, 2, 3, 4)),
                    "รายเดือน",
                )
                count = rng.choice((12, 18, 24, 36))
            else:
                principal, rate, frequency = (
                    rng.randrange(10, 101) * 1000,
                    rng.choice((0, 2, 3, 4)),
                    "รายปี",
                )
                count = rng.randint(2, 5)
            contract_date = TODAY - timedelta(days=rng.randint(30, 1500))
            first_due = contract_date + timedelta(days=30 if frequency == "รายเดือน" else 365)
            paid = rng.choice(("", "", str(rng.randrange(1, principal // 1000) * 500)))
            name = (
                f"{rng.choice(('นาง', 'นางสาว', 'นาย'))}{rng.choice(FIRST)} {rng.choice(LAST)}{n}"
            )
            writer.writerow(
                [
                    "กข.คจ." if kkcj else "กองทุนพัฒนาบทบาทสตรี",
                    f"{'ก' if kkcj else 'ส'}.{n}/{contract_date.year + 543}",
                    name,
                    "บุคคล",
                    _national_id(rng, used_ids) if rng.random() < 0.6 else "",
                    f"08{rng.randint(0, 99_999_999):08d}",
                    district,
                    subdistrict,
                    f"หมู่ {village}",
                    f"{principal:,}" if not bad else f"{principal:,}x",
                    str(rate),
                    _be(contract_date),
                    _be(first_due),
                    str(count),
                    frequency,
                    paid,
                ]
            )
    return path


def _be(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year + 543}"


def _national_id(rng: random.Random, used: set[str]) -> str:
    while True:
        head = f"3{rng.randint(0, 99_999_999_999):011d}"
        total = sum(int(d) * (13 - i) for i, d in enumerate(head))
        candidate = head + str((11 - total % 11) % 10)
        if candidate not in used:
            used.add(candidate)
            return candidate


def _fresh(url: str) -> None:
    database = Database(url)
    with database.engine.begin() as connection:
        if database.is_sqlite:
            models.Base.metadata.drop_all(connection)
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(database.engine)
    database.dispose()


def _run(url: str, instance: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    """`fundbot ARGS` in a child process against `url`; wall time and the result."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FUNDBOT_INSTANCE_PATH": str(instance),
        "FUNDBOT_SECRET_KEY": "bench",
        "FUNDBOT_PROVINCE": "สระบุรี",
        "FUNDBOT_LOCALE": "en",
    }
    fundbot = Path(sys.executable).with_name("fundbot")
    started = time.perf_counter()
    cpu = _child_cpu()
    result = subprocess.run(  # noqa: S603
        [str(fundbot), *args], env=env, capture_output=True, text=True, check=False
    )
    result.cpu = _child_cpu() - cpu
    return time.perf_counter() - started, result


def _child_cpu() -> float:
    """CPU seconds used by finished children: the import's own work, whatever else runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _bench(engine: str, url: str, register: Path, bad: Path, instance: Path, rows: int) -> None:
    _fresh(url)
    figures = []
    for label, args, expect in (
        ("bad rows refused", ("import", str(bad)), 1),
        ("dry run", ("import", "--dry-run", str(register)), 0),
        ("import", ("import", str(register)), 0),
        ("re-import", ("import", str(register)), 0),
    ):
        seconds, result = _run(url, instance, *args)
        last = (result.stdout or result.stderr).strip().splitlines()
        if result.returncode != expect:
            print(f"{engine}: {label} exited {result.returncode}: {result.stderr[-2000:]}")
        line = last[-1] if last and expect == 0 else _first_problem(last)
        figures.append((label, seconds, result.cpu, line))
    for label, seconds, cpu, line in figures:
        print(f"{engine:10} {label:18} {seconds:7.1f} s  (cpu {cpu:5.1f} s)  {line[:100]}")
    _fresh(url)
    seconds, result = _run(url, instance, "seed-demo", "--today", "15/3/2569")
    if result.returncode:
        print(result.stderr[-2000:])
    line = result.stdout.splitlines()[0][:100]
    print(f"{engine:10} {'demo (3,000)':18} {seconds:7.1f} s  (cpu {result.cpu:5.1f} s)  {line}")


def _first_problem(lines: list[str]) -> str:
    """The heading of an error report (progress lines on stderr come first)."""
    return next((line for line in lines if "Checking" not in line), lines[0] if lines else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        register = generate_register(folder / "register.csv", args.rows)
        bad = generate_register(folder / "bad.csv", args.rows, bad=True)
        print(
            f"generated 2 registers of {args.rows:,} rows in {time.perf_counter() - started:.1f} s"
        )
        instance = folder / "instance"
        if not args.no_sqlite:
            _bench(
                "SQLite",
                f"sqlite:///{folder / 'bench.sqlite3'}",
                register,
                bad,
                instance,
                args.rows,
            )
        if not args.no_postgres:
            _bench("PostgreSQL", args.postgres, register, bad, instance, args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
