"""PostgreSQL connections left dead in the pool (a restarted server) are replaced, not used.

fundbot pings a pooled connection only when it sat idle (models/base.py, PING_AFTER_IDLE),
instead of SQLAlchemy's ping at every checkout (a round trip per webhook and per batch).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import base
from models.base import Database
from tests.conftest import PG_URL, _postgres_unreachable_reason


@pytest.fixture
def pg():
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    database = Database(PG_URL, pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def _backend_pid(database: Database) -> int:
    with database.engine.connect() as connection:
        return connection.execute(text("select pg_backend_pid()")).scalar_one()


def _kill(pid: int) -> None:
    killer = Database(PG_URL)
    with killer.engine.connect() as connection:
        connection.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_a_connection_killed_while_idle_is_replaced(pg, monkeypatch):
    first = _backend_pid(pg)
    _kill(first)
    monkeypatch.setattr(base, "PING_AFTER_IDLE", 0.0)
    assert _backend_pid(pg) != first  # the ping found it dead; a fresh one answered
