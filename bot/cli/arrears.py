"""Placeholder: filled in by the issue that owns this command family."""

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
