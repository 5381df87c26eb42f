"""Alembic environment: runs on the engine fundbot passes in (see models.migrate)."""

from alembic import context
from sqlalchemy.types import TypeDecorator

import models
from models.migrate import include_object

config = context.config
target_metadata = models.Base.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types (Money, Rate, UTCDateTime) as the plain types they store.

    Migrations then never import today's models, which may change after they were written.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_online() -> None:
    """Run migrations on the engine given by the caller, or on sqlalchemy.url."""
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
            render_item=render_item,
        )
        context.run_migrations()


run_migrations_online()
