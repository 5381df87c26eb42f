"""Time reminder planning on a province of 100,000 contracts, and dispatch to a fake LINE.

    python -m bench.reminder_bench [--contracts 100000] [--sqlite PATH] [--postgres URL]
                                   [--pushes 3000] [--no-sqlite] [--no-postgres] [--rebuild]

Planning: builds the province with bench.generate (about 1,000,000 installments), links 80%
of the borrowers to LINE, registers a reminder group per district and a working-team group
per district, then times one planning run for BENCH_AS_OF at 06:00 (everything due that
day: reminders, visit tasks, group notices, digests), and a second run (which must plan
nothing). PostgreSQL data goes to the database bench_reminders.

Dispatch: starts bench/fakeline_server.py as its own process, queues --pushes reminder rows
and sends them with the outbox dispatcher (retry keys, leases, one row per push), then posts
the same number of pushes with a bare keep-alive HTTP client to measure the fake's own
ceiling in the same run, and prints both and their ratio.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bench.generate import BENCH_AS_OF, generate, prepare_schema, reusable
from bot.config import Settings
from bot.line.dispatcher import dispatch
from bot.line.transport import LineTransport
from models.base import Database
from models.outbox import OutboxMessage
from models.reminder_policy import PolicyBook
from models.reminders import ReminderItem, VisitTask, _insert, _outbox_row
from scheduler.reminders import plan_reminders

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "fundbot-bench-reminders.sqlite3"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reminders"
BKK = ZoneInfo("Asia/Bangkok")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    server, url = _start_fake()
    try:
        transport = LineTransport(_settings(url))
        if not args.no_sqlite:
            _bench_planning("sqlite", Database(f"sqlite:///{args.sqlite}"), transport, args)
        if not args.no_postgres:
            _bench_planning("postgresql", Database(args.postgres), transport, args)
        if args.pushes:
            _bench_dispatch(url, transport, args)
        transport.client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.reminder_bench", description=__doc__)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--installments", type=int, default=10, help="per contract")
    parser.add_argument("--sqlite", type=Path, default=DEFAULT_SQLITE)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--pushes", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=4, help="dispatchers sending at once")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    return parser


def _settings(url: str) -> Settings:
    return Settings.from_env(
        {
            "DATABASE_URL": "sqlite://",
            "FUNDBOT_SECRET_KEY": "bench",
            "FUNDBOT_INSTANCE_PATH": tempfile.gettempdir(),
            "LINE_CHANNEL_SECRET": "bench",
            "LINE_CHANNEL_ACCESS_TOKEN": "bench",
            "LINE_API_BASE_URL": url,
            "LINE_API_DATA_URL": url,
        }
    )


def _start_fake() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.fakeline_server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = server.stdout.readline().strip()
    return server, line.split()[-1]


# ------------------------------------------------------------------------------ planning


def _bench_planning(engine: str, db: Database, transport, args) -> None:
    print(f"{engine}: load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.rebuild or not reusable(db, args.contracts):
        began = time.perf_counter()
        prepare_schema(db)
        counts = generate(db, args.contracts, args.installments)
        _link_and_groups(db)
        took = time.perf_counter() - began
        built = ", ".join(f"{n:,} {t}" for t, n in counts.items())
        print(f"{engine}: built in {took:.1f} s: {built}")
    _forget_plans(db)
    now = datetime.combine(BENCH_AS_OF, dtime(6, 0), BKK)
    book = PolicyBook()
    began = time.perf_counter()
    report = plan_reminders(db, transport, book, now=now)
    first = time.perf_counter() - began
    began = time.perf_counter()
    again = plan_reminders(db, transport, book, now=now)
    second = time.perf_counter() - began
    with db.session() as session:
        items = session.scalar(select(func.count(ReminderItem.id)))
        visits = session.scalar(select(func.count(VisitTask.id)))
        rows = session.scalar(select(func.count(OutboxMessage.id)))
    plan = report.plan
    print(
        f"{engine}: planning {BENCH_AS_OF}: {first:.2f} s ({len(plan.debtors):,} debtor "
        f"messages, {len(plan.groups)} group notices, {len(plan.staff)} staff messages, "
        f"{visits:,} visit tasks, {items:,} reminder items, {rows:,} outbox rows); "
        f"planning again: {second:.2f} s, {len(again.plan.debtors)} new"
    )
    db.dispose()


def _link_and_groups(db: Database) -> None:
    """80% of borrowers linked to LINE; a reminder group and a team group per district."""
    hexed = "printf('%032x', id)" if db.is_sqlite else "lpad(to_hex(id), 32, '0')"
    with db.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE borrower SET line_user_id = 'U' || {hexed} WHERE id % 5 <> 0")
        )
        districts = (
            connection.execute(text("SELECT id FROM area WHERE level = 'district' ORDER BY id"))
            .scalars()
            .all()
        )
        for n, area_id in enumerate(districts):
            for kind, prefix in (("reminder", "Cr"), ("team", "Ct")):
                connection.execute(
                    text(
                        "INSERT INTO line_group (group_id, kind, area_id, active, registered_at) "
                        "VALUES (:g, :k, :a, :t, :now)"
                    ),
                    {"g": f"{prefix}{n:031x}", "k": kind, "a": area_id, "t": True,
                     "now": datetime.now(BKK)},
                )  # fmt: skip
        if not db.is_sqlite:
            connection.execute(text("ANALYZE"))


def _forget_plans(db: Database) -> None:
    with db.engine.begin() as connection:
        for table in ("reminder_item", "visit_task", "outbox_message"):
            connection.execute(text(f"DELETE FROM {table}"))


# ------------------------------------------------------------------------------ dispatch


def _bench_dispatch(url: str, transport, args) -> None:
    db = Database(f"sqlite:///{Path(tempfile.gettempdir()) / 'fundbot-bench-dispatch.sqlite3'}")
    prepare_schema(db)
    now = datetime.combine(BENCH_AS_OF, dtime(9, 0), BKK)
    rows = [
        _outbox_row(
            f"bench:{n}",
            [f"U{n:032x}"],
            [{"type": "text", "text": f"ค่างวด {n:,}.00 บาท ครบกำหนด 16 มี.ค. 2569 ค่ะ"}],
            5,
            now,
            None,
            None,
        )
        for n in range(args.pushes)
    ]
    with db.session() as session:
        _insert(session, OutboxMessage, rows)
    _reset(url)
    totals = []

    def sender():
        # Each sender has its own connection pool, as separate processes would.
        mine = LineTransport(_settings(url))
        count = 0
        while (report := dispatch(db, mine, now=now, limit=100)).sent:
            count += report.sent
        totals.append(count)
        mine.client.close()

    threads = [threading.Thread(target=sender) for _ in range(args.senders)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    sent = sum(totals)
    ours = sent / took
    ceiling = _bare_client(url, args.pushes)
    print(
        f"dispatch ({args.senders} senders): {sent:,} pushes with retry keys in {took:.2f} s "
        f"= {ours:,.0f}/s; "
        f"bare client to the same fake: {ceiling:,.0f}/s; ratio {ours / ceiling:.2f}"
    )
    db.dispose()


def _reset(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    connection.request("POST", "/__reset")
    connection.getresponse().read()
    connection.close()


def _bare_client(url: str, count: int) -> float:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench"}
    began = time.perf_counter()
    for n in range(count):
        body = json.dumps(
            {"to": f"U{n:032x}", "messages": [{"type": "text", "text": f"ค่างวด {n}"}]}
        )
        connection.request(
            "POST",
            "/v2/bot/message/push",
            body=body.encode(),
            headers={**headers, "X-Line-Retry-Key": str(uuid.uuid4())},
        )
        connection.getresponse().read()
    took = time.perf_counter() - began
    connection.close()
    return count / took


if __name__ == "__main__":
    sys.exit(main())
