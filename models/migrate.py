"""Alembic, driven from code: `fundbot db upgrade` and the schema tests use these."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

# APScheduler creates this table itself; migrations must never drop it.
FOREIGN_TABLES = {"apscheduler_jobs"}


def alembic_config(engine: Engine) -> Config:
    """An Alembic config whose migrations run on `engine`."""
    config = Config()
    config.set_main_option("script_location", "models:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to `revision`."""
    command.downgrade(alembic_config(engine), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None when empty)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave tables that other libraries own out of autogenerate."""
    return not (type_ == "table" and name in FOREIGN_TABLES)
