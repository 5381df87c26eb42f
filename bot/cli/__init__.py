"""The `fundbot` command line. Each command family lives in its own module."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import DBAPIError

from bot.config import ConfigError, os_reason
from bot.errors import UserError, explain
from bot.i18n import _, current_locale, use_locale
from bot.runtime import Runtime
from models.errors import DomainError


class CommandError(click.ClickException):
    """A refused command: one line on stderr, "Error:" in the operator's language too."""

    def __init__(self, message: str, locale: str | None = None) -> None:
        super().__init__(message)
        self.locale = locale

    def show(self, file=None) -> None:
        """Print the message after "Error:" in the language the message is in."""
        with use_locale(self.locale or current_locale()):
            line = _("Error: %(text)s", text=self.format_message())
        click.echo(line, err=True, file=file)


class FundbotGroup(click.Group):
    """Turns known errors into one clear line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise CommandError(str(exc), exc.locale) from None
        except UserError as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(explain(exc)) from None
        except DBAPIError as exc:
            raise CommandError(database_problem(exc, _database_of(ctx))) from None
        except OSError as exc:
            if exc.filename is None:
                raise
            raise CommandError(file_problem(exc)) from None


def database_problem(exc: DBAPIError, where: str | None) -> str:
    """One line for an error the database driver raised, naming the database."""
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    detail = lines[0] if lines else exc.__class__.__name__
    where = where or "DATABASE_URL"
    if "file is not a database" in detail:
        return _("%(path)s is not a SQLite database file (DATABASE_URL)", path=where)
    # SQLite says "no such table"; PostgreSQL's SQLSTATE 42P01 is an undefined table.
    if "no such table" in detail or getattr(exc.orig, "sqlstate", None) == "42P01":
        return _(
            "The database %(where)s has no fundbot tables: run `fundbot db upgrade` first",
            where=where,
        )
    return _("Cannot use the database %(where)s: %(detail)s", where=where, detail=detail)


def file_problem(exc: OSError) -> str:
    """One line for a file that could not be read or written, naming it."""
    return _("Cannot use the file %(path)s: %(reason)s", path=exc.filename, reason=os_reason(exc))


def _database_of(ctx: click.Context) -> str | None:
    """Where the runtime's database is, when the command got that far."""
    lazy = ctx.find_object(LazyRuntime)
    runtime = lazy.built if lazy is not None else None
    return runtime.db.location if runtime is not None else None


@click.group(cls=FundbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """fundbot: LINE repayment reminders and follow-up for community development funds."""
    ctx.obj = LazyRuntime()


class LazyRuntime:
    """Builds the runtime on first use, so `--help` works without any settings."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None

    @property
    def built(self) -> Runtime | None:
        """The runtime if a command has built it, else None."""
        return self._runtime

    def get(self) -> Runtime:
        """The runtime, built from the environment the first time."""
        if self._runtime is None:
            self._runtime = Runtime.from_env()
        return self._runtime


pass_runtime = click.make_pass_decorator(LazyRuntime)


def runtime_of(lazy: LazyRuntime) -> Runtime:
    """The Runtime behind the lazy handle a command received."""
    return lazy.get()


def _register() -> None:
    from bot.cli import (
        arrears,
        db,
        funds,
        hardship,
        identity,
        importer,
        kkcj,
        payments,
        relief,
        reminders,
        richmenu,
        scheduler,
        seed,
        serve,
        tasks,
        translate,
        users,
    )

    modules = (
        db,
        importer,
        kkcj,
        arrears,
        relief,
        payments,
        funds,
        hardship,
        seed,
        serve,
        identity,
        scheduler,
        reminders,
        richmenu,
        tasks,
        users,
        translate,
    )
    for module in modules:
        module.register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
