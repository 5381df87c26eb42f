"""`fundbot db`: create, upgrade and inspect the schema."""

from __future__ import annotations

import click

from bot.cli import pass_runtime, runtime_of
from bot.i18n import _
from models import migrate


@click.group("db")
def db_group() -> None:
    """Manage the database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_runtime
def upgrade(lazy, revision: str) -> None:
    """Create or upgrade the database schema."""
    runtime = runtime_of(lazy)
    migrate.upgrade(runtime.db.engine, revision)
    click.echo(_("Database is at revision %(rev)s.", rev=migrate.current(runtime.db.engine)))


@db_group.command("current")
@pass_runtime
def current(lazy) -> None:
    """Print the schema revision of the database."""
    click.echo(migrate.current(runtime_of(lazy).db.engine) or "-")


def register(main: click.Group) -> None:
    """Add `db` to the command line."""
    main.add_command(db_group)
