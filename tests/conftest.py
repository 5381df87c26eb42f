"""Shared fixtures: a real database (SQLite, and PostgreSQL when reachable), settings, CLI.

Every test that takes `db` runs twice: once on SQLite and once on PostgreSQL. Where no
PostgreSQL is reachable the PostgreSQL run is skipped with the reason printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

import models
from bot.config import Settings
from bot.i18n import set_default_locale
from bot.runtime import Runtime
from models import migrate
from models.base import Database

PG_URL = os.environ.get(
    "FUNDBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_pg_state: dict[str, object] = {}


def _postgres_unreachable_reason() -> str | None:
    if "reason" not in _pg_state:
        try:
            probe = Database(PG_URL, connect_args={"connect_timeout": 3})
            with probe.engine.connect() as connection:
                connection.execute(text("select 1"))
            probe.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_state["reason"] = f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"
    return _pg_state["reason"]  # type: ignore[return-value]


def pytest_report_header(config):
    reason = _postgres_unreachable_reason()
    return [
        "databases: sqlite"
        + (" and postgresql (" + PG_URL + ")" if reason is None else f"; SKIPPING {reason}")
    ]


def _reset_schema(database: Database) -> None:
    """Drop everything, then build the schema with the real migrations."""
    with database.engine.begin() as connection:
        if database.is_sqlite:
            models.Base.metadata.drop_all(connection)
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(database.engine)


def _empty_tables(database: Database) -> None:
    tables = list(reversed(models.Base.metadata.sorted_tables))
    with database.engine.begin() as connection:
        if database.is_sqlite:
            for table in tables:
                connection.execute(table.delete())
        else:
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _sqlite_db(tmp_path_factory):
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}")
    _reset_schema(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def _postgresql_db():
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    database = Database(PG_URL)
    _reset_schema(database)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request) -> Database:
    """An empty database with the migrated schema; parametrised over both engines."""
    database = request.getfixturevalue(f"_{request.param}_db")
    _empty_tables(database)
    return database


@pytest.fixture
def session(db):
    """A session on `db`; the test commits what it wants to keep."""
    with db.sessions() as s:
        yield s


@pytest.fixture
def env(db, tmp_path) -> dict[str, str]:
    """Environment variables for an app or CLI run against `db`."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return {
        "DATABASE_URL": db.url if isinstance(db.url, str) else str(db.url),
        "FUNDBOT_INSTANCE_PATH": str(instance),
        "FUNDBOT_LOCALE": "th",
        "FUNDBOT_SECRET_KEY": "test-secret",
        "FUNDBOT_PROVINCE": "สระบุรี",
        "LINE_CHANNEL_SECRET": "",
        "LINE_CHANNEL_ACCESS_TOKEN": "",
    }


@pytest.fixture
def settings(env) -> Settings:
    """Settings for `db`."""
    return Settings.from_env(env)


@pytest.fixture
def runtime(settings) -> Runtime:
    """A runtime (settings + database handle) for `db`."""
    rt = Runtime(settings)
    yield rt
    rt.db.dispose()


@pytest.fixture(autouse=True)
def _thai_by_default():
    set_default_locale("th")
    yield
    set_default_locale("th")


@pytest.fixture
def cli(env, monkeypatch):
    """Run `fundbot ...` in-process with the test environment; returns the Result."""
    from bot.cli import main

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(Path(env["FUNDBOT_INSTANCE_PATH"]).parent)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def fake_line():
    """A fake LINE Messaging API on loopback (tests/fakeline.py), stopped after the test."""
    from tests.fakeline import FakeLine

    with FakeLine(access_token="test-token") as fake:
        yield fake


@pytest.fixture
def line_env(env, fake_line) -> dict[str, str]:
    """`env` with LINE credentials, pointing the LINE client at the fake server."""
    return {
        **env,
        "LINE_CHANNEL_SECRET": "test-channel-secret",
        "LINE_CHANNEL_ACCESS_TOKEN": "test-token",
        "LINE_API_BASE_URL": fake_line.url,
        "LINE_API_DATA_URL": fake_line.url,
    }


@pytest.fixture
def app(line_env):
    """The Flask app with LINE credentials, talking to the fake LINE server."""
    from tests.line_events import make_app

    app = make_app(line_env)
    yield app
    app.extensions["fundbot"].db.dispose()


@pytest.fixture
def client(app):
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture
def chat(runtime):
    """Users talking to the bot in-process through the webhook's pipeline (tests/chat.py).

    `chat.say(user, "ยอด")` returns what the bot sent for it (`.text`, `.texts`, `.messages`,
    `.replies`, `.pushes`, `.to(chat_id)`); LINE is a transport that records every send.
    """
    from tests.chat import Chat

    return Chat(runtime)
