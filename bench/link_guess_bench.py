"""Link codes under attack: the three races of the reliability issue, with their figures.

    python -m bench.link_guess_bench [--sqlite PATH] [--postgres URL] [--threads 20]

On a fresh schema (the PostgreSQL database's public schema is dropped and rebuilt: give a
scratch database), it calls the domain operation from threads, each with its own connection:
one valid code from 10 LINE users at once; 20 wrong codes from one user at once; and a
distributed guesser, 200 users x 6 wrong codes. It prints how many were linked or checked.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

import models
from models import migrate
from models.audit import Actor
from models.base import Database
from models.identity import LinkAttempt
from models.linking import LinkStatus, issue_borrower_code, new_code, redeem
from models.types import Source

SECRET = "bench-secret"
NOW = datetime(2025, 4, 15, 3, 0, tzinfo=UTC)


def fresh(url: str) -> Database:
    """`url` emptied and migrated."""
    database = Database(url, pool_size=64, max_overflow=0)
    with database.engine.begin() as connection:
        if database.is_sqlite:
            models.Base.metadata.drop_all(connection)
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(database.engine)
    return database


def live_code(database: Database) -> str:
    from tests.factories import make_contract

    with database.session() as session:
        contract = make_contract(session)
        session.flush()
        return issue_borrower_code(
            session,
            Actor("bench", Source.CLI),
            contract.borrower,
            now=NOW - timedelta(days=1),
            secret_key=SECRET,
        )


def at_once(database: Database, calls: list[tuple[str, str]], threads: int) -> list[LinkStatus]:
    barrier = threading.Barrier(threads)

    def worker(batch):
        out = []
        for i, (user, code) in enumerate(batch):
            with database.session() as session:
                session.connection()
                if i == 0:
                    barrier.wait(timeout=60)
                out.append(redeem(session, user, code, now=NOW, secret_key=SECRET).status)
        return out

    batches = [calls[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [s for batch in pool.map(worker, batches) for s in batch]


def checked(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(LinkAttempt))


def wrong(code: str) -> str:
    while (guess := new_code()) == code:
        pass
    return guess


def run(name: str, url: str, threads: int) -> None:
    database = fresh(url)
    code = live_code(database)
    same = at_once(database, [(f"Urace{i}", code) for i in range(10)], 10)
    print(f"{name}: 1 valid code from 10 users at once: {dict(Counter(map(str, same)))}")

    database = fresh(url)
    code = live_code(database)
    at_once(database, [("Uguess", wrong(code)) for _ in range(20)], 20)
    print(f"{name}: 20 wrong codes from 1 user at once: {checked(database)} checked (limit 5)")

    database = fresh(url)
    code = live_code(database)
    guesses = [(f"Ubot{u:03d}", wrong(code)) for u in range(200) for _ in range(6)]
    started = time.perf_counter()
    statuses = Counter(map(str, at_once(database, guesses, threads)))
    seconds = time.perf_counter() - started
    print(
        f"{name}: 200 users x 6 wrong codes ({len(guesses)}) on {threads} threads in "
        f"{seconds:.1f} s: {checked(database)} checked, {statuses['throttled']} slowed "
        f"unchecked, {statuses['locked']} answered 'locked'"
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="SQLite file (default: a temporary one)")
    parser.add_argument("--postgres", help="a scratch PostgreSQL database URL")
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{args.sqlite or Path(tmp) / 'bench.sqlite3'}", args.threads)
    if args.postgres:
        run("PostgreSQL", args.postgres, args.threads)


if __name__ == "__main__":
    main()
