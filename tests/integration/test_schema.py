"""The migrations alone build the schema the models describe, on every engine."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

import models
from models import migrate
from models.base import Database


@pytest.fixture
def empty_database(db, tmp_path):
    """A database with nothing in it, of the same engine as `db`."""
    if db.is_sqlite:
        fresh = Database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield fresh
        fresh.dispose()
        return
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    fresh = Database(db.url, connect_args={"options": "-csearch_path=migration_check"})
    yield fresh
    fresh.dispose()
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA migration_check CASCADE"))


def test_migrations_from_empty_match_models(empty_database):
    migrate.upgrade(empty_database.engine)
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        diff = compare_metadata(context, models.Base.metadata)
    assert diff == []


def test_migrations_downgrade_to_empty(empty_database):
    migrate.upgrade(empty_database.engine)
    migrate.downgrade(empty_database.engine, "base")
    assert migrate.current(empty_database.engine) is None


def test_db_upgrade_command_reports_revision(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(migrate.alembic_config(None)).get_current_head()
    assert head in result.output
