"""`fundbot link-code`, `fundbot officer add|list`, `fundbot unlink`: who is who on LINE.

A code is printed alone on the last line of stdout, so scripts can take it with `tail -1`.
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.cli import pass_runtime, runtime_of
from bot.cli.params import PHONE, contract_choice, lookup_contract
from bot.errors import UserError
from bot.i18n import _, format_date
from handlers.texts import role_label
from models.area import find_area
from models.audit import Actor, audit
from models.base import utcnow
from models.linking import CODE_TTL, issue_borrower_code, issue_staff_code, unlink_borrower
from models.staff import Staff
from models.types import Role

ROLE_CHOICE = click.Choice([role.value for role in Role])


@click.command("link-code")
@click.argument("contract_no")
@contract_choice
@pass_runtime
def link_code(lazy, contract_no: str, fund_kind: str | None, area_path: str | None) -> None:
    """Issue a one-time code that links the borrower of CONTRACT_NO to their LINE account."""
    runtime = runtime_of(lazy)
    now = utcnow()
    with runtime.db.session() as session:
        contract = lookup_contract(session, runtime, contract_no, fund_kind, area_path)
        borrower = contract.borrower
        code = issue_borrower_code(
            session, Actor.cli(), borrower, now=now, secret_key=runtime.settings.secret_key
        )
        name, number = borrower.display_name, contract.contract_no
    expires = (now + CODE_TTL).astimezone(runtime.settings.timezone).date()
    click.echo(_("Borrower: %(name)s (contract %(contract)s)", name=name, contract=number))
    click.echo(
        _("Valid until %(date)s, once. The debtor sends it to the bot:", date=format_date(expires))
    )
    click.echo(code)


@click.group("officer")
def officer() -> None:
    """Staff who use the bot: field officers, fund staff, district heads, admins."""


@officer.command("add")
@click.option("--name", required=True, help="The officer's name.")
@click.option("--role", required=True, type=ROLE_CHOICE, help="What they do.")
@click.option(
    "--area",
    "areas",
    required=True,
    multiple=True,
    help="An area they are responsible for, e.g. แก่งคอย/หินซ้อน (repeat for several).",
)
@click.option("--phone", type=PHONE, help="The number reminders give debtors, e.g. 081-234-5678.")
@pass_runtime
def officer_add(lazy, name: str, role: str, areas: tuple[str, ...], phone: str | None) -> None:
    """Register a member of staff and print their one-time registration code."""
    runtime = runtime_of(lazy)
    now = utcnow()
    actor = Actor.cli()
    with runtime.db.session() as session:
        found = [_area(session, path, runtime.settings.province) for path in areas]
        staff = Staff(
            name=name.strip(),
            role=Role(role),
            areas=found,
            locale=runtime.settings.locale,
            phone=phone,
        )
        session.add(staff)
        session.flush()
        after = {"name": staff.name, "role": staff.role, "areas": staff.area_paths}
        if phone:
            after["phone"] = phone
        audit(session, actor, "staff.add", "staff", staff.id, None, after)
        code = issue_staff_code(
            session, actor, staff, now=now, secret_key=runtime.settings.secret_key
        )
        summary = _(
            "Staff %(id)d: %(name)s, %(role)s for %(areas)s",
            id=staff.id,
            name=staff.name,
            role=role_label(staff.role),
            areas=", ".join(staff.area_paths),
        )
    expires = (now + CODE_TTL).astimezone(runtime.settings.timezone).date()
    click.echo(summary)
    click.echo(
        _(
            "Valid until %(date)s, once. The officer sends it to the bot in a private chat:",
            date=format_date(expires),
        )
    )
    click.echo(code)


@officer.command("list")
@pass_runtime
def officer_list(lazy) -> None:
    """Every member of staff, with role, areas and whether their LINE is linked."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        people = session.scalars(
            select(Staff).options(selectinload(Staff.areas)).order_by(Staff.id)
        ).all()
        lines = [_staff_line(person) for person in people]
    if not lines:
        click.echo(_("No staff yet. Add one with: fundbot officer add"))
    for line in lines:
        click.echo(line)


@officer.command("code")
@click.argument("staff_id", type=int)
@pass_runtime
def officer_code(lazy, staff_id: int) -> None:
    """Issue a new registration code for STAFF_ID (the old one stops working)."""
    runtime = runtime_of(lazy)
    now = utcnow()
    with runtime.db.session() as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise UserError(_("No staff with id %(id)d", id=staff_id))
        code = issue_staff_code(
            session, Actor.cli(), staff, now=now, secret_key=runtime.settings.secret_key
        )
        name = staff.name
    expires = (now + CODE_TTL).astimezone(runtime.settings.timezone).date()
    click.echo(_("Staff %(id)d: %(name)s", id=staff_id, name=name))
    click.echo(_("Valid until %(date)s, once.", date=format_date(expires)))
    click.echo(code)


@officer.command("phone")
@click.argument("staff_id", type=int)
@click.argument("number", type=PHONE)
@pass_runtime
def officer_phone(lazy, staff_id: int, number: str) -> None:
    """Set the phone of STAFF_ID that reminders give debtors (a Thai number)."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        staff = session.get(Staff, staff_id, with_for_update=True)
        if staff is None:
            raise UserError(_("No staff with id %(id)d", id=staff_id))
        before = {"phone": staff.phone}
        staff.phone = number
        audit(session, Actor.cli(), "staff.phone", "staff", staff.id, before, {"phone": number})
        name = staff.name
    click.echo(_("Staff %(id)d: %(name)s, phone %(phone)s", id=staff_id, name=name, phone=number))


@click.command("unlink")
@click.argument("contract_no")
@contract_choice
@pass_runtime
def unlink(lazy, contract_no: str, fund_kind: str | None, area_path: str | None) -> None:
    """Unlink the LINE account of the borrower of CONTRACT_NO."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        contract = lookup_contract(session, runtime, contract_no, fund_kind, area_path)
        borrower = contract.borrower
        changed = unlink_borrower(session, Actor.cli(), borrower)
        name = borrower.display_name
    if changed:
        click.echo(_("%(name)s is no longer linked to a LINE account.", name=name))
    else:
        click.echo(_("%(name)s was not linked to a LINE account.", name=name))


def _area(session, path: str, province: str):
    area = find_area(session, path, province)
    if area is None:
        raise UserError(_("No area called %(path)s", path=path))
    return area


def _staff_line(person: Staff) -> str:
    linked = _("LINE linked") if person.line_user_id else _("LINE not linked")
    active = "" if person.active else " " + _("(inactive)")
    areas = ", ".join(person.area_paths) or "-"
    role = role_label(person.role)
    phone = person.phone or "-"
    return f"{person.id}\t{person.name}\t{role}\t{areas}\t{phone}\t{linked}{active}"


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    for command in (link_code, officer, unlink):
        main.add_command(command)
