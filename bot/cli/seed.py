"""`fundbot seed-demo` and `fundbot demo`: load the demo province, and start with it."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from bot.cli import pass_runtime, runtime_of
from bot.cli.background import start_scheduler, stop_scheduler
from bot.cli.params import DATE
from bot.cli.serve import open_listener, serve
from bot.demo.geography import PROVINCE
from bot.demo.reminders import DemoRecipient, link_demo_debtors
from bot.demo.seed import (
    SeedReport,
    class_counts,
    contract_count,
    refuse_if_seeded,
    seed_demo,
)
from bot.i18n import _, format_date
from bot.labels import class_label
from bot.runtime import Runtime
from models import migrate
from models.types import Role

DEFAULT_BORROWERS = 3000
DEFAULT_SEED = 2569


@click.command("seed-demo")
@click.option(
    "--borrowers",
    default=DEFAULT_BORROWERS,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="How many borrowers (one contract each).",
)
@click.option(
    "--seed",
    default=DEFAULT_SEED,
    show_default=True,
    type=int,
    help="The same seed, the same data.",
)
@click.option("--today", type=DATE, help="The date the data is built around (default: today).")
@pass_runtime
def seed_demo_command(lazy, borrowers: int, seed: int, today: date | None) -> None:
    """Load a demo province (Saraburi) into an empty database."""
    runtime = runtime_of(lazy)
    if migrate.current(runtime.db.engine) is None:
        migrate.upgrade(runtime.db.engine)
    report = load_demo(runtime, borrowers=borrowers, seed=seed, today=today)
    for line in summary_lines(runtime, report):
        click.echo(line)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--borrowers",
    default=DEFAULT_BORROWERS,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Borrowers in the demo, when it is loaded.",
)
@click.option("--no-serve", is_flag=True, help="Load and summarise only; do not start the web app.")
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Serve without the background scheduler (reminders, retries).",
)
@pass_runtime
def demo_command(
    lazy, host: str, port: int, borrowers: int, no_serve: bool, no_scheduler: bool
) -> None:
    """Create the database, load the demo province if it is empty, and start the app."""
    runtime = runtime_of(lazy)
    # The address is checked first: a taken port is said before a long load, not after.
    listener = None if no_serve else open_listener(runtime, host, port)
    try:
        lines = prepare_demo(runtime, borrowers)
        for line in lines:
            click.echo(line)
    except BaseException:
        if listener is not None:
            listener.close()
        raise
    if listener is None:
        return
    if no_scheduler:
        serve(runtime, host, port, listener=listener)
        return
    click.echo(
        _(
            "The scheduler runs beside the web app: reminders are planned every 10 minutes and "
            "sent every 15 s, in the contact hours."
        )
    )
    child = start_scheduler()
    try:
        serve(runtime, host, port, listener=listener)
    finally:
        stop_scheduler(child)


def prepare_demo(runtime: Runtime, borrowers: int) -> list[str]:
    """Migrate, load the demo province into an empty database; what to tell the user."""
    migrate.upgrade(runtime.db.engine)
    today = datetime.now(runtime.settings.timezone).date()
    with runtime.db.session() as session:
        existing = contract_count(session)
        classes = class_counts(session, today) if existing else None
    if classes is None:
        report = load_demo(runtime, borrowers=borrowers, seed=DEFAULT_SEED, today=today)
        with runtime.db.session() as session:
            linked = link_demo_debtors(session, today)
        lines = summary_lines(runtime, report, extra=reminder_lines(linked))
    else:
        lines = [
            _(
                "The database already holds %(count)d contracts: starting with them.",
                count=existing,
            ),
            *class_lines(classes, today),
            _("Database: %(where)s", where=database_location(runtime)),
        ]
    return lines


def load_demo(runtime: Runtime, *, borrowers: int, seed: int, today: date | None) -> SeedReport:
    """Seed in one transaction, with a progress bar on stderr."""
    today = today or datetime.now(runtime.settings.timezone).date()
    with runtime.db.session() as session:
        refuse_if_seeded(session)
    with runtime.db.session() as session, _DemoProgress() as progress:
        return seed_demo(
            session,
            settings=runtime.settings,
            borrowers=borrowers,
            seed=seed,
            today=today,
            progress=progress,
        )


class _DemoProgress:
    """Two bars on stderr: the loans worked out, then the rows written."""

    def __init__(self) -> None:
        self.bar = None
        self.stage: str | None = None

    def __enter__(self):
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self._close()
            self.stage = stage
            label = _("Loading the demo province") if stage == "loans" else _("Writing")
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, *exc) -> None:
        self._close()


def summary_lines(runtime: Runtime, report: SeedReport, extra: list[str] = ()) -> list[str]:
    """What was loaded, the debtor classes on the day, and where the database is."""
    staff = report.staff
    lines = [
        _(
            "Demo province loaded in %(seconds)s s: %(villages)d villages, %(borrowers)d "
            "borrowers (%(groups)d member groups), %(contracts)d contracts, %(payments)d "
            "payments, the Women's Fund and %(funds)d village funds.",
            seconds=report.seconds,
            villages=report.villages,
            borrowers=report.borrowers,
            groups=report.groups,
            contracts=report.contracts,
            payments=report.payments,
            funds=report.kkcj_funds,
        ),
        _(
            "Staff: %(officers)d field officers, %(fund_staff)d fund staff, %(heads)d district "
            "heads, %(admins)d administrators.",
            officers=staff[Role.FIELD_OFFICER.value],
            fund_staff=staff[Role.FUND_STAFF.value],
            heads=staff[Role.DISTRICT_HEAD.value],
            admins=staff[Role.ADMIN.value],
        ),
    ]
    if report.logins:
        logins = ", ".join(f"{user} / {password}" for user, password in report.logins)
        lines.append(
            _(
                "Staff logins, for the dashboard (/staff) and the chat simulator (/simulator): "
                "%(logins)s",
                logins=logins,
            )
        )
    lines += [
        *extra,
        *class_lines(report.classes, report.today),
        _("Database: %(where)s", where=database_location(runtime)),
    ]
    if runtime.settings.province != PROVINCE:
        lines.append(
            _(
                "Note: FUNDBOT_PROVINCE is %(configured)s, but the demo province is %(demo)s.",
                configured=runtime.settings.province,
                demo=PROVINCE,
            )
        )
    return lines


def reminder_lines(linked: list[DemoRecipient]) -> list[str]:
    """Whom the demo linked to the simulator, so their reminders show in their chats."""
    if not linked:
        return []
    return [
        _("Reminders arrive in the simulator chats of these debtors (Debtors tab):"),
        *(
            "  "
            + _(
                "%(name)s, contract %(contract)s, installment due %(date)s",
                name=r.name,
                contract=r.contract_no,
                date=format_date(r.due_date),
            )
            for r in linked
        ),
    ]


def class_lines(classes: dict[str, int], today: date) -> list[str]:
    """A heading and one line per debtor class with its number of contracts."""
    heading = _("Contracts per debtor class on %(date)s:", date=format_date(today))
    return [heading, *(f"  {class_label(name)}: {count:,}" for name, count in classes.items())]


def database_location(runtime: Runtime) -> str:
    """The SQLite file, or the server URL without its password."""
    url = make_url(runtime.settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return str(Path(url.database).resolve())
    return url.render_as_string(hide_password=True)


def register(main: click.Group) -> None:
    """Add `seed-demo` and `demo` to the command line."""
    main.add_command(seed_demo_command)
    main.add_command(demo_command)
