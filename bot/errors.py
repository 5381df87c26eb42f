"""Errors whose message is meant for a person (already in their language)."""


class UserError(Exception):
    """Bad input or a refused action; the message is shown as is, with no trace."""
