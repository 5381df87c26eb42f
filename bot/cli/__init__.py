"""The `fundbot` command line. Each command family lives in its own module."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError
from bot.errors import UserError, explain
from bot.i18n import _
from bot.runtime import Runtime
from models.errors import DomainError


class Refusal(click.ClickException):
    """A known error: its line alone on stderr, without click's English "Error:" before it."""

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


class FundbotGroup(click.Group):
    """Turns known errors into one clear line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise Refusal(str(exc)) from None
        except UserError as exc:
            raise Refusal(str(exc)) from None
        except DomainError as exc:
            raise Refusal(explain(exc)) from None
        except OperationalError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            message = _("Cannot use the database: %(detail)s", detail=detail)
            raise Refusal(message) from None


@click.group(cls=FundbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """fundbot: LINE repayment reminders and follow-up for community development funds."""
    ctx.obj = LazyRuntime()


class LazyRuntime:
    """Builds the runtime on first use, so `--help` works without any settings."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None

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
        identity,
        importer,
        relief,
        reminders,
        scheduler,
        seed,
        serve,
        translate,
        users,
    )

    for module in (
        db,
        importer,
        arrears,
        relief,
        seed,
        serve,
        identity,
        scheduler,
        reminders,
        translate,
        users,
    ):
        module.register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
