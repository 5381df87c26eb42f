"""Click parameters for what people type on the command line: Thai dates, rates, contracts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session

from bot.errors import UserError, explain
from bot.i18n import _
from bot.runtime import Runtime
from models.area import find_area
from models.contract import Contract, find_contract
from models.errors import DomainError
from models.thai_text import normalize_phone, parse_date, parse_rate
from models.types import FundKind


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
            if self.parse is parse_date:
                # "วันนี้" and dates without a year need today, in the offices' time zone.
                return parse_date(str(value), today=_today(ctx))
            return self.parse(str(value))
        except ValueError as exc:
            # The parsers raise short English predicates ("is not a date"), marked for
            # translation where they are defined.
            self.fail(_("%(value)s %(problem)s", value=value, problem=_(str(exc))), param, ctx)


# A date: ISO (2026-03-15) or Thai Buddhist Era (15/3/2569, 15/3/69, 15 มี.ค. 2569).
DATE = ThaiParam("date", parse_date, date)
# A yearly rate in percent: "3", "3.5", "3.5%".
RATE = ThaiParam("rate", parse_rate, Decimal)
# A Thai phone number, kept as digits from 0: "081-234-5678", "+66 81 234 5678", "๐๘๑...".
PHONE = ThaiParam("phone", normalize_phone, type(None))


FUND_CHOICE = click.Choice([kind.value for kind in FundKind])


def contract_choice(command):
    """--fund and --area for a command taking CONTRACT_NO: KKCJ numbers repeat per village."""
    command = click.option(
        "--area",
        "area_path",
        help="The borrower's village (or district/subdistrict), when the number repeats.",
    )(command)
    return click.option(
        "--fund",
        "fund_kind",
        type=FUND_CHOICE,
        help="Which fund, when the same contract number exists in both.",
    )(command)


def lookup_contract(
    session: Session,
    runtime: Runtime,
    contract_no: str,
    fund_kind: str | None,
    area_path: str | None,
) -> Contract:
    """The contract named on the command line; a clear error naming --fund/--area if unclear."""
    area = None
    if area_path:
        found = find_area(session, area_path, runtime.settings.province)
        if found is None:
            raise UserError(_("Unknown area: %(area)s", area=area_path))
        area = found.path
    kind = FundKind(fund_kind) if fund_kind else None
    try:
        return find_contract(session, contract_no, kind, area=area)
    except DomainError as exc:
        if exc.code != "contract_ambiguous":
            raise
        hint = _("Say which with --fund or --area (the village)")
        raise UserError(f"{explain(exc)}. {hint}") from None


def _today(ctx: click.Context | None) -> date:
    from bot.cli import LazyRuntime  # the package defines it; it imports this module

    lazy = ctx.find_object(LazyRuntime) if ctx is not None else None
    zone = lazy.get().settings.timezone if lazy is not None else ZoneInfo("UTC")
    return datetime.now(zone).date()
