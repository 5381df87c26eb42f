"""The migrations and the models describe the same schema, on every engine."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import models
from models import migrate


def test_migrations_match_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        diff = compare_metadata(context, models.Base.metadata)
    assert diff == []


def test_db_upgrade_command_reports_revision(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "0001" in result.output or "00" in result.output
