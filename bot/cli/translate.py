"""`fundbot translate`: extract, update and check the Babel catalogs in locales/."""

from __future__ import annotations

from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "locales" / "messages.pot"
KEYWORDS = ["_", "gettext", "lazy_gettext", "ngettext:1,2"]


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


@click.group("translate")
def translate_group() -> None:
    """Maintain the th and en message catalogs."""


@translate_group.command("extract")
def extract() -> None:
    """Collect every translatable string into locales/messages.pot."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    _babel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *keywords,
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        "bot",
        "handlers",
        "scheduler",
        "models",
    )


@translate_group.command("update")
@click.pass_context
def update(ctx: click.Context) -> None:
    """Extract, then merge new strings into locales/*/LC_MESSAGES/messages.po."""
    ctx.invoke(extract)
    _babel("update", "-i", str(POT), "-d", str(ROOT / "locales"), "--no-fuzzy-matching")


@translate_group.command("check")
def check() -> None:
    """Fail when a catalog has untranslated or fuzzy strings."""
    missing = untranslated()
    for locale, ids in missing.items():
        for msgid in ids:
            click.echo(f"{locale}: {msgid}", err=True)
    if any(missing.values()):
        raise click.ClickException("untranslated strings")
    click.echo("ok")


def untranslated() -> dict[str, list[str]]:
    """Msgids without a translation (or marked fuzzy), per locale.

    English is the source language: an empty English entry falls back to its msgid.
    """
    result = {}
    for po_path in sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po")):
        if po_path.parts[-3] == "en":
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        result[po_path.parts[-3]] = [
            str(m.id) for m in catalog if m.id and (m.fuzzy or not _translated(m.string))
        ]
    return result


def _translated(string) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


def register(main: click.Group) -> None:
    """Add `translate` to the command line."""
    main.add_command(translate_group)
