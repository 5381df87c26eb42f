"""Click parameter types for what people type on the command line: Thai dates and rates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import click

from bot.i18n import _
from handlers.thai_input import parse_date, parse_rate


class ThaiParam(click.ParamType):
    """A value read by one of the Thai input parsers; its ValueError becomes a usage error."""

    def __init__(self, name: str, parse: Callable[[str], object], kind: type) -> None:
        self.name = name
        self.parse = parse
        self.kind = kind

    def convert(self, value, param, ctx):
        """The parsed value, or a translated message naming what was typed and what is wrong."""
        if isinstance(value, self.kind):
            return value
        try:
            return self.parse(str(value))
        except ValueError as exc:
            # The parsers raise short English predicates ("is not a date"), marked for
            # translation where they are defined.
            self.fail(_("%(value)s %(problem)s", value=value, problem=_(str(exc))), param, ctx)


# A date: ISO (2026-03-15) or Thai Buddhist Era (15/3/2569, 15/3/69, 15 มี.ค. 2569).
DATE = ThaiParam("date", parse_date, date)
# A yearly rate in percent: "3", "3.5", "3.5%".
RATE = ThaiParam("rate", parse_rate, Decimal)
