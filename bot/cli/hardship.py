"""`fundbot hardship list|approve|reject`: relief requests filed on LINE, decided by staff."""

from __future__ import annotations

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.tables import table
from bot.errors import UserError
from bot.i18n import _, format_date, lazy_gettext
from models.area import find_area
from models.audit import Actor
from models.hardship import (
    APPROVED,
    MORATORIUM,
    OPEN,
    REJECTED,
    RESTRUCTURE,
    decide_hardship,
    hardship_requests,
)

MEASURES = {
    MORATORIUM: lazy_gettext("moratorium"),
    RESTRUCTURE: lazy_gettext("restructuring"),
}


@click.group("hardship")
def hardship() -> None:
    """Hardship requests (moratorium or restructuring) sent on LINE."""


@hardship.command("list")
@click.option("--all", "everything", is_flag=True, help="Decided requests too.")
@click.option("--area", "area_path", help='Only debtors in this area, e.g. "แก่งคอย/หินซ้อน".')
@pass_runtime
def list_requests(lazy, everything: bool, area_path: str | None) -> None:
    """Requests, oldest first: id, date (BE), debtor, area, contract, measure asked, reason."""
    runtime = runtime_of(lazy)
    zone = runtime.settings.timezone
    with runtime.db.session() as session:
        scope = None
        if area_path:
            area = find_area(session, area_path, runtime.settings.province)
            if area is None:
                raise UserError(_("No area called %(path)s", path=area_path))
            scope = [area.path]
        rows = [
            [
                str(r.id),
                format_date(r.created_at.astimezone(zone).date()),
                r.borrower.display_name,
                r.borrower.area.path,
                r.contract.contract_no if r.contract else "-",
                str(MEASURES.get(r.measure, "-")),
                r.status,
                r.reason,
                r.requested_by,
            ]
            for r in hardship_requests(session, scope=scope, status=None if everything else OPEN)
        ]
    if not rows:
        click.echo(_("No hardship requests."))
        return
    headers = [
        _("id"),
        _("date"),
        _("debtor"),
        _("area"),
        _("contract"),
        _("asks for"),
        _("state"),
        _("reason"),
        _("by"),
    ]
    click.echo(table(headers, rows))


@hardship.command("approve")
@click.argument("request_id", type=int)
@click.option("--note", default="", help="Why, for the audit log and the requester.")
@pass_runtime
def approve(lazy, request_id: int, note: str) -> None:
    """Approve request REQUEST_ID; then set the relief up with `fundbot relief`."""
    _decide(lazy, request_id, APPROVED, note)


@hardship.command("reject")
@click.argument("request_id", type=int)
@click.option("--note", default="", help="Why, for the audit log and the requester.")
@pass_runtime
def reject(lazy, request_id: int, note: str) -> None:
    """Reject request REQUEST_ID."""
    _decide(lazy, request_id, REJECTED, note)


def _decide(lazy, request_id: int, decision: str, note: str) -> None:
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        request = decide_hardship(session, Actor.cli(), request_id, decision, scope=None, note=note)
        name = request.borrower.display_name
        session.commit()
    if decision == APPROVED:
        click.echo(
            _(
                "Request %(id)d of %(name)s approved. Set the relief up with fundbot relief.",
                id=request_id,
                name=name,
            )
        )
    else:
        click.echo(_("Request %(id)d of %(name)s rejected.", id=request_id, name=name))


def register(main: click.Group) -> None:
    main.add_command(hardship)
