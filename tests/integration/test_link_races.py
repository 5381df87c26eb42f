"""Link codes under concurrency: many redemptions at once, each on its own connection.

Each test starts its callers together (a barrier) in threads, every one with its own
session and database connection, and calls the domain operation itself. On PostgreSQL they
really run at once; SQLite lets one writer in at a time, so there they check the same rules
in whatever order its lock hands out.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import Actor, AuditEntry
from models.base import Database
from models.borrower import Borrower
from models.identity import LinkAttempt, LinkCode
from models.linking import (
    GLOBAL_MAX_FAILURES,
    MAX_FAILURES,
    SLOW_INTERVAL,
    LinkStatus,
    issue_borrower_code,
    new_code,
    redeem,
)
from models.types import Source
from tests.factories import make_contract

SECRET = "test-secret"
NOW = datetime(2025, 4, 15, 3, 0, tzinfo=UTC)
CLI = Actor("cli:test", Source.CLI)


@pytest.fixture
def issued(db, session) -> tuple[int, str]:
    """(borrower id, a live code for them)."""
    contract = make_contract(session)
    session.flush()
    code = issue_borrower_code(
        session, CLI, contract.borrower, now=NOW - timedelta(days=1), secret_key=SECRET
    )
    session.commit()
    return contract.borrower_id, code


def at_once(db: Database, calls: list[Callable[[Session], object]], threads: int | None = None):
    """Run each call in its own transaction, on its own connection, all starting together."""
    threads = threads or len(calls)
    own = Database(str(db.url), pool_size=threads, max_overflow=0)
    barrier = threading.Barrier(threads)

    def worker(batch: list[Callable[[Session], object]]) -> list[object]:
        results = []
        first = True
        for call in batch:
            with own.session() as session:
                session.connection()
                if first:
                    barrier.wait(timeout=30)
                    first = False
                results.append(call(session))
        return results

    batches = [calls[i::threads] for i in range(threads)]
    try:
        with ThreadPoolExecutor(threads) as pool:
            return [r for batch in pool.map(worker, batches) for r in batch]
    finally:
        own.dispose()


def attempt(user_id: str, code: str, now: datetime = NOW):
    return lambda session: redeem(session, user_id, code, now=now, secret_key=SECRET)


def wrong_code(right: str) -> str:
    while (code := new_code()) == right:
        pass
    return code


def test_one_code_sent_from_ten_accounts_at_once_links_exactly_one(db, issued):
    borrower_id, code = issued
    users = [f"Uracer{i:02d}" for i in range(10)]
    results = at_once(db, [attempt(user, code) for user in users])

    statuses = Counter(r.status for r in results)
    assert statuses == {LinkStatus.LINKED: 1, LinkStatus.USED: 9}
    [winner] = [u for u, r in zip(users, results, strict=True) if r.status is LinkStatus.LINKED]
    # The losers learn nothing about whose code it was.
    assert all(r.borrower is None for r in results if r.status is LinkStatus.USED)
    with db.session() as session:
        assert session.get(Borrower, borrower_id).line_user_id == winner
        assert session.scalar(select(LinkCode.used_by)) == winner
        links = session.scalar(select(func.count()).where(AuditEntry.action == "link"))
        assert links == 1


def test_twenty_wrong_codes_at_once_from_one_account_never_pass_the_limit(db, issued):
    _borrower_id, code = issued
    results = at_once(db, [attempt("Uguesser", wrong_code(code)) for _ in range(20)])

    with db.session() as session:
        checked = session.scalar(select(func.count()).where(LinkAttempt.line_user_id == "Uguesser"))
    assert checked == MAX_FAILURES
    statuses = Counter(r.status for r in results)
    assert statuses == {LinkStatus.INVALID: MAX_FAILURES - 1, LinkStatus.LOCKED: 20 - 4}
    # The right code is refused too while the account is locked.
    with db.session() as session:
        assert attempt("Uguesser", code)(session).status is LinkStatus.LOCKED


def test_the_global_limit_stops_a_distributed_guesser(db, issued):
    borrower_id, code = issued
    # 60 LINE accounts, 3 guesses each: no account alone reaches its own limit of 5.
    guesses = [attempt(f"Ubot{i:03d}", wrong_code(code)) for i in range(60) for _ in range(3)]
    results = at_once(db, guesses, threads=20)

    statuses = Counter(r.status for r in results)
    checked = len(guesses) - statuses[LinkStatus.THROTTLED]
    assert checked == GLOBAL_MAX_FAILURES
    assert statuses[LinkStatus.THROTTLED] == len(guesses) - GLOBAL_MAX_FAILURES
    assert sum(r.alert is not None for r in results) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LinkAttempt)) == checked

    # Everyone is slowed now, the right code too, until the next check is due.
    with db.session() as session:
        slowed = attempt("Uhonest", code)(session)
    assert slowed.status is LinkStatus.THROTTLED
    assert slowed.retry_at == NOW + SLOW_INTERVAL
    later = NOW + SLOW_INTERVAL
    with db.session() as session:
        assert attempt("Uhonest", code, later)(session).status is LinkStatus.LINKED
        assert session.get(Borrower, borrower_id).line_user_id == "Uhonest"
