"""`fundbot db`: create, upgrade and inspect the schema."""

from __future__ import annotations

import click
from alembic.script import ScriptDirectory

from bot.cli import pass_runtime, runtime_of
from bot.errors import UserError
from bot.i18n import _
from bot.runtime import Runtime
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


def require_current_schema(runtime: Runtime) -> None:
    """Refuse, in one line, a database that is unreadable or not at the latest revision.

    For long-running commands, which would otherwise start and then fail on every job.
    """
    engine = runtime.db.engine
    head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
    current = migrate.current(engine)
    if current != head:
        raise UserError(
            _(
                "The database %(where)s is at schema revision %(current)s, not %(head)s: "
                "run `fundbot db upgrade` first",
                where=runtime.db.location,
                current=current or "-",
                head=head,
            )
        )


def register(main: click.Group) -> None:
    """Add `db` to the command line."""
    main.add_command(db_group)
