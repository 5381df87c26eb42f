"""`fundbot moratorium add` and `fundbot restructure`: relief measures on one contract."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.params import DATE, RATE, contract_choice, lookup_contract
from bot.i18n import _, format_date, format_money, ngettext
from models.audit import Actor
from models.relief_rules import add_moratorium, restructure
from models.types import Frequency

FREQUENCY_CHOICE = click.Choice([frequency.value for frequency in Frequency])


@click.group("moratorium")
def moratorium() -> None:
    """Debt moratoriums (พักชำระหนี้)."""


@moratorium.command("add")
@click.argument("contract_no")
@click.option(
    "--round",
    "round_no",
    type=click.IntRange(min=1),
    required=True,
    help="The moratorium round (notice) number.",
)
@click.option("--start", type=DATE, required=True, help="First day: 2026-03-15 or 15/3/2569.")
@click.option("--end", type=DATE, required=True, help="Last day: 2026-06-30 or 30/6/2569.")
@contract_choice
@pass_runtime
def add(lazy, contract_no, round_no, start, end, fund_kind, area_path) -> None:
    """Defer the installments of CONTRACT_NO falling due between --start and --end."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        contract = lookup_contract(session, runtime, contract_no, fund_kind, area_path)
        measure = add_moratorium(
            session, Actor.cli(), contract, round_no=round_no, start=start, end=end
        )
        moved = measure.terms["installments_deferred"]
        periods = measure.terms["periods_deferred"]
        summary = _(
            "Contract %(contract)s: moratorium round %(round)d from %(start)s to %(end)s; "
            "%(moved)s",
            contract=contract.contract_no,
            round=round_no,
            start=format_date(start),
            end=format_date(end),
            moved=_deferral(moved, periods, Frequency(contract.frequency)),
        )
    # Printed once the transaction has committed, so a summary always means it is saved.
    click.echo(summary)


@click.command("restructure")
@click.argument("contract_no")
@click.option(
    "--installments",
    type=click.IntRange(min=1),
    required=True,
    help="Number of installments in the new schedule.",
)
@click.option(
    "--first-due", type=DATE, required=True, help="Due date of the first new installment."
)
@click.option("--rate", type=RATE, help="New yearly interest rate in percent (default: unchanged).")
@click.option("--frequency", type=FREQUENCY_CHOICE, help="monthly or yearly (default: unchanged).")
@click.option("--effective", type=DATE, help="Date the new schedule takes effect (default: today).")
@contract_choice
@pass_runtime
def restructure_command(
    lazy, contract_no, installments, first_due, rate, frequency, effective, fund_kind, area_path
) -> None:
    """Replace what remains of CONTRACT_NO's schedule with a new one (ปรับโครงสร้างหนี้)."""
    runtime = runtime_of(lazy)
    effective = effective or datetime.now(runtime.settings.timezone).date()
    with runtime.db.session() as session:
        contract = lookup_contract(session, runtime, contract_no, fund_kind, area_path)
        measure = restructure(
            session,
            Actor.cli(),
            contract,
            installments=installments,
            first_due=first_due,
            rate=rate,
            frequency=Frequency(frequency) if frequency else None,
            effective=effective,
        )
        terms = measure.terms
        summary = _(
            "Contract %(contract)s restructured from %(effective)s: %(principal)s in "
            "%(count)d installments from %(first_due)s at %(rate)s%% a year "
            "(unpaid interest carried: %(carried)s)",
            contract=contract.contract_no,
            effective=format_date(effective),
            principal=format_money(_money(terms["principal"])),
            count=installments,
            first_due=format_date(first_due),
            rate=terms["annual_interest_rate"],
            carried=format_money(_money(terms["carried_interest"])),
        )
    click.echo(summary)


def _deferral(moved: int, periods: int, frequency: Frequency) -> str:
    """Say "3 installments deferred by 2 months", or that nothing fell due in the window."""
    if not moved:
        return _("no installment fell due in that time")
    by = (
        ngettext("%(num)d month", "%(num)d months", periods)
        if frequency is Frequency.MONTHLY
        else ngettext("%(num)d year", "%(num)d years", periods)
    )
    return ngettext(
        "%(num)d installment deferred by %(by)s",
        "%(num)d installments deferred by %(by)s",
        moved,
        by=by,
    )


def _money(text: str) -> Decimal:
    """An amount kept as a decimal string, back to Decimal."""
    return Decimal(text)


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    main.add_command(moratorium)
    main.add_command(restructure_command)
