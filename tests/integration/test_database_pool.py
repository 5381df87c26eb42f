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


def test_the_webhook_stores_on_a_fresh_connection_when_its_own_was_killed(_postgresql_db):
    """Each web thread keeps one autocommit connection for its inserts; killed, it is replaced
    and the event stored all the same (the insert skips an event already stored)."""
    from sqlalchemy import select

    from bot.inbound import ingest
    from bot.line.events import text_event
    from models.inbound import InboundEvent

    pg = Database(PG_URL)  # the schema is the test database's; a pool of the default size
    first = ingest(pg, [text_event(f"U{1:032x}", "ยอด")], received_at=base.utcnow())
    held = pg.autocommit_connection()
    _kill(held.execute(text("select pg_backend_pid()")).scalar_one())

    second = ingest(pg, [text_event(f"U{2:032x}", "ยอด")], received_at=base.utcnow())

    assert pg.autocommit_connection() is not held
    with pg.session() as session:
        stored = set(session.scalars(select(InboundEvent.id)))
    assert set(first + second) <= stored and len(second) == 1
    pg.dispose()
    assert pg.autocommit_connection() is not held  # dispose closed them; a new one is made
