"""Domain errors: a refused action or bad input, as a code and its arguments.

The domain has no words for users: the chat, the CLI and the web each turn a code into a
sentence in the reader's language (bot/errors.py).
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `code` names which rule; `params` fill in the message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value}" for key, value in self.params.items())
        return f"{self.code}({details})" if details else self.code
