"""`fundbot user add|list`: logins for the staff dashboard."""

from __future__ import annotations

import sys

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.identity import ROLE_CHOICE
from bot.errors import UserError
from bot.i18n import _
from handlers.texts import role_label
from models.audit import Actor
from models.staff import Staff
from models.staff_login import add_staff_with_login, create_login, list_logins


@click.group("user")
def user() -> None:
    """Logins for the staff dashboard (the web pages at /staff)."""


@user.command("add")
@click.option("--username", required=True, help="What they type to log in.")
@click.option("--role", type=ROLE_CHOICE, help="Their role (for a new member of staff).")
@click.option(
    "--area",
    "areas",
    multiple=True,
    help="An area they are responsible for, e.g. แก่งคอย/หินซ้อน (repeat for several).",
)
@click.option("--staff-id", type=int, help="Give the login to this existing member of staff.")
@click.option("--name", help="The new member of staff's name (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_runtime
def user_add(
    lazy,
    username: str,
    role: str | None,
    areas: tuple[str, ...],
    staff_id: int | None,
    name: str | None,
    password_stdin: bool,
) -> None:
    """Create a login: for an existing member of staff (--staff-id), or a new one with
    --role and --area. The password is asked for, or read from stdin."""
    runtime = runtime_of(lazy)
    if staff_id is None and (role is None or not areas):
        raise UserError(_("Give --role and --area for a new member of staff, or --staff-id"))
    if staff_id is not None and (role or areas):
        raise UserError(_("--staff-id takes the role and areas the member of staff already has"))
    password = _read_password(password_stdin)
    actor = Actor.cli()
    with runtime.db.session() as session:
        if staff_id is not None:
            staff = session.get(Staff, staff_id)
            if staff is None:
                raise UserError(_("No staff with id %(id)d", id=staff_id))
            login = create_login(session, actor, username=username, password=password, staff=staff)
        else:
            login = add_staff_with_login(
                session,
                actor,
                username=username,
                password=password,
                role=role,
                area_paths=list(areas),
                province=runtime.settings.province,
                name=name,
            )
        summary = _(
            "Login %(username)s for staff %(id)d: %(name)s, %(role)s for %(areas)s",
            username=login.username,
            id=login.staff.id,
            name=login.staff.name,
            role=role_label(login.staff.role),
            areas=", ".join(login.staff.area_paths),
        )
    click.echo(summary)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


@user.command("list")
@pass_runtime
def user_list(lazy) -> None:
    """Every login: username, staff id and name, role, areas, active or not."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        lines = []
        for login in list_logins(session):
            active = "" if login.active and login.staff.active else " " + _("(inactive)")
            areas = ", ".join(login.staff.area_paths) or "-"
            role = role_label(login.staff.role)
            lines.append(
                f"{login.username}\t{login.staff.id}\t{login.staff.name}\t{role}\t{areas}{active}"
            )
    if not lines:
        click.echo(_("No logins yet. Add one with: fundbot user add"))
    for line in lines:
        click.echo(line)


def register(main: click.Group) -> None:
    """Add `user` to the command line."""
    main.add_command(user)
