"""`fundbot richmenu install|show|remove|image`: the debtors' rich menu on LINE.

`install` is safe to run again: it makes a new menu, sets it as the default and only then
deletes the older menus of the same name, so after any number of runs LINE holds one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from bot.cli import CommandError, pass_runtime, runtime_of
from bot.i18n import _, ngettext
from bot.line import rich_menu
from bot.line.client import LineClient, LineError
from handlers.debtor_menu import NAME, debtor_menu


@click.group("richmenu")
def richmenu_group() -> None:
    """The rich menu debtors see under the chat on LINE."""


@richmenu_group.command("install")
@pass_runtime
def install(lazy) -> None:
    """Create the menu with its picture and make it the default; older ones are replaced."""
    with _line_client(lazy) as client:
        done = rich_menu.install(client, debtor_menu())
    click.echo(_("Rich menu %(id)s is now every user's default menu.", id=done.rich_menu_id))
    if done.replaced:
        click.echo(
            ngettext(
                "Replaced %(num)d older menu: %(ids)s",
                "Replaced %(num)d older menus: %(ids)s",
                len(done.replaced),
                ids=", ".join(done.replaced),
            )
        )


@richmenu_group.command("show")
@pass_runtime
def show(lazy) -> None:
    """The debtors' menus LINE has, and which menu is the default."""
    with _line_client(lazy) as client:
        menus, default = rich_menu.installed(client, NAME)
    if not menus:
        click.echo(_("No debtors' rich menu is installed: run `fundbot richmenu install`."))
    for menu in menus:
        marker = _("default") if menu["richMenuId"] == default else "-"
        areas = " | ".join(area["action"].get("label", "") for area in menu.get("areas", []))
        click.echo(f"{menu['richMenuId']}  {marker}  {menu.get('chatBarText', '')}  {areas}")
    if default and default not in {m["richMenuId"] for m in menus}:
        click.echo(_("The default menu is another one: %(id)s", id=default))


@richmenu_group.command("remove")
@pass_runtime
def remove(lazy) -> None:
    """Delete the debtors' menus from LINE (users then see no menu)."""
    with _line_client(lazy) as client:
        removed = rich_menu.remove(client, NAME)
    click.echo(
        ngettext("Removed %(num)d rich menu.", "Removed %(num)d rich menus.", len(removed))
        if removed
        else _("No debtors' rich menu was installed.")
    )


@richmenu_group.command("image")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def image(path: Path) -> None:
    """Write the menu's picture to PATH (a PNG), to look at it; needs no LINE account."""
    path.write_bytes(rich_menu.draw_png(debtor_menu()))
    click.echo(str(path))


@contextmanager
def _line_client(lazy) -> Iterator[LineClient]:
    """A LINE client from the settings; a refusal from LINE becomes one line on stderr."""
    settings = runtime_of(lazy).settings
    if not settings.line_channel_access_token:
        raise CommandError(_("LINE_CHANNEL_ACCESS_TOKEN is not set: the menu lives on LINE"))
    client = LineClient.from_settings(settings)
    try:
        yield client
    except LineError as exc:
        reason = exc.result.error_message or str(exc.result.status)
        raise CommandError(_("LINE refused the rich menu: %(reason)s", reason=reason)) from None
    finally:
        client.close()


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    main.add_command(richmenu_group)
